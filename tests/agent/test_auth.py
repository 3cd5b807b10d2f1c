"""The first message is `auth` with a ticket the webapp signed (Ed25519) for this user, origin,
methods and a short expiry, used once. Anything else closes the connection before any device is
touched; a ticket opens only the methods it lists."""
from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.exceptions import ConnectionClosed

from tests.agent.client import AgentClient, RpcFailure
from tests.agent.conftest import DESK_ORIGIN, ORIGIN, answers_info
from tests.agent.minting import PRINT_ONLY, mint

pytestmark = pytest.mark.hardware


def refused(agent, ticket_text: str, origin: str = ORIGIN):
    """Authenticate with ticket_text; return (error, close code) of the refusal."""
    client = AgentClient(agent.url, origin)
    with pytest.raises(RpcFailure) as failure:
        client.auth(ticket_text)
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=10)
    return failure.value, closed.value.rcvd.code


def test_a_good_ticket_authenticates_the_user_with_its_methods(sim_agent, ticket):
    with AgentClient(sim_agent.url, ORIGIN) as client:
        welcome = client.auth(ticket(user="op.desa", role="operator"))
        assert welcome["user"] == "op.desa"
        assert set(welcome["methods"]) >= {"agent.info", "devices.list", "camera.capture", "card.read"}
        assert welcome["agent"]["version"]
        assert client.call("agent.info")["devices"]


def test_an_expired_ticket_is_refused(sim_agent, ticket):
    error, code = refused(sim_agent, ticket(iat=int(time.time()) - 120, lifetime=60))
    assert (error.code, error.data["reason"], code) == (4001, "ticket expired", 4401)
    answers_info(sim_agent, ticket)


def test_a_ticket_is_accepted_once(sim_agent, ticket):
    once = ticket()
    with AgentClient(sim_agent.url, ORIGIN) as client:
        client.auth(once)
    error, code = refused(sim_agent, once)
    assert (error.data["reason"], code) == ("ticket already used", 4401)
    answers_info(sim_agent, ticket)


def test_a_ticket_for_another_origin_is_refused(sim_agent, ticket):
    error, code = refused(sim_agent, ticket(origin=DESK_ORIGIN), origin=ORIGIN)
    assert (error.data["reason"], code) == ("ticket was issued for another origin", 4401)
    answers_info(sim_agent, ticket)


def test_a_ticket_signed_with_another_key_is_refused(sim_agent, ticket):
    stranger = mint(Ed25519PrivateKey.generate(), ORIGIN)
    error, code = refused(sim_agent, stranger)
    assert code == 4401 and "signature" in error.data["reason"]
    answers_info(sim_agent, ticket)


def test_a_ticket_whose_payload_was_changed_is_refused(sim_agent, ticket):
    prefix, payload, signature = ticket(methods=PRINT_ONLY).split(".")
    wider = ticket()  # a real payload with more methods, glued to the print-only signature
    error, code = refused(sim_agent, f"{prefix}.{wider.split('.')[1]}.{signature}")
    assert code == 4401 and "signature" in error.data["reason"]


def test_a_ticket_issued_in_the_future_beyond_the_skew_is_refused(sim_agent, ticket):
    error, code = refused(sim_agent, ticket(iat=int(time.time()) + 300))
    assert code == 4401 and "future" in error.data["reason"]
    ahead, _ = int(time.time()) + 20, None     # within the 30 s allowed on iat
    with AgentClient(sim_agent.url, ORIGIN) as client:
        client.auth(ticket(iat=ahead))


@pytest.mark.parametrize("text", ["", "kpt1", "kpt1.a.b", "kpt2.e30.AA", "x" * 5000, "kpt1.%%%.%%%"])
def test_a_malformed_ticket_is_refused(sim_agent, ticket, text):
    error, code = refused(sim_agent, text)
    assert (error.code, code) == (4001, 4401)


def test_a_wrong_version_is_refused(sim_agent, ticket):
    error, code = refused(sim_agent, ticket(v=2))
    assert (error.data["reason"], code) == ("unsupported ticket version", 4401)


@pytest.mark.parametrize("first", [
    {"jsonrpc": "2.0", "id": 1, "method": "agent.info"},
    {"jsonrpc": "2.0", "id": 1, "method": "camera.capture", "params": {}},
    {"jsonrpc": "2.0", "method": "auth", "params": {"ticket": "x"}},
    "not json",
    [1, 2, 3],
], ids=["info-first", "device-first", "auth-as-notification", "garbage", "batch"])
def test_anything_but_auth_first_closes_with_4401(sim_agent, ticket, first):
    client = AgentClient(sim_agent.url, ORIGIN)
    client.ws.send(first if isinstance(first, str) else json.dumps(first))
    answer = json.loads(client.ws.recv(timeout=10))
    assert answer["error"]["code"] == 4001
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4401
    answers_info(sim_agent, ticket)


def test_no_auth_within_5_seconds_closes_with_4408(sim_agent, ticket):
    client = AgentClient(sim_agent.url, ORIGIN)
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=15)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4408, "auth timeout")
    answers_info(sim_agent, ticket)


def test_a_print_only_ticket_cannot_capture_or_read_cards(sim_agent, connect):
    desk = connect(sim_agent, origin=DESK_ORIGIN, methods=PRINT_ONLY)
    for method in ("camera.capture", "camera.scan_qr", "card.read"):
        with pytest.raises(RpcFailure) as forbidden:
            desk.call(method)
        assert forbidden.value.code == 4001
    assert desk.call("printer.status")["state"] == "ready"
    devices = {d["kind"]: d["state"] for d in desk.call("devices.list")}
    assert devices["camera"] == "ready"           # never touched by the refused calls


def test_card_notifications_go_only_to_tickets_that_may_read_cards(sim_agent, connect):
    desk = connect(sim_agent, origin=DESK_ORIGIN, methods=PRINT_ONLY)
    field = connect(sim_agent)
    field.call("simulate.card", {"present": False})
    field.call("simulate.card", {"present": True})
    assert field.notification("card.inserted")["reader"]
    desk.call("agent.info")                       # anything queued for desk has arrived by now
    assert not [n for n in desk.notifications if n["method"].startswith("card.")]


def test_a_second_auth_is_an_invalid_request(sim_agent, connect, ticket):
    client = connect(sim_agent)
    with pytest.raises(RpcFailure) as again:
        client.call("auth", {"ticket": ticket()})
    assert again.value.code == -32600
