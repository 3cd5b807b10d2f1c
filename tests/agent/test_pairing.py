"""Pairing by command, across the two halves: the key `flask agent pubkey` prints starts an
agent that accepts the ticket `flask agent ticket` prints (the webapp's own minting code), and
only for the origin it was made for."""
from __future__ import annotations

import pytest

from tests.agent import stacks
from tests.agent.client import AgentClient, RpcFailure
from webapp.auth.roles import Role

pytestmark = pytest.mark.hardware

PAGE = "http://127.0.0.1:5000"


def test_the_webapps_key_and_ticket_open_a_simulated_agent(app, make_user, tmp_path):
    officer = make_user(Role.PETUGAS, username="petugas.bus")
    runner = app.test_cli_runner()
    pubkey = runner.invoke(args=["agent", "pubkey"])
    assert pubkey.exit_code == 0, pubkey.output
    key_line = pubkey.output.strip()
    assert key_line.startswith("ed25519:") and len(key_line.splitlines()) == 1

    def flask_ticket(*extra: str) -> str:
        made = runner.invoke(args=["agent", "ticket", "--user", officer.username, "--origin", PAGE, *extra])
        assert made.exit_code == 0, made.output
        return made.output.strip()

    agent = stacks.AgentProcess(tmp_path, key_line, [PAGE, "http://127.0.0.1:5001"], ["--simulate"]).start()
    try:
        with AgentClient(agent.url, PAGE) as client:
            welcome = client.auth(flask_ticket("--methods", "camera.capture,printer.print"))
            assert welcome["user"] == "petugas.bus"
            assert client.call("camera.capture", {"width": 64})["mime"] == "image/jpeg"
            with pytest.raises(RpcFailure) as not_listed:
                client.call("card.read")
            assert not_listed.value.code == 4001
        with AgentClient(agent.url, "http://127.0.0.1:5001") as elsewhere:
            with pytest.raises(RpcFailure) as wrong_page:
                elsewhere.auth(flask_ticket("--methods", "printer.print"))
            assert wrong_page.value.data["reason"] == "ticket was issued for another origin"
    finally:
        agent.stop()
