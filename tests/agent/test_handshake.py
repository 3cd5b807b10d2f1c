"""The opening handshake: only our pages, only on loopback names, refused with 403 at the HTTP
level (never a 500), and the agent answers afterwards."""
from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from tests.agent.client import AgentClient, raw_handshake
from tests.agent.conftest import DESK_ORIGIN, ORIGIN, answers_info

pytestmark = pytest.mark.hardware


def host(agent) -> str:
    return f"127.0.0.1:{agent.port}"


@pytest.mark.parametrize("origin_headers", [
    [("Origin", "http://evil.example")],            # a foreign page
    [],                                              # no Origin (a non-browser client)
    [("Origin", "null")],                            # a sandboxed iframe or a file:// page
    [("Origin", ORIGIN + "/")],                      # not an exact match
    [("Origin", "http://127.0.0.1:5002")],           # another local port
    [("Origin", ORIGIN), ("Origin", ORIGIN)],        # two Origin headers
], ids=["foreign", "missing", "null", "trailing-slash", "other-port", "duplicated"])
def test_a_page_outside_the_allow_list_is_refused_with_403(sim_agent, ticket, origin_headers):
    status = raw_handshake(sim_agent.port, [("Host", host(sim_agent)), *origin_headers])
    assert status == 403
    answers_info(sim_agent, ticket)


@pytest.mark.parametrize("host_headers", [
    lambda a: [("Host", f"evil.example:{a.port}")],            # DNS rebinding
    lambda a: [("Host", f"127.0.0.1:{a.port + 1}")],           # another port
    lambda a: [("Host", "127.0.0.1")],                          # no port
    lambda a: [("Host", f"192.168.1.10:{a.port}")],             # a LAN address
    lambda a: [("Host", host(a)), ("Host", host(a))],            # duplicated, even if equal
    lambda a: [("Host", host(a)), ("Host", "evil.example")],     # duplicated, different
], ids=["rebinding", "other-port", "no-port", "lan", "duplicated-same", "duplicated-other"])
def test_a_wrong_or_duplicated_host_is_refused_with_403_never_500(sim_agent, ticket, host_headers):
    status = raw_handshake(sim_agent.port, [*host_headers(sim_agent), ("Origin", ORIGIN)])
    assert status == 403
    answers_info(sim_agent, ticket)


def test_a_missing_host_is_refused(sim_agent, ticket):
    assert raw_handshake(sim_agent.port, [("Origin", ORIGIN)]) in (400, 403)
    answers_info(sim_agent, ticket)


def test_localhost_and_127_0_0_1_with_the_port_are_both_accepted(sim_agent):
    for name in ("127.0.0.1", "localhost"):
        assert raw_handshake(sim_agent.port, [("Host", f"{name}:{sim_agent.port}"), ("Origin", ORIGIN)]) == 101


def test_every_allowed_origin_may_connect(sim_agent):
    for origin in (ORIGIN, DESK_ORIGIN):
        assert raw_handshake(sim_agent.port, [("Host", host(sim_agent)), ("Origin", origin)]) == 101


def test_only_the_v1_path_is_served(sim_agent, ticket):
    status = raw_handshake(sim_agent.port, [("Host", host(sim_agent)), ("Origin", ORIGIN)], path="/v2")
    assert status == 404
    answers_info(sim_agent, ticket)


def test_a_websocket_client_from_a_foreign_origin_is_refused(sim_agent):
    with pytest.raises(InvalidStatus) as refused:
        AgentClient(sim_agent.url, "http://evil.example")
    assert refused.value.response.status_code == 403


def test_the_refusals_are_logged_as_lines_without_tracebacks(sim_agent):
    log = sim_agent.log_text()
    assert "refused handshake" in log
    assert "Traceback" not in log
