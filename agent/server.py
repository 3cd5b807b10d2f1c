"""The agent's websocket server: handshake checks, ticket auth in the first message, JSON-RPC
dispatch to the device registry, notifications. It knows devices only through agent.devices.base
(the registry and the Camera / CardReader / Printer interfaces), never a driver library.

Per connection: the HTTP handshake is refused with 403 unless Host is exactly 127.0.0.1:PORT or
localhost:PORT and Origin is in the allow-list; then the first message must be `auth` with a valid
ticket within AUTH_TIMEOUT seconds (else close 4408 / 4401). Requests run concurrently (at most
MAX_IN_FLIGHT per connection); notifications wait in a bounded queue and the oldest are dropped
when a client does not read.
"""
from __future__ import annotations

import asyncio
import http
import inspect
import logging
import time
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest

from agent import __version__
from agent import protocol as rpc
from agent.devices.base import Registry
from agent.devices.receipt import Receipt
from agent.protocol import RpcError
from agent.tickets import Grant, TicketError, TicketVerifier

log = logging.getLogger("agent")

MAX_MESSAGE_BYTES = 256 * 1024      # incoming frames; photos go out larger
MAX_IN_FLIGHT = 8                    # concurrent requests per connection
NOTIFY_QUEUE = 64                    # notifications waiting per connection


class RateLimitedLog:
    """At most `burst` lines per category per `window` seconds; then one 'suppressed' summary."""

    def __init__(self, logger: logging.Logger, burst: int = 10, window: float = 60.0):
        self.logger, self.burst, self.window = logger, burst, window
        self._counts: dict[str, tuple[float, int]] = {}

    def warning(self, category: str, message: str, *args, **kwargs) -> None:
        now = time.monotonic()
        started, count = self._counts.get(category, (now, 0))
        if now - started > self.window:
            if count > self.burst:
                self.logger.warning("%s: %d more suppressed", category, count - self.burst)
            started, count = now, 0
        count += 1
        self._counts[category] = (started, count)
        if count <= self.burst:
            self.logger.warning(message, *args, **kwargs)


@dataclass(eq=False)
class Session:
    ws: ServerConnection
    grant: Grant
    notifications: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(NOTIFY_QUEUE))
    in_flight: set = field(default_factory=set)
    dropped: int = 0

    def allows(self, method: str) -> bool:
        return method in rpc.ALWAYS_ALLOWED or method in self.grant.methods

    def push(self, message: str) -> None:
        if self.notifications.full():
            self.notifications.get_nowait()
            self.dropped += 1
        self.notifications.put_nowait(message)

    async def pump(self) -> None:
        try:
            while True:
                await self.ws.send(await self.notifications.get())
        except ConnectionClosed:
            pass


