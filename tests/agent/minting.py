"""Test tickets minted from the spec (docs/agent-protocol.md, "Tickets"), independent of the
webapp's own minting code: the agent must accept what the spec describes."""
from __future__ import annotations

import base64
import json
import secrets
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FIELD_METHODS = ["camera.capture", "camera.scan_qr", "card.read", "printer.print", "printer.status"]
PRINT_ONLY = ["printer.print", "printer.status"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_key_line(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + b64url(raw)


def mint(private_key: Ed25519PrivateKey, origin: str, *, methods=FIELD_METHODS, user="petugas1",
         role="petugas", iat: int | None = None, lifetime: int = 60, nonce: str | None = None,
         node="BUS-01", v=1, payload_extra: dict | None = None) -> str:
    iat = int(time.time()) if iat is None else iat
    payload = {"v": v, "sub": user, "role": role, "origin": origin, "methods": list(methods),
               "iat": iat, "exp": iat + lifetime, "nonce": nonce or b64url(secrets.token_bytes(16)),
               "node": node, **(payload_extra or {})}
    body = "kpt1." + b64url(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    return body + "." + b64url(private_key.sign(body.encode("ascii")))
