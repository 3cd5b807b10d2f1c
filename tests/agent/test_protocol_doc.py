"""docs/agent-protocol.md stays true: every ```json example block is sent to a simulated agent and
the answer must have the documented shape (same keys and types; ids, kinds, states, sizes, codes
and messages equal). Notification examples must have been seen with the same shape."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.agent.client import AgentClient
from tests.agent.conftest import ORIGIN

pytestmark = pytest.mark.hardware

DOC = Path(__file__).resolve().parents[2] / "docs" / "agent-protocol.md"
EXACT = {"id", "kind", "state", "mime", "width", "height", "paper_width", "protocol", "simulated",
         "code", "message", "user", "node", "version", "method", "jsonrpc", "name", "reader", "card"}


def examples() -> list[tuple[dict | None, dict]]:
    blocks = re.findall(r"```json example\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    pairs = []
    for block in blocks:
        sent = [json.loads(line[1:]) for line in block.splitlines() if line.startswith("→")]
        got = [json.loads(line[1:]) for line in block.splitlines() if line.startswith("←")]
        assert len(got) == 1 and len(sent) <= 1, block
        pairs.append((sent[0] if sent else None, got[0]))
    return pairs


def assert_shape(doc, real, path="$"):
    if isinstance(doc, dict):
        assert isinstance(real, dict), path
        assert set(doc) == set(real), f"{path}: documented {sorted(doc)}, got {sorted(real)}"
        for key in doc:
            if key in EXACT and not isinstance(doc[key], (dict, list)):
                assert real[key] == doc[key], f"{path}.{key}: documented {doc[key]!r}, got {real[key]!r}"
            else:
                assert_shape(doc[key], real[key], f"{path}.{key}")
    elif isinstance(doc, list):
        assert isinstance(real, list), path
        if doc and isinstance(doc[0], dict):
            assert len(doc) == len(real), path
            for i, (d, r) in enumerate(zip(doc, real)):
                assert_shape(d, r, f"{path}[{i}]")
        else:
            assert all(isinstance(r, type(doc[0])) for r in real) if doc else True, path
    elif doc is None:
        assert real is None, f"{path}: documented null, got {real!r}"
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        assert isinstance(real, (int, float)) and not isinstance(real, bool), path
    else:
        assert type(real) is type(doc), f"{path}: documented {type(doc).__name__}, got {real!r}"


def test_the_documented_examples_are_what_the_agent_answers(start_agent, ticket):
    agent = start_agent("--simulate", "--node", "BUS-01")
    pairs = examples()
    assert len(pairs) >= 12
    client = AgentClient(agent.url, ORIGIN)
    try:
        for sent, documented in pairs:
            if sent is None:
                continue
            if sent["method"] == "auth":
                sent = {**sent, "params": {"ticket": ticket()}}
            client.ws.send(json.dumps(sent))
            assert_shape(documented, client.response(sent["id"]), sent["method"])
        client.call("simulate.card", {"present": False})
        client.call("agent.info")
        for sent, documented in pairs:
            if sent is None:
                seen = [n for n in client.notifications if n["method"] == documented["method"]
                        and (documented["method"] != "device.changed"
                             or n["params"]["id"] == documented["params"]["id"]
                             and n["params"]["state"] == documented["params"]["state"])]
                assert seen, f"no {documented['method']} notification seen"
                assert_shape(documented, seen[0], documented["method"])
    finally:
        client.close()
