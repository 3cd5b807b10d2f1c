"""JSON-RPC 2.0 framing of the agent protocol (docs/agent-protocol.md): error codes, the one
exception every layer raises to answer a request with an error, and the message builders."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNAUTHORIZED = 4001          # no or bad ticket, or a method the ticket does not allow
DEVICE_BUSY = 4002           # the device is serving another call
DEVICE_NOT_READY = 4003      # data: {"reason": ...}
DEVICE_ERROR = 4004          # data: {"reason": ...}
TIMEOUT = 4005

# Close codes of the websocket (application range 4000-4999).
CLOSE_UNAUTHORIZED = 4401
CLOSE_AUTH_TIMEOUT = 4408

# Methods any valid ticket may call; every other method must be listed in the ticket.
ALWAYS_ALLOWED = frozenset({"agent.info", "devices.list"})
DEVICE_METHODS = frozenset({"camera.capture", "camera.scan_qr", "card.read",
                            "printer.print", "printer.status"})


class RpcError(Exception):
    """Answer the current request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.request_id = None     # set when the id of a malformed request could be read

    def to_dict(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass(frozen=True)
class Request:
    id: int | str | None          # None: a notification from the client (never answered)
    method: str
    params: dict

    @property
    def is_notification(self) -> bool:
        return self.id is None


def dumps(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def result(request_id, value) -> str:
    return dumps({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id, err: RpcError) -> str:
    return dumps({"jsonrpc": "2.0", "id": request_id, "error": err.to_dict()})


def notification(method: str, params: dict) -> str:
    return dumps({"jsonrpc": "2.0", "method": method, "params": params})


def parse_request(raw: str | bytes) -> Request:
    """One text frame → a Request, or RpcError (parse error / invalid request). The error carries
    the request's id in `request_id` where one could be read."""
    if isinstance(raw, bytes):
        raise RpcError(INVALID_REQUEST, "binary frames are not accepted")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise RpcError(PARSE_ERROR, "parse error") from None
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "invalid request (batches are not supported)")
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str, type(None))):
        raise RpcError(INVALID_REQUEST, "invalid request id")
    if isinstance(request_id, str) and len(request_id) > 64:
        raise RpcError(INVALID_REQUEST, "invalid request id")
    method = message.get("method")
    params = message.get("params", {})
    if message.get("jsonrpc") != "2.0" or not isinstance(method, str) or len(method) > 64:
        raise _with_id(RpcError(INVALID_REQUEST, "invalid request"), request_id)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _with_id(RpcError(INVALID_PARAMS, "params must be an object"), request_id)
    return Request(request_id, method, params)


def _with_id(err: RpcError, request_id) -> RpcError:
    err.request_id = request_id
    return err


# Parameter helpers: each raises INVALID_PARAMS with the parameter's name.

def int_param(params: dict, name: str, default: int | None, low: int, high: int) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RpcError(INVALID_PARAMS, f"{name} must be an integer from {low} to {high}")
    return value


def number_param(params: dict, name: str, default: float, low: float, high: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RpcError(INVALID_PARAMS, f"{name} must be a number from {low} to {high}")
    return float(value)


def str_param(params: dict, name: str, max_len: int = 200) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise RpcError(INVALID_PARAMS, f"{name} must be a string of at most {max_len} characters")
    return value


def check_known(params: dict, known: set[str]) -> None:
    unknown = sorted(set(params) - known)
    if unknown:
        raise RpcError(INVALID_PARAMS, f"unknown parameter: {unknown[0]}")