class AgentServer:
    def __init__(self, config, registry: Registry, verifier: TicketVerifier):
        self.config = config
        self.registry = registry
        self.verifier = verifier
        self.sessions: set[Session] = set()
        self.connections = 0
        self.warn = RateLimitedLog(log)
        self.server = None
        self.port: int | None = None
        registry.listen(self.broadcast)
        self.methods = {
            "agent.info": self.agent_info,
            "devices.list": self.devices_list,
            "camera.capture": self.camera_capture,
            "camera.scan_qr": self.camera_scan_qr,
            "card.read": self.card_read,
            "printer.print": self.printer_print,
            "printer.status": self.printer_status,
        }
        if config.simulate:
            self.methods["simulate.card"] = self.simulate_card

    # -- life cycle ----------------------------------------------------------------------------
    async def start(self) -> int:
        await self.registry.start()
        self.server = await serve(
            self.handle, "127.0.0.1", self.config.port,
            process_request=self.check_handshake,
            compression=None,
            max_size=MAX_MESSAGE_BYTES,
            max_queue=16,
            write_limit=2 ** 20,
            open_timeout=10,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=5,
            server_header=f"ketupat-agent/{__version__}",
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        await self.registry.stop()

    # -- handshake -----------------------------------------------------------------------------
    def check_handshake(self, connection: ServerConnection, request: HttpRequest):
        """Refuse with 403 a wrong Host (or several), a missing, `null` or foreign Origin."""
        port = connection.transport.get_extra_info("sockname")[1]
        hosts = request.headers.get_all("Host")
        origins = request.headers.get_all("Origin")
        refusal = None
        if len(hosts) != 1 or hosts[0].lower() not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            refusal = "host"
        elif len(origins) != 1 or origins[0] not in self.config.allow_origins:
            refusal = "origin"
        elif request.path != "/v1":
            self.warn.warning("handshake", "refused handshake: path %.80r", request.path)
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Not found: the agent serves /v1\n")
        elif self.connections >= self.config.max_connections:
            self.warn.warning("handshake", "refused handshake: %d connections open", self.connections)
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "Too many connections\n")
        if refusal:
            self.warn.warning("handshake", "refused handshake: %s (Host %.80r, Origin %.80r)",
                              refusal, ",".join(hosts), ",".join(origins))
            return connection.respond(http.HTTPStatus.FORBIDDEN, "Forbidden\n")
        return None

    # -- connection ----------------------------------------------------------------------------
    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        try:
            session = await self.authenticate(ws)
            if session is not None:
                await self.serve_session(session)
        except ConnectionClosed:
            pass
        finally:
            self.connections -= 1

    async def authenticate(self, ws: ServerConnection) -> Session | None:
        try:
            raw = await asyncio.wait_for(ws.recv(), self.config.auth_timeout)
        except asyncio.TimeoutError:
            await ws.close(rpc.CLOSE_AUTH_TIMEOUT, "auth timeout")
            return None
        request_id = None
        try:
            request = rpc.parse_request(raw)
            request_id = request.id
            if request.method != "auth" or request.is_notification:
                raise RpcError(rpc.UNAUTHORIZED, "unauthorized", {"reason": "the first message must be auth"})
            grant = self.verifier.verify(request.params.get("ticket"), ws.request.headers.get("Origin"))
        except TicketError as exc:
            self.warn.warning("auth", "refused ticket: %s", exc.reason)
            err = RpcError(rpc.UNAUTHORIZED, "unauthorized", {"reason": exc.reason})
        except RpcError as exc:
            self.warn.warning("auth", "refused first message: %s", exc.message)
            err = exc if exc.code == rpc.UNAUTHORIZED else RpcError(
                rpc.UNAUTHORIZED, "unauthorized", {"reason": exc.message})
            request_id = exc.request_id if request_id is None else request_id
        else:
            log.info("connection authenticated: %s (%s)", grant.user, grant.role)
            methods = sorted(rpc.ALWAYS_ALLOWED | (grant.methods & set(self.methods)))
            await ws.send(rpc.result(request.id, {
                "user": grant.user, "methods": methods,
                "agent": {"version": __version__, "node": self.config.node}}))
            return Session(ws, grant)
        await ws.send(rpc.error(request_id, err))
        await ws.close(rpc.CLOSE_UNAUTHORIZED, "unauthorized")
        return None

    async def serve_session(self, session: Session) -> None:
        self.sessions.add(session)
        pump = asyncio.create_task(session.pump())
        try:
            async for raw in session.ws:
                await self.on_message(session, raw)
        finally:
            self.sessions.discard(session)
            pump.cancel()
            for task in list(session.in_flight):
                task.cancel()

    async def on_message(self, session: Session, raw) -> None:
        try:
            request = rpc.parse_request(raw)
        except RpcError as exc:
            await self.send(session, rpc.error(exc.request_id, exc))
            return
        if request.is_notification:
            return                       # the agent takes no notifications from clients
        try:
            outcome = self.prepare(session, request)     # checks and params, before any device
        except RpcError as exc:
            await self.send(session, rpc.error(request.id, exc))
            return
        if not inspect.isawaitable(outcome):
            await self.send(session, rpc.result(request.id, outcome))
        elif len(session.in_flight) >= MAX_IN_FLIGHT:
            outcome.close()
            await self.send(session, rpc.error(request.id, RpcError(
                rpc.DEVICE_BUSY, "too many requests", {"reason": "too many requests in progress"})))
        else:
            task = asyncio.create_task(self.finish(session, request, outcome))
            session.in_flight.add(task)
            task.add_done_callback(session.in_flight.discard)

    def prepare(self, session: Session, request: rpc.Request):
        """The method's value, or a coroutine for device work; RpcError for a refusal."""
        handler = self.methods.get(request.method)
        if handler is None:
            if request.method == "auth":
                raise RpcError(rpc.INVALID_REQUEST, "already authenticated")
            raise RpcError(rpc.METHOD_NOT_FOUND, f"method not found: {request.method}")
        if not session.allows(request.method) and not request.method.startswith("simulate."):
            raise RpcError(rpc.UNAUTHORIZED, "method not allowed by the ticket",
                           {"reason": f"{request.method} is not in the ticket"})
        return handler(request.params, session)

    async def finish(self, session: Session, request: rpc.Request, work) -> None:
        try:
            message = rpc.result(request.id, await work)
        except RpcError as exc:
            message = rpc.error(request.id, exc)
        except Exception:
            self.warn.warning("internal", "%s failed", request.method, exc_info=True)
            message = rpc.error(request.id, RpcError(rpc.INTERNAL_ERROR, "internal error"))
        await self.send(session, message)

    @staticmethod
    async def send(session: Session, message: str) -> None:
        try:
            await session.ws.send(message)
        except ConnectionClosed:
            pass

    # -- notifications -------------------------------------------------------------------------
    def broadcast(self, method: str, params: dict) -> None:
        message = rpc.notification(method, params)
        needs = "card.read" if method.startswith("card.") else None
        for session in list(self.sessions):
            if needs is None or session.allows(needs):
                session.push(message)

    # -- methods -------------------------------------------------------------------------------
    def _device(self, kind: str):
        device = self.registry.get(kind)
        if device is None:
            raise RpcError(rpc.DEVICE_NOT_READY, f"no {kind} on this agent", {"reason": "not configured"})
        return device

    def agent_info(self, params: dict, session: Session) -> dict:
        return {"version": __version__, "protocol": 1, "node": self.config.node,
                "simulated": self.config.simulate, "devices": self.registry.describe()}

    def devices_list(self, params: dict, session: Session) -> list:
        return self.registry.describe()

    def camera_capture(self, params: dict, session: Session):
        rpc.check_known(params, {"width", "height", "quality"})
        width = rpc.int_param(params, "width", None, 16, 1920)
        height = rpc.int_param(params, "height", None, 16, 1920)
        quality = rpc.int_param(params, "quality", 85, 10, 100)
        return self._device("camera").capture(width, height, quality)

    def camera_scan_qr(self, params: dict, session: Session):
        rpc.check_known(params, {"timeout_s"})
        timeout_s = rpc.number_param(params, "timeout_s", 10.0, 0.1, 60.0)
        return self._device("camera").scan_qr(timeout_s)

    def card_read(self, params: dict, session: Session):
        rpc.check_known(params, {"reader"})
        return self._device("card").read(rpc.str_param(params, "reader"))

    def printer_print(self, params: dict, session: Session):
        rpc.check_known(params, {"receipt"})
        receipt = Receipt.from_params(params.get("receipt"))
        return self._print(self._device("printer"), receipt, session)

    @staticmethod
    async def _print(printer, receipt: Receipt, session: Session) -> dict:
        result = await printer.print_receipt(receipt)
        log.info("printed receipt %s for %s (%d bytes)", receipt.number, session.grant.user, result["bytes"])
        return result

    def printer_status(self, params: dict, session: Session):
        rpc.check_known(params, set())
        return self._device("printer").status()

    def simulate_card(self, params: dict, session: Session) -> dict:
        """--simulate only: put the simulated card in or take it out ({"present": bool})."""
        if not session.allows("card.read"):
            raise RpcError(rpc.UNAUTHORIZED, "method not allowed by the ticket",
                           {"reason": "card.read is not in the ticket"})
        present = params.get("present", True)
        if not isinstance(present, bool):
            raise RpcError(rpc.INVALID_PARAMS, "present must be true or false")
        card = self._device("card")
        card.set_present(present)
        return {"present": present}
