"""Abuse from an authenticated or half-open client: floods of bad frames, an oversized frame, many
idle connections, two callers on one device. After each the agent still answers agent.info."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.agent.client import AgentClient, RpcFailure
from tests.agent.conftest import ORIGIN, answers_info

pytestmark = pytest.mark.hardware


def malformed(i: int) -> str | bytes:
    kinds = [
        "{", "null", "[]", "42", '"text"', '{"jsonrpc":"1.0","id":1,"method":"agent.info"}',
        '{"jsonrpc":"2.0","id":{},"method":"agent.info"}', '{"jsonrpc":"2.0","id":1,"method":7}',
        '{"jsonrpc":"2.0","id":1,"method":"agent.info","params":[1]}', "[" * 5000 + "]" * 5000,
        '{"jsonrpc":"2.0","id":1,"method":"camera.capture","params":{"width":"big"}}',
        '{"jsonrpc":"2.0","id":1,"method":"no.such.method"}', b"\x00\xff binary",
        '{"jsonrpc":"2.0","id":1,"method":"printer.print","params":{"receipt":{"number":5}}}',
    ]
    return kinds[i % len(kinds)]


def test_ten_thousand_malformed_frames_each_get_an_error_and_the_agent_goes_on(sim_agent, connect, ticket):
    client = connect(sim_agent)
    answers = 0
    for i in range(10_000):
        client.ws.send(malformed(i))
        if i % 500 == 499:                       # read as we go, as a client must
            while answers < i + 1:
                message = json.loads(client.ws.recv(timeout=30))
                if "id" in message:
                    assert "error" in message and message["error"]["code"] < 0
                    answers += 1
    assert answers == 10_000
    assert client.call("agent.info")["version"]
    answers_info(sim_agent, ticket)
    assert sim_agent.log_text().count("Traceback") == 0


def test_a_frame_over_the_size_limit_closes_that_connection_only(sim_agent, connect, ticket):
    client = connect(sim_agent)
    big = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "printer.print",
                      "params": {"receipt": {"number": "x" * (300 * 1024)}}})
    client.ws.send(big)
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=10)
    assert closed.value.rcvd.code == 1009          # message too big
    answers_info(sim_agent, ticket)


def test_two_hundred_idle_connections_do_not_stop_the_agent(sim_agent, ticket):
    idle = [AgentClient(sim_agent.url, ORIGIN) for _ in range(200)]
    try:
        info = answers_info(sim_agent, ticket)
        assert info["devices"]
        for client in idle:                        # then the auth deadline closes each of them
            with pytest.raises(ConnectionClosed) as closed:
                client.ws.recv(timeout=30)
            assert closed.value.rcvd.code == 4408
    finally:
        for client in idle:
            client.close()
    answers_info(sim_agent, ticket)


def test_a_second_caller_on_a_busy_device_is_told_busy_not_queued(sim_agent, connect):
    first, second = connect(sim_agent), connect(sim_agent)
    scan = first.send("camera.scan_qr", {"timeout_s": 3})
    first.notification("device.changed", lambda d: d["kind"] == "camera" and d["state"] == "busy")
    with pytest.raises(RpcFailure) as busy:
        second.call("camera.capture")
    assert busy.value.code == 4002
    assert second.call("card.read")["atr"]         # another device is free meanwhile
    first.result(scan)
    assert second.call("camera.capture", {"width": 64})["width"] == 64


def test_bad_params_are_invalid_params(sim_agent, connect):
    client = connect(sim_agent)
    for method, params in [("camera.capture", {"width": 5}), ("camera.capture", {"quality": True}),
                           ("camera.capture", {"zoom": 2}), ("camera.scan_qr", {"timeout_s": 600}),
                           ("printer.print", {}), ("printer.print", {"receipt": {"number": ""}}),
                           ("printer.print", {"receipt": {"number": "A", "services": "KIA"}}),
                           ("printer.print", {"receipt": {"number": "A", "copy": 0}})]:
        with pytest.raises(RpcFailure) as bad:
            client.call(method, params)
        assert bad.value.code == -32602, (method, params)


def test_an_unknown_method_is_method_not_found(sim_agent, connect):
    with pytest.raises(RpcFailure) as unknown:
        connect(sim_agent).call("camera.selfdestruct")
    assert unknown.value.code == -32601
