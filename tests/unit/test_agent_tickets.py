"""Tickets for the hardware agent, checked the way the agent checks them: the Ed25519 signature
with the public key line `flask agent pubkey` prints, the exact string format and the payload
(docs/agent-protocol.md "Tickets"); and which roles get which devices where."""
from __future__ import annotations

import base64
import json
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from webapp.auth.roles import Role
from webapp.devices import tickets

B64URL = re.compile(r"[A-Za-z0-9_-]+")
NOW = 1_796_000_000


def unb64(text: str) -> bytes:
    assert B64URL.fullmatch(text), "base64url without padding"
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(ticket: str, pubkey_line: str) -> dict:
    """What the agent does: split, check the signature over "kpt1.<payload>", read the payload."""
    prefix, body, signature = ticket.split(".")
    assert prefix == "kpt1"
    assert pubkey_line.startswith("ed25519:")
    public = Ed25519PublicKey.from_public_bytes(unb64(pubkey_line[len("ed25519:"):]))
    public.verify(unb64(signature), f"{prefix}.{body}".encode("ascii"))
    raw = unb64(body)
    payload = json.loads(raw)
    assert raw == json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")   # compact, sorted
    return payload


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


def mint(key, **kwargs):
    values = dict(sub="petugas.rahmat", role="petugas", origin="http://127.0.0.1:5001",
                  methods=tickets.FIELD_METHODS, node="BUS-01", seconds=60, now=NOW)
    return tickets.mint(key, **{**values, **kwargs})


def test_a_ticket_verifies_with_the_printed_public_key_and_says_who_where_what_until_when(key):
    line = tickets.public_key_line(key)
    assert re.fullmatch(r"ed25519:[A-Za-z0-9_-]{43}", line)          # 32 raw bytes
    payload = verify(mint(key), line)
    nonce = payload.pop("nonce")
    assert payload == {"v": 1, "sub": "petugas.rahmat", "role": "petugas", "origin": "http://127.0.0.1:5001",
                       "methods": list(tickets.FIELD_METHODS), "iat": NOW, "exp": NOW + 60, "node": "BUS-01"}
    assert len(nonce) == 22 and len(unb64(nonce)) == 16


def test_every_ticket_has_its_own_nonce(key):
    nonces = {verify(mint(key), tickets.public_key_line(key))["nonce"] for _ in range(50)}
    assert len(nonces) == 50


def test_another_key_or_a_changed_payload_does_not_verify(key):
    ticket = mint(key)
    with pytest.raises(InvalidSignature):
        verify(ticket, tickets.public_key_line(Ed25519PrivateKey.generate()))
    prefix, body, signature = ticket.split(".")
    widened = json.loads(unb64(body)) | {"methods": list(tickets.FIELD_METHODS) + ["camera.capture"]}
    forged = tickets.b64url(json.dumps(widened, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(InvalidSignature):
        verify(f"{prefix}.{forged}.{signature}", tickets.public_key_line(key))


def test_a_print_only_ticket_lists_only_printing(key):
    payload = verify(mint(key, methods=tickets.PRINT_ONLY), tickets.public_key_line(key))
    assert payload["methods"] == ["printer.print", "printer.status"]


def test_origins_are_kept_as_a_browser_sends_them_and_anything_else_is_refused(key):
    assert verify(mint(key, origin="HTTP://127.0.0.1:5000/"), tickets.public_key_line(key))["origin"] \
        == "http://127.0.0.1:5000"
    for bad in ("null", "", "127.0.0.1:5000", "http://127.0.0.1:5000/halaman", "ws://127.0.0.1:8765",
                "http://user@127.0.0.1:5000", "http://127.0.0.1:5000?x=1"):
        with pytest.raises(ValueError):
            mint(key, origin=bad)


def test_unknown_methods_are_refused_and_the_wildcard_is_not_a_method(key):
    for methods in (["*"], ["camera.capture", "shell.exec"], ["auth"]):
        with pytest.raises(ValueError):
            mint(key, methods=methods)


def test_the_key_is_made_once_owner_only_and_read_again(tmp_path):
    class App:
        config = {"AGENT_TICKET_KEY_FILE": str(tmp_path / "kunci" / "agent-ticket-key.pem")}
        instance_path = str(tmp_path)
    first = tickets.private_key(App)
    path = tmp_path / "kunci" / "agent-ticket-key.pem"
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert path.stat().st_mode & 0o777 == 0o600
    assert tickets.public_key_line(tickets.private_key(App)) == tickets.public_key_line(first)


@pytest.mark.parametrize("role", [Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN])
def test_on_the_bus_the_field_team_uses_every_device(role):
    assert tickets.methods_for(role, tickets.FIELD_DESK) == tickets.FIELD_METHODS


def test_at_the_pick_up_desk_the_desk_staff_scan_and_print_only():
    for role in (Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN):
        assert tickets.methods_for(role, tickets.PICKUP_DESK) == ("camera.scan_qr", "printer.print", "printer.status")
    assert tickets.methods_for(Role.PETUGAS, tickets.PICKUP_DESK) == ()


@pytest.mark.parametrize("role", [Role.KEPALA_DINAS, Role.VIEWER, Role.KEPALA_DESA, None])
def test_other_roles_have_no_devices_anywhere(role):
    assert tickets.methods_for(role, tickets.FIELD_DESK) == tickets.methods_for(role, tickets.PICKUP_DESK) == ()


def test_the_desk_follows_the_node_unless_configured():
    class App:
        def __init__(self, **config):
            self.config = config
    assert tickets.desk(App(ROLE="field")) == "field"
    assert tickets.desk(App(ROLE="office")) == "pickup"
    assert tickets.desk(App(ROLE="office", AGENT_DESK="field")) == "field"
    assert tickets.desk(App(ROLE="field", AGENT_DESK="nonsense")) == "field"
