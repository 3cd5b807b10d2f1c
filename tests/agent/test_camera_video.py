"""The camera through OpenCV fed from video files (the same cv2.VideoCapture API as a device):
JPEG photos at the requested size, QR codes read from the frames, and a camera that gives no
frame or is not there."""
from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from tests.agent import stacks
from tests.agent.client import RpcFailure
from tests.agent.conftest import answers_info

pytestmark = pytest.mark.hardware

QR_TEXT = "KPTT:KP-BUS01-000123:8HNHMZ"


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    return {
        "scene": stacks.write_video(folder / "scene.avi", stacks.scene_frames()),
        "qr": stacks.write_video(folder / "qr.avi", stacks.qr_frames(QR_TEXT)),
        "empty": folder / "empty.avi",
    }


def decoded(photo: dict):
    assert photo["mime"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(base64.b64decode(photo["data"]), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_capture_gives_a_jpeg_at_the_requested_size(videos, start_agent, connect):
    agent = start_agent("--camera", str(videos["scene"]))
    client = connect(agent)
    full = client.call("camera.capture")
    assert (full["width"], full["height"]) == (640, 480)
    assert decoded(full).shape == (480, 640, 3)
    small = client.call("camera.capture", {"width": 320, "height": 240, "quality": 60})
    assert decoded(small).shape == (240, 320, 3)
    portrait_box = client.call("camera.capture", {"width": 300, "height": 400})
    assert (portrait_box["width"], portrait_box["height"]) == (300, 225)   # fits, never stretched
    by_height = client.call("camera.capture", {"height": 120})
    assert decoded(by_height).shape[:2] == (120, 160)
    agent.stop()


def test_scan_qr_reads_the_code_once_it_appears_in_the_frames(videos, start_agent, connect):
    agent = start_agent("--camera", str(videos["qr"]))
    client = connect(agent)
    assert client.call("camera.scan_qr", {"timeout_s": 10}) == {"text": QR_TEXT}
    agent.stop()


def test_scan_qr_without_a_code_answers_null_at_the_timeout(videos, start_agent, connect):
    agent = start_agent("--camera", str(videos["scene"]))
    client = connect(agent)
    assert client.call("camera.scan_qr", {"timeout_s": 0.5}) == {"text": None}
    agent.stop()


def test_a_camera_that_gives_no_frame_is_an_error_with_the_reason(videos, start_agent, connect, ticket):
    videos["empty"].write_bytes(b"")               # there, but no frame in it
    agent = start_agent("--camera", str(videos["empty"]))
    client = connect(agent)
    with pytest.raises(RpcFailure) as no_frame:
        client.call("camera.capture")
    assert no_frame.value.code == 4003
    assert no_frame.value.data["reason"] in ("camera gave no frame", f"cannot open camera {videos['empty']}")
    camera = next(d for d in client.call("devices.list") if d["kind"] == "camera")
    assert camera["state"] == "not_ready" and camera["reason"]
    answers_info(agent, ticket)
    agent.stop()


def test_a_missing_camera_is_not_ready_and_comes_back(videos, start_agent, connect, tmp_path):
    later = tmp_path / "camera.avi"
    agent = start_agent("--camera", str(later))
    client = connect(agent)
    camera = next(d for d in client.call("devices.list") if d["kind"] == "camera")
    assert camera["state"] == "not_ready" and "not found" in camera["reason"]
    later.write_bytes(videos["scene"].read_bytes())   # plugged in
    client.notification("device.changed", lambda d: d["kind"] == "camera" and d["state"] == "ready")
    assert client.call("camera.capture", {"width": 64})["width"] == 64
    agent.stop()
