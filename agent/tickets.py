"""Tickets: the webapp signs (Ed25519), the agent verifies with the public key from pairing.

Format (docs/agent-protocol.md, "Tickets"): `kpt1.<payload_b64url>.<sig_b64url>`, no padding; the
signature is over the ASCII bytes `kpt1.<payload_b64url>`; the payload is compact JSON with
v, sub, role, origin, methods, iat, exp, nonce, node. A nonce is accepted once.
"""
from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "kpt1"
KEY_PREFIX = "ed25519:"
MAX_TICKET_CHARS = 4096
CLOCK_SKEW_SECONDS = 30          # allowed on iat only (a webapp clock slightly ahead)
MAX_LIFETIME_SECONDS = 3600      # exp - iat; the webapp issues 60 s tickets
MAX_NONCES = 10_000


class TicketError(Exception):
    """The ticket is refused; `reason` says why (sent to the client, logged)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    """What an accepted ticket allows on this connection."""
    user: str
    role: str
    origin: str
    methods: frozenset[str]
    expires_at: int
    node: str | None


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_public_key(line: str) -> Ed25519PublicKey:
    """`ed25519:<base64url of the raw 32-byte key>` (what `flask agent pubkey` prints)."""
    line = line.strip()
    if not line.startswith(KEY_PREFIX):
        raise ValueError("the ticket key must look like 'ed25519:<base64url>' "
                         "(the line `flask --app webapp agent pubkey` prints)")
    try:
        raw = b64url_decode(line[len(KEY_PREFIX):])
    except (ValueError, binascii.Error):
        raise ValueError("the ticket key is not valid base64url") from None
    if len(raw) != 32:
        raise ValueError("the ticket key must be 32 bytes (Ed25519)")
    return Ed25519PublicKey.from_public_bytes(raw)


class NonceStore:
    """Nonces seen, each kept until its ticket expires. Bounded: when full of live nonces a new
    ticket is refused (only the key holder can mint tickets, so this is not an outside lever)."""

    def __init__(self, capacity: int = MAX_NONCES):
        self.capacity = capacity
        self._expiry: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._expiry)

    def use(self, nonce: str, expires_at: int, now: float) -> None:
        if nonce in self._expiry and self._expiry[nonce] > now:
            raise TicketError("ticket already used")
        if len(self._expiry) >= self.capacity:
            self._expiry = {n: e for n, e in self._expiry.items() if e > now}
            if len(self._expiry) >= self.capacity:
                raise TicketError("too many live tickets; try again in a minute")
        self._expiry[nonce] = expires_at


class TicketVerifier:
    def __init__(self, public_key: Ed25519PublicKey, clock: Callable[[], float] = time.time,
                 nonces: NonceStore | None = None):
        self.public_key = public_key
        self.clock = clock
        self.nonces = nonces or NonceStore()

    def verify(self, ticket: object, origin: str | None) -> Grant:
        if not isinstance(ticket, str) or len(ticket) > MAX_TICKET_CHARS:
            raise TicketError("malformed ticket")
        parts = ticket.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise TicketError("malformed ticket")
        try:
            payload_raw = b64url_decode(parts[1])
            signature = b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            raise TicketError("malformed ticket") from None
        try:
            self.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
        except (InvalidSignature, ValueError):
            raise TicketError("bad signature (is the agent paired with this webapp?)") from None
        try:
            payload = json.loads(payload_raw)
        except ValueError:
            raise TicketError("malformed ticket payload") from None
        grant, nonce, issued_at = _read_payload(payload)
        now = self.clock()
        if grant.expires_at <= now:
            raise TicketError("ticket expired")
        if issued_at > now + CLOCK_SKEW_SECONDS:
            raise TicketError("ticket issued in the future (check the clocks)")
        if grant.expires_at - issued_at > MAX_LIFETIME_SECONDS:
            raise TicketError("ticket lifetime too long")
        if origin is None or grant.origin != origin:
            raise TicketError("ticket was issued for another origin")
        self.nonces.use(nonce, grant.expires_at, now)
        return grant


def _read_payload(payload: object) -> tuple[Grant, str, int]:
    def bad(field: str) -> TicketError:
        return TicketError(f"malformed ticket payload ({field})")

    if not isinstance(payload, dict):
        raise bad("not an object")
    if payload.get("v") != 1 or isinstance(payload.get("v"), bool):
        raise TicketError("unsupported ticket version")
    for field in ("sub", "role", "origin", "nonce"):
        if not isinstance(payload.get(field), str) or not payload[field]:
            raise bad(field)
    for field in ("iat", "exp"):
        if isinstance(payload.get(field), bool) or not isinstance(payload.get(field), int):
            raise bad(field)
    methods = payload.get("methods")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise bad("methods")
    node = payload.get("node")
    if node is not None and not isinstance(node, str):
        raise bad("node")
    if len(payload["nonce"]) < 16 or len(payload["nonce"]) > 64:
        raise bad("nonce")
    grant = Grant(user=payload["sub"], role=payload["role"], origin=payload["origin"],
                  methods=frozenset(methods), expires_at=payload["exp"], node=node)
    return grant, payload["nonce"], payload["iat"]
