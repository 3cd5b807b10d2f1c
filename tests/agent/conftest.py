"""Fixtures of the agent's tests: a ticket key pair, agents in their own processes, and the real
device stacks (pcscd + vsmartcard, socat pty pairs, video files). In CI (CI=true) a missing tool
is a failure, never a skip."""
from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.agent import stacks
from tests.agent.client import AgentClient
from tests.agent.minting import FIELD_METHODS, mint, public_key_line

ORIGIN = "http://127.0.0.1:5001"          # the field node's page
DESK_ORIGIN = "https://intranet.disdukcapil-hss.go.id"  # the office's pick-up desk page


def require_stacks() -> None:
    missing = stacks.missing_tools()
    if missing:
        message = f"missing {', '.join(missing)}: run scripts/setup --test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def ticket_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def ticket(ticket_key):
    """ticket(origin=ORIGIN, methods=FIELD_METHODS, **spec fields) → a fresh signed ticket."""
    def make(origin: str = ORIGIN, methods=FIELD_METHODS, **kwargs) -> str:
        return mint(ticket_key, origin, methods=methods, **kwargs)
    return make


@pytest.fixture(scope="session")
def start_agent(ticket_key, tmp_path_factory):
    """start_agent(*args, origins=[...]) → a running AgentProcess (stopped at the session's end)."""
    agents = []

    def start(*args: str, origins=(ORIGIN, DESK_ORIGIN)) -> stacks.AgentProcess:
        workdir = tmp_path_factory.mktemp("agent")
        agent = stacks.AgentProcess(workdir, public_key_line(ticket_key), list(origins), list(args))
        agents.append(agent)
        return agent.start()

    yield start
    for agent in agents:
        agent.stop()


@pytest.fixture(scope="module")
def sim_agent(start_agent):
    return start_agent("--simulate")


@pytest.fixture
def connect(ticket):
    """connect(agent, origin=ORIGIN, methods=...) → an authenticated AgentClient (closed after)."""
    clients = []

    def open_client(agent, origin: str = ORIGIN, methods=FIELD_METHODS) -> AgentClient:
        client = AgentClient(agent.url, origin)
        clients.append(client)
        client.auth(ticket(origin, methods=methods))
        return client

    yield open_client
    for client in clients:
        client.close()


def answers_info(agent, ticket) -> dict:
    """The check after every attack: a new connection still gets agent.info."""
    assert agent.alive(), agent.log_text()[-2000:]
    with AgentClient(agent.url, ORIGIN) as client:
        client.auth(ticket())
        return client.call("agent.info")


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory):
    require_stacks()
    daemon = stacks.Pcscd(tmp_path_factory.mktemp("pcscd")).start()
    yield daemon
    daemon.stop()


@pytest.fixture
def serial_pair(tmp_path):
    require_stacks()
    pair = stacks.SerialPair(tmp_path / "tty").start()
    yield pair
    pair.stop()
