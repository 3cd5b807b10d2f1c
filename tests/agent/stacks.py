"""Real stacks for the agent's tests and bench: the agent itself (`python -m agent` in its own
process), pcscd in the foreground with vsmartcard's virtual reader, a virtual card (vicc), a socat
pty pair standing in for a serial printer, and video files standing in for a camera.

Every process is started by us and stopped by its PID (never by name). Needs PYTHONPATH=<repo>
when run from bench/."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
VICC = "/usr/bin/vicc"
VICC_LIB = "/usr/lib/python3/site-packages/virtualsmartcard"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
VPCD_PORT = 35963                 # reader "Virtual PCD 00 00"; 35964 is "Virtual PCD 00 01"
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"

_live: set[subprocess.Popen] = set()


class StackMissing(RuntimeError):
    """A tool this stack needs is not installed (scripts/setup --test installs it)."""


def missing_tools() -> list[str]:
    wanted = {"pcscd": shutil.which("pcscd"), "socat": shutil.which("socat"), "vicc": VICC,
              "vpcd driver": VPCD_DRIVER, "virtualsmartcard": VICC_LIB}
    return [name for name, path in wanted.items() if not path or not os.path.exists(path)]


def _start(cmd: list[str], log: Path, env: dict | None = None, **kwargs) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("ab")
    proc = subprocess.Popen(cmd, stdout=kwargs.pop("stdout", out), stderr=out, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, start_new_session=True, **kwargs)
    out.close()
    _live.add(proc)
    return proc


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop one process we started, by its PID; SIGKILL when it does not end in time."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass
    _live.discard(proc)


@atexit.register
def _stop_all() -> None:
    for proc in list(_live):
        stop(proc, timeout=5)


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(interval)


# -- the agent ---------------------------------------------------------------------------------
class AgentProcess:
    """`python -m agent --port 0 ...`; `port` is read from its 'listening' line."""

    def __init__(self, workdir: Path, key_line: str, origins: list[str], args: list[str] = ()):
        self.workdir = Path(workdir)
        self.key_line = key_line
        self.origins = origins
        self.args = list(args)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log = self.workdir / "agent.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 30) -> "AgentProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        key_file = self.workdir / "ticket-key.pub"
        key_file.write_text(self.key_line + "\n")
        cmd = [PYTHON, "-m", "agent", "--port", "0", "--ticket-key", str(key_file), *self.args]
        for origin in self.origins:
            cmd += ["--allow-origin", origin]
        env = {"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = _start(cmd, self.log, env=env, stdout=subprocess.PIPE, cwd=REPO)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode()
            match = re.search(r"listening on ws://127\.0\.0\.1:(\d+)/v1", line)
            if match:
                self.port = int(match.group(1))
                return self
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"the agent did not start:\n{self.log_text()[-3000:]}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        stop(self.proc)
        return self.proc.returncode if self.proc else None


# -- PC/SC ---------------------------------------------------------------------------------------
class Pcscd:
    """pcscd in the foreground (`pcscd -f`), our own process, stopped by PID."""

    def __init__(self, workdir: Path):
        self.log = Path(workdir) / "pcscd.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> "Pcscd":
        if self.proc is not None and self.proc.poll() is None:
            return self
        if os.path.exists(PCSCD_SOCKET) and service_answers():
            raise RuntimeError("another pcscd is running (systemd's pcscd.socket?); stop it first: "
                               "systemctl stop pcscd.socket pcscd")
        self.proc = _start(["pcscd", "--foreground", "--info"], self.log)
        wait_for(lambda: readers() is not None and set(READERS) <= set(readers() or ()),
                 timeout, "pcscd with the vpcd readers")
        return self

    def stop(self) -> None:
        stop(self.proc)
        wait_for(lambda: not service_answers(), 10, "pcscd to go away")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def service_answers() -> bool:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(context)
    return True


def readers() -> list[str] | None:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, names = scard.SCardListReaders(context, [])
        return list(names) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


def card_present(reader: str) -> bool:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        return hresult == scard.SCARD_S_SUCCESS and bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


class VirtualCard:
    """A vsmartcard card in a vpcd reader: Debian's `vicc -t iso7816` (a contact card), or
    contactless_card.py (a contactless card whose reader answers GET DATA with its UID)."""

    ISO_ATR = "3B9513810180 73FF01000B".replace(" ", "")

    def __init__(self, workdir: Path, slot: int = 0, contactless_uid: str | None = None):
        self.slot = slot
        self.reader = READERS[slot]
        self.uid = contactless_uid
        self.log = Path(workdir) / f"vicc-{slot}.log"
        self.proc: subprocess.Popen | None = None

    def insert(self, timeout: float = 20) -> "VirtualCard":
        env = {"PYTHONPATH": VICC_LIB}
        if self.uid:
            cmd = [PYTHON, str(Path(__file__).with_name("contactless_card.py")),
                   "--port", str(VPCD_PORT + self.slot), "--uid", self.uid]
        else:
            cmd = [PYTHON, VICC, "-t", "iso7816", "-P", str(VPCD_PORT + self.slot)]
        self.proc = _start(cmd, self.log, env=env)
        wait_for(lambda: card_present(self.reader) or self.proc.poll() is not None, timeout,
                 f"a card in {self.reader}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"vicc ended:\n{self.log.read_text()[-2000:]}")
        return self

    def remove(self) -> None:
        stop(self.proc)


# -- serial line -------------------------------------------------------------------------------
class SerialPair:
    """socat pty pair: the agent opens `printer`, the test reads what arrives on `host`."""

    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.printer = str(self.dir / "ttyPRN")
        self.host = str(self.dir / "ttyHOST")
        self.log = self.dir / "socat.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> "SerialPair":
        self.dir.mkdir(parents=True, exist_ok=True)
        for link in (self.printer, self.host):
            if os.path.lexists(link):
                os.unlink(link)
        self.proc = _start(["socat", "-d", "-d", f"pty,raw,echo=0,link={self.printer}",
                            f"pty,raw,echo=0,link={self.host}"], self.log)
        wait_for(lambda: os.path.exists(self.printer) and os.path.exists(self.host), timeout,
                 "socat's pty links")
        return self

    def open_host(self):
        import serial

        return serial.Serial(self.host, baudrate=9600, timeout=0.5)

    def stop(self) -> None:
        stop(self.proc)

    def unplug(self) -> None:
        """Kill socat as a yanked cable would: no clean-up (its links are left dangling)."""
        stop(self.proc, sig=signal.SIGKILL)

    def freeze(self) -> None:
        """The printer stops taking data (offline, paper jam): socat stops reading, and the
        line's buffers are filled so that the next writer blocks."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        fd = os.open(self.printer, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            while True:
                os.write(fd, b"\0" * 1024)
        except BlockingIOError:
            pass
        finally:
            os.close(fd)


