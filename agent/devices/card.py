"""Smart-card reader through PC/SC (pcscd on Linux, WinSCard on Windows) with pyscard's low-level
API. A monitor thread waits on SCardGetStatusChange and reports card.inserted / card.removed and
the reader's state; when the service goes away (pcscd stopped) the device is not_ready with the
reason and the monitor re-establishes its context until the service is back."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from agent.devices.base import Device, DeviceFailure, DeviceNotReady, State
from agent.protocol import DEVICE_NOT_READY, INVALID_PARAMS, RpcError

PNP = "\\\\?PnP?\\Notification"
GET_DATA_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
WAIT_MS = 500
RELIST_EVERY = 10                     # waits; also re-list readers without a PnP event
NO_SERVICE = "PC/SC service not available (is pcscd running?)"
NO_READER = "no card reader connected"
NO_CARD = "no card in the reader"


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


def is_contactless_atr(atr: bytes) -> bool:
    """PC/SC part 3: a contactless card behind a PC/SC reader has the ATR 3B 8n 80 01 ..."""
    return len(atr) >= 4 and atr[0] == 0x3B and atr[1] & 0xF0 == 0x80 and atr[2:4] == b"\x80\x01"


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class CardReaderBase(Device):
    kind = "card"

    def __init__(self, device_id: str, name: str):
        super().__init__(device_id, name)
        self.on_card_event = lambda method, params: None     # set by the Registry
        self.readers: dict[str, bool] = {}                    # reader name → card present

    def describe(self) -> dict:
        info = super().describe()
        info["readers"] = [{"name": name, "card": card} for name, card in sorted(self.readers.items())]
        return info

    async def read(self, reader: str | None) -> dict:
        return await self.run(self.read_sync, reader, timeout=10)

    def read_sync(self, cancel, reader: str | None) -> dict:
        raise NotImplementedError

    def emit_threadsafe(self, method: str, params: dict) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.on_card_event, method, params)


class PcscCardReader(CardReaderBase):
    def __init__(self, reader_filter: str | None = None, uid: str = "auto"):
        super().__init__("card", "Pembaca kartu (PC/SC)")
        if uid not in ("auto", "always", "never"):
            raise ValueError("card uid must be auto, always or never")
        self.reader_filter = (reader_filter or "").lower()
        self.uid_mode = uid
        self._monitor_state: tuple[State, str | None] = (State.NOT_READY, "starting")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state from the monitor thread ---------------------------------------------------------
    def probe(self) -> tuple[State, str | None]:
        return self._monitor_state

    def ready_state(self) -> tuple[State, str | None]:
        return self._monitor_state

    def _report(self, state: State, reason: str | None) -> None:
        if self._monitor_state != (state, reason):
            self._monitor_state = (state, reason)
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._apply_monitor_state)

    def _apply_monitor_state(self) -> None:
        if not self.busy:
            self.set_state(*self._monitor_state)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._monitor, name="card-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    def _wanted(self, names) -> list[str]:
        return [n for n in names if n != PNP and self.reader_filter in n.lower()]

    def _monitor(self) -> None:
        try:
            from smartcard import scard
        except ImportError:
            self._report(State.NOT_READY, "pyscard is not installed")
            return
        while not self._stopping.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                self._lose_all()
                self._report(State.NOT_READY, NO_SERVICE)
                self._stopping.wait(1.0)
                continue
            try:
                self._watch(scard, context)
            except Exception as exc:   # never let the monitor die: report and start over
                self._report(State.ERROR, f"card monitor: {exc}"[:200])
                self._stopping.wait(1.0)
            finally:
                scard.SCardReleaseContext(context)

    def _list(self, scard, context) -> list[str] | None:
        """Reader names, or None when the service is gone."""
        hresult, names = scard.SCardListReaders(context, [])
        if _u32(hresult) == _u32(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return self._wanted(names)

    def _watch(self, scard, context) -> None:
        gone = {_u32(scard.SCARD_E_NO_SERVICE), _u32(scard.SCARD_E_SERVICE_STOPPED),
                _u32(scard.SCARD_E_INVALID_HANDLE)}
        states: dict[str, int] = {}
        pnp_state = scard.SCARD_STATE_UNAWARE
        relist, waits = True, 0
        while not self._stopping.is_set():
            if relist or waits >= RELIST_EVERY:
                names = self._list(scard, context)
                if names is None:
                    self._lose_all()
                    self._report(State.NOT_READY, NO_SERVICE)
                    return
                for name in list(states):
                    if name not in names:
                        states.pop(name)
                        self._card_gone(name)
                        self._set_reader(name, None)
                for name in names:
                    states.setdefault(name, scard.SCARD_STATE_UNAWARE)
                    if name not in self.readers:
                        self._set_reader(name, False)
                self._report(State.READY if names else State.NOT_READY, None if names else NO_READER)
                relist, waits = False, 0
            query = [(name, state) for name, state in states.items()] + [(PNP, pnp_state)]
            hresult, answer = scard.SCardGetStatusChange(context, WAIT_MS, query)
            waits += 1
            code = _u32(hresult)
            if code == _u32(scard.SCARD_E_TIMEOUT):
                continue
            if code in gone:
                self._lose_all()
                self._report(State.NOT_READY, NO_SERVICE)
                return
            if code in (_u32(scard.SCARD_E_UNKNOWN_READER), _u32(scard.SCARD_E_READER_UNAVAILABLE)):
                relist = True
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                self._report(State.ERROR, scard.SCardGetErrorMessage(hresult))
                self._stopping.wait(1.0)
                return
            for name, event, atr in answer:
                current = event & ~scard.SCARD_STATE_CHANGED
                if name == PNP:
                    if event & scard.SCARD_STATE_CHANGED:
                        relist = True
                    pnp_state = current
                    continue
                if name not in states:
                    continue
                states[name] = current
                present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
                if present and not self.readers.get(name):
                    self._set_reader(name, True)
                    self.emit_threadsafe("card.inserted", {"reader": name, "atr": bytes(atr).hex().upper()})
                elif not present and self.readers.get(name):
                    self._card_gone(name)
                if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                    relist = True

    def _card_gone(self, name: str) -> None:
        if self.readers.get(name):
            self._set_reader(name, False)
            self.emit_threadsafe("card.removed", {"reader": name})

    def _set_reader(self, name: str, card: bool | None) -> None:
        """Replace the readers map (never mutate it: the event loop thread reads it)."""
        readers = dict(self.readers)
        if card is None:
            readers.pop(name, None)
        else:
            readers[name] = card
        self.readers = readers

    def _lose_all(self) -> None:
        for name in list(self.readers):
            self._card_gone(name)
        self.readers = {}

    # -- card.read -----------------------------------------------------------------------------
    def read_sync(self, cancel, reader: str | None) -> dict:
        try:
            from smartcard import scard
        except ImportError:
            raise DeviceNotReady("pyscard is not installed") from None
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise DeviceNotReady(NO_SERVICE)
        try:
            names = self._list(scard, context)
            if names is None:
                raise DeviceNotReady(NO_SERVICE)
            if not names:
                raise DeviceNotReady(NO_READER)
            if reader is not None:
                if reader not in names:
                    raise RpcError(INVALID_PARAMS, f"unknown reader: {reader}")
                candidates = [reader]
            else:
                candidates = names
            hresult, answer = scard.SCardGetStatusChange(
                context, 0, [(name, scard.SCARD_STATE_UNAWARE) for name in candidates])
            with_card = [name for name, event, _ in answer if event & scard.SCARD_STATE_PRESENT] \
                if hresult == scard.SCARD_S_SUCCESS else []
            if not with_card:
                raise RpcError(DEVICE_NOT_READY, "no card", {"reason": NO_CARD})
            return self._read_card(scard, context, with_card[0])
        finally:
            scard.SCardReleaseContext(context)

    def _read_card(self, scard, context, name: str) -> dict:
        hresult, card, protocol = scard.SCardConnect(
            context, name, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if _u32(hresult) in (_u32(scard.SCARD_E_NO_SMARTCARD), _u32(scard.SCARD_W_REMOVED_CARD),
                             _u32(scard.SCARD_W_UNRESPONSIVE_CARD)):
            raise RpcError(DEVICE_NOT_READY, "no card", {"reason": NO_CARD})
        if hresult != scard.SCARD_S_SUCCESS:
            raise DeviceFailure(f"cannot connect to the card: {scard.SCardGetErrorMessage(hresult)}")
        try:
            hresult, _reader, _state, _protocol, atr = scard.SCardStatus(card)
            if hresult != scard.SCARD_S_SUCCESS:
                raise RpcError(DEVICE_NOT_READY, "no card", {"reason": NO_CARD})
            atr = bytes(atr)
            uid = None
            if self.uid_mode == "always" or (self.uid_mode == "auto" and is_contactless_atr(atr)):
                hresult, response = scard.SCardTransmit(card, protocol, GET_DATA_UID)
                if hresult == scard.SCARD_S_SUCCESS and len(response) > 2 and response[-2:] == [0x90, 0x00]:
                    uid = bytes(response[:-2]).hex().upper()
            return {"reader": name, "atr": atr.hex().upper(), "uid": uid, "at": utc_now_iso()}
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
