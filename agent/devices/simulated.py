"""Simulated devices for the demo and for pages tested without hardware (`--simulate`).

They go through the same Device.run path as the real drivers (busy, timeouts, states), so the
browser sees the same protocol: a camera that draws a believable frame, a card reader whose card
comes and goes (on a timer, on `simulate.card`, or when card.read is called with no card in), and
a printer that formats the receipt exactly as the real one and writes the bytes to a file.
"""
from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from agent.devices.base import State
from agent.devices.camera import CameraBase, encode_jpeg
from agent.devices.card import CardReaderBase, utc_now_iso
from agent.devices.printer import ReceiptPrinterBase, line_seconds

SIM_READER = "Simulasi Pembaca KTP-el 00"
SIM_ATR = "3B8F8001804F0CA000000306030001000000006A"   # PC/SC contactless ATR shape


class SimulatedCamera(CameraBase):
    def __init__(self, printer: "SimulatedPrinter | None" = None):
        super().__init__("camera", "Kamera simulasi")
        self.printer = printer
        self._frames = 0

    def frame(self):
        """A 640×480 portrait-like picture: backdrop, head and shoulders, caption and time."""
        import cv2
        import numpy as np

        self._frames += 1
        height, width = 480, 640
        ramp = np.linspace(150, 235, height, dtype=np.uint8)[:, None]
        img = np.zeros((height, width, 3), np.uint8)
        img[:, :, 0] = ramp + 10                      # a blue photo backdrop
        img[:, :, 1] = ramp // 2 + 60
        img[:, :, 2] = ramp // 4 + 20
        shift = (self._frames * 3) % 20 - 10          # the sitter moves a little
        cv2.ellipse(img, (320 + shift, 470), (170, 120), 0, 180, 360, (60, 60, 70), -1)
        cv2.ellipse(img, (320 + shift, 220), (85, 105), 0, 0, 360, (120, 160, 205), -1)
        cv2.ellipse(img, (320 + shift, 150), (92, 60), 0, 180, 360, (30, 30, 35), -1)
        for dx in (-32, 32):
            cv2.circle(img, (320 + shift + dx, 210), 9, (40, 40, 40), -1)
        cv2.ellipse(img, (320 + shift, 270), (28, 12), 0, 0, 180, (60, 60, 150), 3)
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        cv2.putText(img, "KAMERA SIMULASI", (18, 36), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
        cv2.putText(img, stamp, (18, 462), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
        return img

    def capture_sync(self, cancel, width, height, quality) -> dict:
        time.sleep(0.15)                               # a real camera takes a moment
        return encode_jpeg(self.frame(), width, height, quality)

    def scan_qr_sync(self, cancel, timeout_s) -> dict:
        """The QR of the last receipt the simulated printer printed, as if it were held up."""
        text = self.printer.last_receipt.qr if self.printer and self.printer.last_receipt else None
        cancel.wait(min(0.5, timeout_s) if text else timeout_s)
        return {"text": text}


class SimulatedCardReader(CardReaderBase):
    def __init__(self, interval: float = 0.0, present_seconds: float = 8.0):
        super().__init__("card", "Pembaca kartu simulasi")
        self.interval = interval
        self.present_seconds = present_seconds
        self.readers = {SIM_READER: False}
        self._uid: str | None = None
        self._card_lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        self.set_state(State.READY, None)
        if self.interval > 0:
            threading.Thread(target=self._cycle, name="sim-card", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    def probe(self):
        return State.READY, None

    def _cycle(self) -> None:
        while not self._stopping.wait(self.interval):
            self.set_present(True)
            if self._stopping.wait(self.present_seconds):
                break
            self.set_present(False)

    def set_present(self, present: bool) -> None:
        """Put the simulated card in or take it out (thread-safe)."""
        with self._card_lock:
            if present == self.readers[SIM_READER]:
                return
            self.readers = {SIM_READER: present}
            self._uid = secrets.token_hex(7).upper() if present else None
        if present:
            self.emit_threadsafe("card.inserted", {"reader": SIM_READER, "atr": SIM_ATR})
        else:
            self.emit_threadsafe("card.removed", {"reader": SIM_READER})

    def read_sync(self, cancel, reader: str | None) -> dict:
        if reader not in (None, SIM_READER):
            from agent.protocol import INVALID_PARAMS, RpcError
            raise RpcError(INVALID_PARAMS, f"unknown reader: {reader}")
        self.set_present(True)             # the officer puts the KTP-el on the reader
        time.sleep(0.2)
        return {"reader": SIM_READER, "atr": SIM_ATR, "uid": self._uid, "at": utc_now_iso()}


class SimulatedPrinter(ReceiptPrinterBase):
    def __init__(self, paper: int = 58, baud: int = 9600, output: str | Path | None = None):
        super().__init__("printer", f"Printer struk simulasi {paper} mm", paper, baud)
        self.output = Path(output) if output else None
        self.last_receipt = None
        self.last_bytes = b""

    def probe(self):
        return State.READY, None

    async def print_receipt(self, receipt) -> dict:
        result = await super().print_receipt(receipt)
        self.last_receipt = receipt
        return result

    def send(self, cancel, data: bytes) -> dict:
        started = time.monotonic()
        cancel.wait(min(1.0, line_seconds(len(data), self.baud)))   # paced like a slow line
        if self.output:
            with self.output.open("ab") as out:
                out.write(data)
        self.last_bytes = data
        return {"bytes": len(data), "seconds": round(time.monotonic() - started, 4)}