def read_exactly(line, n: int, timeout: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < n and time.monotonic() < deadline:
        data += line.read(n - len(data))
    return data


# -- camera ------------------------------------------------------------------------------------
def write_video(path: Path, frames, fps: float = 10.0) -> Path:
    """An MJPG .avi from a list of BGR frames (all of one size)."""
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def scene_frames(count: int = 10, width: int = 640, height: int = 480):
    import cv2
    import numpy as np

    frames = []
    for i in range(count):
        img = np.full((height, width, 3), (40 + i * 10, 120, 200), np.uint8)
        cv2.circle(img, (width // 2, height // 2), 80 + i, (250, 250, 250), -1)
        frames.append(img)
    return frames


def qr_frames(text: str, blank_before: int = 3, count: int = 6, size: int = 480):
    """Blank frames first, then frames showing the QR (rendered by segno) on a white card."""
    import io

    import cv2
    import numpy as np
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    qr = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    side = min(qr.shape[0], size - 40)
    qr = cv2.resize(qr, (side, side), interpolation=cv2.INTER_NEAREST)
    frames = []
    for i in range(blank_before + count):
        img = np.full((size, int(size * 4 / 3), 3), (90, 110, 130), np.uint8)
        if i >= blank_before:
            y, x = (size - side) // 2, (img.shape[1] - side) // 2
            img[y:y + side, x:x + side] = qr
        frames.append(img)
    return frames
