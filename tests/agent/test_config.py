"""Configuration: defaults < file (TOML or JSON) < environment < command line."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.cli import build_registry
from agent.config import ConfigError, build
from tests.agent.minting import public_key_line

KEY = public_key_line(Ed25519PrivateKey.generate())


def test_a_toml_file_sets_everything_and_the_command_line_wins(tmp_path):
    (tmp_path / "key.pub").write_text(KEY + "\n")
    path = tmp_path / "agent.toml"
    path.write_text('port = 9001\nallow_origins = ["http://127.0.0.1:5000"]\n'
                    'ticket_key_file = "key.pub"\nnode = "BUS-02"\n'
                    '[printer]\nport = "/dev/ttyUSB0"\nbaud = 19200\npaper = 80\n'
                    '[camera]\nsource = 1\n[card]\nreader_filter = "ACS"\n')
    config = build({"config": str(path), "port": 9002}, env={})
    assert (config.port, config.node, config.ticket_key) == (9002, "BUS-02", KEY)
    assert (config.printer_port, config.baud, config.paper, config.camera) == ("/dev/ttyUSB0", 19200, 80, "1")
    assert config.reader_filter == "ACS"


def test_a_json_file_and_the_environment(tmp_path):
    path = tmp_path / "agent.json"
    path.write_text(json.dumps({"allow_origins": ["http://127.0.0.1:5000"], "simulate": True}))
    config = build({"config": str(path)}, env={"KP_AGENT_TICKET_KEY": KEY, "KP_AGENT_PORT": "8800",
                                              "KP_AGENT_ALLOW_ORIGINS": "http://a:1, http://b:2"})
    assert (config.port, config.allow_origins, config.simulate) == (8800, ["http://a:1", "http://b:2"], True)
    kinds = {d.kind: type(d).__name__ for d in build_registry(config).devices}
    assert kinds == {"camera": "SimulatedCamera", "card": "SimulatedCardReader", "printer": "SimulatedPrinter"}


@pytest.mark.parametrize("cli, message", [
    ({"allow_origins": ["http://127.0.0.1:5000"]}, "ticket key"),
    ({"allow_origins": []}, "allowed origin"),
    ({"allow_origins": ["null"]}, "must look like"),
    ({"allow_origins": ["http://127.0.0.1:5000/"]}, "must look like"),
    ({"allow_origins": ["127.0.0.1:5000"]}, "must look like"),
])
def test_a_config_that_would_not_work_is_refused_with_the_reason(cli, message):
    env = {} if message == "ticket key" else {"KP_AGENT_TICKET_KEY": KEY}
    with pytest.raises(ConfigError, match=message):
        build(cli, env=env)


def test_an_unknown_setting_is_refused(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[printer]\nspeed = 3\n')
    with pytest.raises(ConfigError, match="printer.speed"):
        build({"config": str(path)}, env={})


def test_simulate_keeps_a_real_printer_when_one_is_given():
    config = build({"allow_origins": ["http://x:1"], "simulate": True, "printer_port": "/dev/ttyS0"},
                   env={"KP_AGENT_TICKET_KEY": KEY})
    kinds = {d.kind: type(d).__name__ for d in build_registry(config).devices}
    assert kinds["printer"] == "SerialPrinter" and kinds["camera"] == "SimulatedCamera"
