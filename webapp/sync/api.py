"""The /sync/v1/ JSON API's plumbing: bearer-token authentication of a node, JSON bodies with a size
limit (optionally gzip-compressed), JSON errors. Views use `@node_api` and `read_json()`.

Every answer is JSON, errors included ({"error": code, "message": words}): 400 unreadable body,
401 missing/wrong/revoked token, 403 a token used for another node's name, 413 body too large."""
from __future__ import annotations

import json
import logging
import zlib
from functools import wraps
from typing import Callable

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.core.changes import audit
from webapp.core.uow import keep_after_rollback
from webapp.sync import nodes

log = logging.getLogger("webapp.sync")

DEFAULT_PUSH_MAX_BYTES = 2 * 1024 * 1024        # one push batch (decompressed)
DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024      # one media part
API_PREFIX = "/sync/v1/"


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str = "") -> None:
        super().__init__(message or error)
        self.status, self.error, self.message = status, error, message or error


def json_error(status: int, error: str, message: str = ""):
    return jsonify({"error": error, "message": message or error}), status


def push_limit() -> int:
    return int(current_app.config.get("SYNC_PUSH_MAX_BYTES", DEFAULT_PUSH_MAX_BYTES))


def media_limit() -> int:
    return int(current_app.config.get("SYNC_MEDIA_MAX_BYTES", DEFAULT_MEDIA_MAX_BYTES))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def read_body(limit: int, *, inflate: bool = True) -> bytes:
    """The request body, at most `limit` bytes (413 beyond: before reading when the length is
    declared, while reading otherwise); a gzip body is inflated up to the same limit."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, "too_large", f"body over {limit} bytes")
    request.max_content_length = limit
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise ApiError(413, "too_large", f"body over {limit} bytes") from None
    if inflate and request.headers.get("Content-Encoding", "").strip().lower() == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise ApiError(400, "bad_body", "gzip body cannot be read") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise ApiError(413, "too_large", f"body over {limit} bytes once inflated")
    return body


def read_json(limit: int | None = None) -> dict:
    body = read_body(push_limit() if limit is None else limit)
    try:
        found = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_json", "body is not JSON") from None
    if not isinstance(found, dict):
        raise ApiError(400, "bad_json", "body must be a JSON object")
    return found


def _refuse_revoked(node) -> None:
    """A revoked node's attempt is a fact worth keeping (the answer is a 401)."""
    audit("sync_refused", entity_type="sync_node", entity_id=node.id, summary=f"{node.code}: token sudah dicabut")
    keep_after_rollback()


def node_api(view: Callable) -> Callable:
    """Authenticate the caller by `Authorization: Bearer <token>` (401 JSON otherwise) and pass the
    FieldNode as the view's first argument; ApiErrors raised by the view become JSON answers.
    A body naming another node ("node": …) gets 403."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        node = nodes.authenticate(bearer_token())
        if node is None:
            log.warning("sync: refused a call to %s without a valid token", request.path)
            return json_error(401, "unauthorized", "missing or wrong token")
        if not node.active:
            _refuse_revoked(node)
            return json_error(401, "revoked", "this node's token was revoked")
        g.sync_node = node
        try:
            return view(node, *args, **kwargs)
        except ApiError as error:
            return json_error(error.status, error.error, error.message)
    return wrapper


def check_node_name(node, payload: dict) -> None:
    named = payload.get("node")
    if named is not None and nodes.normalise_code(str(named)) != node.code:
        raise ApiError(403, "node_mismatch", "the token belongs to another node")
