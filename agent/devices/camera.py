"""Camera through OpenCV: a device index (0 = /dev/video0), a device path, or a video file (the
same cv2.VideoCapture API; a file is how the tests and a bench feed a camera). Photos are JPEG at
the requested size; QR codes are decoded here with OpenCV's QR detector, since browsers on Linux
and Windows have no barcode API."""
from __future__ import annotations

import base64
import os
import sys
import time

from agent.devices.base import Device, DeviceNotReady, State

MAX_SIDE = 1920
WARMUP_FRAMES = 2          # a real camera's first frames are dark while exposure settles


def parse_source(source: str | int) -> int | str:
    if isinstance(source, int):
        return source
    return int(source) if source.strip().isdigit() else source


def fit_size(width: int, height: int, want_w: int | None, want_h: int | None) -> tuple[int, int]:
    """Scale (width, height) to the requested box keeping the aspect ratio."""
    if not want_w and not want_h:
        scale = min(1.0, MAX_SIDE / max(width, height))
    elif want_w and want_h:
        scale = min(want_w / width, want_h / height)
    else:
        scale = (want_w / width) if want_w else (want_h / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_jpeg(frame, width: int | None, height: int | None, quality: int) -> dict:
    import cv2

    h, w = frame.shape[:2]
    out_w, out_h = fit_size(w, h, width, height)
    if (out_w, out_h) != (w, h):
        interpolation = cv2.INTER_AREA if out_w < w else cv2.INTER_LINEAR
        frame = cv2.resize(frame, (out_w, out_h), interpolation=interpolation)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return {"mime": "image/jpeg", "data": base64.b64encode(buffer.tobytes()).decode("ascii"),
            "width": out_w, "height": out_h}


def decode_qr(detector, frame) -> str | None:
    text, _points, _ = detector.detectAndDecode(frame)
    return text or None


class CameraBase(Device):
    kind = "camera"

    async def capture(self, width: int | None, height: int | None, quality: int) -> dict:
        return await self.run(self.capture_sync, width, height, quality, timeout=15)

    async def scan_qr(self, timeout_s: float) -> dict:
        return await self.run(self.scan_qr_sync, timeout_s, timeout=timeout_s + 10)

    def capture_sync(self, cancel, width, height, quality) -> dict:
        raise NotImplementedError

    def scan_qr_sync(self, cancel, timeout_s) -> dict:
        raise NotImplementedError


class OpenCVCamera(CameraBase):
    def __init__(self, source: str | int = 0):
        self.source = parse_source(source)
        super().__init__("camera", f"Kamera ({self.source})")

    @property
    def is_file(self) -> bool:
        """A video file (looped, no warm-up) rather than a device."""
        return isinstance(self.source, str) and os.path.isfile(self.source) \
            and not self.source.startswith("/dev/")

    def probe(self) -> tuple[State, str | None]:
        if isinstance(self.source, int):
            if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{self.source}"):
                return State.NOT_READY, f"/dev/video{self.source} not found (camera unplugged?)"
            return State.READY, None
        if "://" not in self.source and not os.path.exists(self.source):
            return State.NOT_READY, f"{self.source} not found (camera unplugged?)"
        return State.READY, None

    def _open(self):
        import cv2

        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise DeviceNotReady(f"cannot open camera {self.source}")
        return capture

    def _frame(self, capture):
        import cv2

        ok, frame = capture.read()
        if not ok and self.is_file:            # a video file loops, like a camera that goes on
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            raise DeviceNotReady("camera gave no frame")
        return frame

    def capture_sync(self, cancel, width, height, quality) -> dict:
        capture = self._open()
        try:
            if not self.is_file:
                for _ in range(WARMUP_FRAMES):
                    capture.read()
            return encode_jpeg(self._frame(capture), width, height, quality)
        finally:
            capture.release()

    def scan_qr_sync(self, cancel, timeout_s) -> dict:
        import cv2

        detector = cv2.QRCodeDetector()
        deadline = time.monotonic() + timeout_s
        capture = self._open()
        try:
            while not cancel.is_set():
                started = time.monotonic()
                text = decode_qr(detector, self._frame(capture))
                if text:
                    return {"text": text}
                if started >= deadline:
                    return {"text": None}
                if self.is_file:               # pace a file like a 30 fps camera
                    time.sleep(max(0.0, 1 / 30 - (time.monotonic() - started)))
            return {"text": None}
        finally:
            capture.release()
