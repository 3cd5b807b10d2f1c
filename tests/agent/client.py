"""A small synchronous JSON-RPC client of the agent (what agent.js does, in Python), plus a raw
HTTP handshake for the headers a websocket library will not send (a duplicated Host)."""
from __future__ import annotations

import base64
import json
import os
import socket
import time

from websockets.sync.client import connect


class RpcFailure(Exception):
    def __init__(self, error: dict):
        super().__init__(f"{error.get('code')}: {error.get('message')} {error.get('data') or ''}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data") or {}


class AgentClient:
    def __init__(self, url: str, origin: str | None, open_timeout: float = 10, **kwargs):
        self.ws = connect(url, origin=origin, max_size=None, open_timeout=open_timeout,
                          compression=None, **kwargs).__enter__()
        self.notifications: list[dict] = []
        self._next_id = 1
        self._responses: dict = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.ws.close()

    def send(self, method: str, params: dict | None = None) -> int:
        self._next_id += 1
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method,
                                 "params": params or {}}))
        return self._next_id

    def response(self, request_id, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while request_id not in self._responses:
            self._take(max(0.01, deadline - time.monotonic()))
        return self._responses.pop(request_id)

    def _take(self, timeout: float) -> dict:
        message = json.loads(self.ws.recv(timeout=timeout))
        if "id" in message:
            self._responses[message["id"]] = message
        else:
            self.notifications.append(message)
        return message

    def result(self, request_id, timeout: float = 30):
        message = self.response(request_id, timeout)
        if "error" in message:
            raise RpcFailure(message["error"])
        return message["result"]

    def call(self, method: str, params: dict | None = None, timeout: float = 30):
        return self.result(self.send(method, params), timeout)

    def auth(self, ticket: str):
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "auth", "params": {"ticket": ticket}}))
        return self.result(1)

    def notification(self, method: str, predicate=lambda params: True, timeout: float = 30) -> dict:
        """The first notification `method` whose params satisfy predicate (seen or coming)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for message in self.notifications[seen:]:
                if message["method"] == method and predicate(message["params"]):
                    self.notifications.remove(message)
                    return message["params"]
            seen = len(self.notifications)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} notification within {timeout:g} s")
            self._take(remaining)


def raw_handshake(port: int, headers: list[tuple[str, str]], path: str = "/v1") -> int:
    """Send an opening handshake with exactly these extra headers; return the HTTP status."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{name}: {value}" for name, value in headers]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])
