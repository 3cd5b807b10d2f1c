"""Ticket verification by the spec, on a fixed clock (no agent process needed)."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.tickets import NonceStore, TicketError, TicketVerifier, load_public_key
from tests.agent.minting import PRINT_ONLY, mint, public_key_line

NOW = 1_800_000_000
ORIGIN = "http://127.0.0.1:5001"


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def verifier(key):
    return TicketVerifier(load_public_key(public_key_line(key)), clock=lambda: NOW)


def test_a_ticket_by_the_spec_grants_its_user_and_methods(key, verifier):
    grant = verifier.verify(mint(key, ORIGIN, methods=PRINT_ONLY, user="op1", role="operator", iat=NOW), ORIGIN)
    assert (grant.user, grant.role, grant.methods, grant.node) == ("op1", "operator", frozenset(PRINT_ONLY), "BUS-01")


@pytest.mark.parametrize("iat, lifetime, accepted", [
    (NOW - 59, 60, True), (NOW - 60, 60, False), (NOW + 29, 60, True), (NOW + 31, 60, False),
])
def test_expiry_is_strict_and_only_iat_has_30_seconds_of_skew(key, verifier, iat, lifetime, accepted):
    ticket = mint(key, ORIGIN, iat=iat, lifetime=lifetime)
    if accepted:
        verifier.verify(ticket, ORIGIN)
    else:
        with pytest.raises(TicketError):
            verifier.verify(ticket, ORIGIN)


def test_the_origin_must_match_the_connection_exactly(key, verifier):
    for origin in (None, "http://127.0.0.1:5002", ORIGIN + "/"):
        with pytest.raises(TicketError, match="another origin"):
            verifier.verify(mint(key, ORIGIN, iat=NOW), origin)


def test_a_refused_ticket_does_not_burn_its_nonce(key, verifier):
    ticket = mint(key, ORIGIN, iat=NOW)
    with pytest.raises(TicketError):
        verifier.verify(ticket, "http://elsewhere")
    verifier.verify(ticket, ORIGIN)
    with pytest.raises(TicketError, match="already used"):
        verifier.verify(ticket, ORIGIN)


def test_the_nonce_store_is_bounded_and_forgets_expired_nonces():
    store = NonceStore(capacity=2)
    store.use("a" * 22, NOW + 10, NOW)
    store.use("b" * 22, NOW + 10, NOW)
    with pytest.raises(TicketError, match="too many"):
        store.use("c" * 22, NOW + 10, NOW)
    store.use("c" * 22, NOW + 30, NOW + 11)        # a and b expired and were dropped
    assert len(store) == 1


@pytest.mark.parametrize("line", ["", "ed25519:", "rsa:AAAA", "ed25519:" + "A" * 10, "ed25519:AA==AA"])
def test_a_bad_key_line_is_refused_with_a_message(line):
    with pytest.raises(ValueError):
        load_public_key(line)


def test_the_key_line_may_carry_whitespace(key):
    load_public_key("  " + public_key_line(key) + "\n")
