"""Serial ESC/POS receipt printer: python-escpos formats (receipt.py) and opens the line
(escpos.printer.Serial over pyserial); the bytes go out in chunks with a write timeout, so a cable
pulled mid-print fails at the next chunk with the count sent, never a hang."""
from __future__ import annotations

import os
import sys
import time

from agent.devices.base import Device, DeviceFailure, DeviceNotReady, State
from agent.devices.receipt import Receipt, to_bytes

CHUNK = 256


def line_seconds(n_bytes: int, baud: int) -> float:
    """The serial line's own limit: 10 bits a byte (start, 8 data, stop)."""
    return n_bytes * 10 / baud


class ReceiptPrinterBase(Device):
    kind = "printer"

    def __init__(self, device_id: str, name: str, paper: int, baud: int):
        super().__init__(device_id, name)
        if paper not in (58, 80):
            raise ValueError("paper must be 58 or 80 (mm)")
        self.paper_width = paper
        self.baud = baud

    def timeout_for(self, n_bytes: int) -> float:
        return 10 + 3 * line_seconds(n_bytes, self.baud)

    async def print_receipt(self, receipt: Receipt) -> dict:
        data = to_bytes(receipt, self.paper_width)
        return await self.run(self.send, data, timeout=self.timeout_for(len(data)))

    async def status(self) -> dict:
        await self.refresh()
        return {"state": self.state.value, "reason": self.reason, "paper_width": self.paper_width}

    def send(self, cancel, data: bytes) -> dict:
        raise NotImplementedError


class SerialPrinter(ReceiptPrinterBase):
    def __init__(self, port: str | None, baud: int = 9600, paper: int = 58,
                 write_timeout: float = 5.0):
        super().__init__("printer", f"Printer struk {paper} mm ({port or 'port belum diatur'})",
                         paper, baud)
        self.port = port
        self.write_timeout = write_timeout

    def probe(self) -> tuple[State, str | None]:
        if not self.port:
            return State.NOT_READY, "no printer port configured (--printer)"
        if _looks_like_path(self.port):
            if not os.path.exists(self.port):
                return State.NOT_READY, f"{self.port} not found (printer unplugged?)"
            return State.READY, None
        from serial.tools import list_ports  # COM3 on Windows
        if self.port.upper() not in {p.device.upper() for p in list_ports.comports()}:
            return State.NOT_READY, f"{self.port} not found (printer unplugged?)"
        return State.READY, None

    def send(self, cancel, data: bytes) -> dict:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Serial
        from serial import SerialException, SerialTimeoutException

        if not self.port:
            raise DeviceNotReady("no printer port configured (--printer)")
        printer = Serial(devfile=self.port, baudrate=self.baud, timeout=1, dsrdtr=False)
        try:
            printer.open()
        except DeviceNotFoundError:
            raise DeviceNotReady(f"cannot open {self.port} (printer unplugged?)") from None
        line = printer.device
        line.write_timeout = self.write_timeout
        started, sent = time.monotonic(), 0
        try:
            for start in range(0, len(data), CHUNK):
                if cancel.is_set():
                    raise DeviceFailure(f"print abandoned after {sent} of {len(data)} bytes")
                printer._raw(data[start:start + CHUNK])
                sent = min(start + CHUNK, len(data))
            line.flush()
            if _looks_like_path(self.port) and not os.path.exists(self.port):
                # The line drained into a port that vanished (USB adapter or cable pulled).
                raise DeviceFailure(f"printer disappeared while printing {len(data)} bytes; "
                                    "the receipt may be incomplete")
        except SerialTimeoutException:
            raise DeviceFailure(f"printer stopped taking data after {sent} of {len(data)} bytes") from None
        except (SerialException, OSError):
            raise DeviceFailure(f"printer connection lost after {sent} of {len(data)} bytes") from None
        finally:
            try:
                line.close()
            except (SerialException, OSError):
                pass
            printer._device = False      # escpos's own close() would flush a dead line again
        return {"bytes": len(data), "seconds": round(time.monotonic() - started, 4)}


def _looks_like_path(port: str) -> bool:
    return os.sep in port or "/" in port or not sys.platform.startswith("win")
