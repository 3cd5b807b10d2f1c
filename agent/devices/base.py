"""The device interface the server dispatches to, and the one place that runs driver calls.

Every operation on a device goes through `Device.run`: one operation at a time (a second caller
gets DEVICE_BUSY at once, it does not queue), the blocking driver call in the device's own thread
with a timeout, and driver failures turned into a JSON-RPC error plus a device state with a reason.
A call that times out answers TIMEOUT at once; the device stays busy until its thread returns, so a
stuck driver is never entered twice.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from enum import Enum
from typing import Any, Callable, Protocol

from agent.protocol import (DEVICE_BUSY, DEVICE_ERROR, DEVICE_NOT_READY, TIMEOUT, RpcError)

log = logging.getLogger("agent.devices")


class State(str, Enum):
    READY = "ready"
    BUSY = "busy"
    NOT_READY = "not_ready"
    ERROR = "error"


class DeviceNotReady(Exception):
    """The device is absent or not usable now (unplugged, service down, no card, no frame)."""


class DeviceFailure(Exception):
    """The device was there but the operation failed (I/O error mid-call, bad answer)."""


class Device:
    kind: str = "device"

    def __init__(self, device_id: str, name: str):
        self.id = device_id
        self.name = name
        self.state = State.NOT_READY
        self.reason: str | None = "starting"
        self._lock = asyncio.Lock()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"dev-{device_id}")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_change: Callable[[Device], None] = lambda device: None

    # -- life cycle (called by the Registry) -------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop, on_change: Callable[[Device], None]) -> None:
        self._loop = loop
        self._on_change = on_change

    def start(self) -> None:
        """Start background work (card monitor). Runs in the event loop thread."""

    def stop(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def probe(self) -> tuple[State, str | None]:
        """Cheap presence check in the device's thread (no I/O that disturbs the device)."""
        return State.READY, None

    # -- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def describe(self) -> dict:
        return {"id": self.id, "kind": self.kind, "name": self.name,
                "state": self.state.value, "reason": self.reason}

    def set_state(self, state: State, reason: str | None = None) -> None:
        """Only from the event loop thread; use `set_state_threadsafe` from driver threads."""
        if (state, reason) != (self.state, self.reason):
            self.state, self.reason = state, reason
            self._on_change(self)

    def set_state_threadsafe(self, state: State, reason: str | None = None) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.set_state, state, reason)

    async def refresh(self) -> None:
        """Re-probe presence unless an operation is running (the registry's watcher calls it)."""
        if self.busy:
            return
        loop = asyncio.get_running_loop()
        try:
            state, reason = await asyncio.wait_for(
                loop.run_in_executor(self._executor, self.probe), 5)
        except (asyncio.TimeoutError, RuntimeError):
            return
        except Exception as exc:  # a probe must never take the agent down
            state, reason = State.ERROR, _describe(exc)
        if not self.busy:
            self.set_state(state, reason)

    # -- operations --------------------------------------------------------------------------
    async def run(self, fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
        """Run `fn(cancel, *args)` in the device thread; `cancel` is a threading.Event the driver
        checks in loops (set when the caller gives up)."""
        if self._lock.locked():
            raise RpcError(DEVICE_BUSY, f"{self.kind} busy", {"reason": "another operation is running"})
        await self._lock.acquire()
        previous = (self.state, self.reason)
        self.set_state(State.BUSY, None)
        cancel = threading.Event()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, fn, cancel, *args)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            cancel.set()
            timed_out = isinstance(exc, asyncio.TimeoutError)
            reason = f"no answer within {timeout:g} s" if timed_out else None
            if timed_out:
                self.set_state(State.ERROR, reason)
            loop.create_task(self._release_when_done(future, timed_out))
            if timed_out:
                raise RpcError(TIMEOUT, f"{self.kind} timed out", {"reason": reason}) from None
            raise
        except DeviceNotReady as exc:
            self._finish(State.NOT_READY, _describe(exc))
            raise RpcError(DEVICE_NOT_READY, f"{self.kind} not ready", {"reason": _describe(exc)}) from None
        except DeviceFailure as exc:
            self._finish(State.ERROR, _describe(exc))
            raise RpcError(DEVICE_ERROR, f"{self.kind} error", {"reason": _describe(exc)}) from None
        except RpcError:
            self._finish(*previous)
            raise
        except Exception as exc:
            log.warning("%s: %s", self.id, _describe(exc))
            self._finish(State.ERROR, _describe(exc))
            raise RpcError(DEVICE_ERROR, f"{self.kind} error", {"reason": _describe(exc)}) from None
        self._finish(*self.ready_state())
        return outcome

    def ready_state(self) -> tuple[State, str | None]:
        """The state after a successful operation."""
        return State.READY, None

    def _finish(self, state: State, reason: str | None) -> None:
        self.set_state(state, reason)
        self._lock.release()

    async def _release_when_done(self, future: asyncio.Future, timed_out: bool) -> None:
        try:
            await future
        except BaseException:  # the caller is gone; the state below tells the rest
            pass
        self._lock.release()
        if timed_out or self.state is State.BUSY:
            self.set_state(State.READY, None)
            await self.refresh()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class Camera(Protocol):
    kind: str

    async def capture(self, width: int | None, height: int | None, quality: int) -> dict: ...

    async def scan_qr(self, timeout_s: float) -> dict: ...


class CardReader(Protocol):
    kind: str

    async def read(self, reader: str | None) -> dict: ...


class Printer(Protocol):
    kind: str
    paper_width: int

    async def print_receipt(self, receipt: Any) -> dict: ...

    def status(self) -> dict: ...


class Registry:
    """The agent's devices, one per kind, and the watcher that keeps their states current."""

    WATCH_SECONDS = 2.0

    def __init__(self, devices: list[Device]):
        self.devices = devices
        self._listeners: list[Callable[[str, dict], None]] = []
        self._watcher: asyncio.Task | None = None

    def get(self, kind: str) -> Device | None:
        return next((d for d in self.devices if d.kind == kind), None)

    def describe(self) -> list[dict]:
        return [d.describe() for d in self.devices]

    def listen(self, listener: Callable[[str, dict], None]) -> None:
        """listener(method, params) for notifications: device.changed, card.inserted, card.removed."""
        self._listeners.append(listener)

    def notify(self, method: str, params: dict) -> None:
        for listener in self._listeners:
            listener(method, params)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for device in self.devices:
            device.attach(loop, lambda d: self.notify("device.changed", d.describe()))
            if hasattr(device, "on_card_event"):
                device.on_card_event = self.notify  # type: ignore[attr-defined]
            device.start()
        await asyncio.gather(*(d.refresh() for d in self.devices))
        self._watcher = loop.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.WATCH_SECONDS)
            await asyncio.gather(*(d.refresh() for d in self.devices), return_exceptions=True)

    async def stop(self) -> None:
        if self._watcher:
            self._watcher.cancel()
        for device in self.devices:
            device.stop()
