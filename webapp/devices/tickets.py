"""Tickets for the hardware agent (docs/agent-protocol.md, "Tickets").

The web app signs, the agent verifies with the public key it was given at pairing
(`flask agent pubkey`), so verification works offline and an agent's config mints nothing.

    kpt1.<payload b64url>.<signature b64url>        (base64url without padding)

The signature is Ed25519 over the ASCII bytes `kpt1.<payload b64url>`; the payload is compact
JSON with sorted keys: v, sub, role, origin, methods, iat, exp, nonce (16 random bytes), node.
The private key lives in `<instance>/agent-ticket-key.pem` (PKCS8, 0600, made on first use;
AGENT_TICKET_KEY_FILE elsewhere).

Who may use which device is decided here (`methods_for`): on the bus (the field node, or an
office whose AGENT_DESK is "field") the field team may capture, read cards, scan and print; at
the office's pick-up desk (AGENT_DESK "pickup", the office's default) the desk staff may scan
receipt QR codes and print. Other roles get no ticket.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from webapp.auth.roles import Role

PREFIX = "kpt1"
VERSION = 1
KEY_FILE_NAME = "agent-ticket-key.pem"
PUBLIC_KEY_PREFIX = "ed25519:"
NONCE_BYTES = 16

# Every valid ticket may call these; device methods only when the ticket lists them.
ALWAYS_ALLOWED = ("agent.info", "devices.list")
FIELD_METHODS = ("camera.capture", "camera.scan_qr", "card.read", "printer.print", "printer.status")
PICKUP_METHODS = ("camera.scan_qr", "printer.print", "printer.status")
PRINT_ONLY = ("printer.print", "printer.status")
DEVICE_METHODS = frozenset(FIELD_METHODS)

FIELD_DESK = "field"
PICKUP_DESK = "pickup"
DESKS = (FIELD_DESK, PICKUP_DESK)
# The field team on the bus; the staff of the office's pick-up desk (webapp.documents.pickup_views).
FIELD_TEAM = frozenset({Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN})
DESK_STAFF = frozenset({Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN})


# --- who may use which device ------------------------------------------------------------------------

def agent_url(app=None) -> str:
    """The agent's base URL (AGENT_URL, no trailing slash); empty: no agent on this installation."""
    return str((app or current_app).config.get("AGENT_URL") or "").strip().rstrip("/")


def desk(app=None) -> str:
    """Which devices this installation's pages use: AGENT_DESK, else "field" on a field node and
    "pickup" at the office."""
    config = (app or current_app).config
    chosen = str(config.get("AGENT_DESK") or "").strip().lower()
    if chosen in DESKS:
        return chosen
    return FIELD_DESK if str(config.get("ROLE") or "").strip().lower() == "field" else PICKUP_DESK


def methods_for(role: str | None, desk_name: str) -> tuple[str, ...]:
    """The device methods a user of this role may call at this desk (empty: no devices)."""
    if desk_name == FIELD_DESK and role in FIELD_TEAM:
        return FIELD_METHODS
    if desk_name == PICKUP_DESK and role in DESK_STAFF:
        return PICKUP_METHODS
    return ()


def user_methods(user, app=None) -> tuple[str, ...]:
    """What this user may do with the agent here; empty when no agent is configured."""
    if not agent_url(app) or not getattr(user, "is_authenticated", False):
        return ()
    return methods_for(getattr(user, "role", None), desk(app))


# --- the key ---------------------------------------------------------------------------------------------

def key_path(app=None) -> Path:
    app = app or current_app
    configured = app.config.get("AGENT_TICKET_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / KEY_FILE_NAME


def _write_new_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:   # owner-only (0600) from the first byte
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(pem)
    except FileExistsError:   # another process made it meanwhile: use theirs
        pass


def private_key(app=None) -> Ed25519PrivateKey:
    """The signing key, made on first use."""
    path = key_path(app)
    if not path.exists():
        _write_new_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_line(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """`ed25519:<base64url of the raw 32-byte public key>`: the line the agent's key file holds."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + b64url(raw)


# --- tickets ---------------------------------------------------------------------------------------------

def clean_origin(origin: str) -> str:
    """`scheme://host[:port]` as a browser sends it in an Origin header; ValueError otherwise."""
    parts = urlsplit((origin or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") \
            or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"not an origin: {origin!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def mint(key: Ed25519PrivateKey, *, sub: str, role: str, origin: str, methods, node: str,
         seconds: int = 60, now: float | None = None) -> str:
    """A signed ticket for `sub` on the page at `origin`, allowing `methods` for `seconds`."""
    unknown = set(methods) - DEVICE_METHODS
    if unknown:
        raise ValueError(f"unknown device methods: {sorted(unknown)}")
    issued = int(now if now is not None else time.time())
    payload = {
        "v": VERSION, "sub": sub, "role": str(role), "origin": clean_origin(origin),
        "methods": list(dict.fromkeys(methods)), "iat": issued, "exp": issued + int(seconds),
        "nonce": b64url(secrets.token_bytes(NONCE_BYTES)), "node": node,
    }
    body = b64url(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii"))
    signed = f"{PREFIX}.{body}"
    return f"{signed}.{b64url(key.sign(signed.encode('ascii')))}"


def ticket_seconds(app=None) -> int:
    return int((app or current_app).config.get("AGENT_TICKET_SECONDS") or 60)


def ticket_for(user, *, origin: str, methods=None, app=None) -> str:
    """A ticket for this user (the methods their role has here unless given)."""
    app = app or current_app
    chosen = methods_for(user.role, desk(app)) if methods is None else tuple(methods)
    return mint(private_key(app), sub=user.username, role=user.role, origin=origin, methods=chosen,
                node=str(app.config.get("NODE_ID") or "OFFICE"), seconds=ticket_seconds(app))
