"""The agent's configuration: defaults < config file (TOML or JSON) < environment < command line.

File (docs/agent-protocol.md, "Configuration"):

    port = 8765
    allow_origins = ["http://127.0.0.1:5000"]
    ticket_key_file = "ticket-key.pub"      # the line `flask --app webapp agent pubkey` prints
    node = "BUS-01"
    [printer]  port = "/dev/ttyUSB0"  baud = 9600  paper = 58
    [camera]   source = "0"                  # index, device path or video file
    [card]     reader_filter = ""  uid = "auto"
    [simulation]  card_interval = 0  printer_file = ""

Environment: KP_AGENT_CONFIG, KP_AGENT_PORT, KP_AGENT_ALLOW_ORIGINS (comma-separated),
KP_AGENT_TICKET_KEY (the key line itself), KP_AGENT_TICKET_KEY_FILE.
"""
from __future__ import annotations

import json
import os
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORT = 8765


class ConfigError(Exception):
    pass


@dataclass
class AgentConfig:
    port: int = DEFAULT_PORT
    allow_origins: list[str] = field(default_factory=list)
    ticket_key: str | None = None              # "ed25519:<base64url>"
    node: str = field(default_factory=lambda: os.environ.get("NODE_ID") or socket.gethostname())
    simulate: bool = False
    printer_port: str | None = None
    baud: int = 9600
    paper: int = 58
    printer_write_timeout: float = 5.0
    camera: str | None = None                   # None: index 0 (or the simulated camera)
    reader_filter: str | None = None
    card_uid: str = "auto"                      # GET DATA for the UID: auto | always | never
    card: bool = True                           # false: no card reader on this laptop
    simulate_card_interval: float = 0.0
    simulate_printer_file: str | None = None
    auth_timeout: float = 5.0
    max_connections: int = 256
    log_level: str = "INFO"

    def check(self) -> "AgentConfig":
        if not 0 <= self.port <= 65535:
            raise ConfigError("port must be from 0 to 65535")
        if not self.allow_origins:
            raise ConfigError("no allowed origin: give --allow-origin http://127.0.0.1:5000 (the "
                              "webapp's address as the browser shows it)")
        for origin in self.allow_origins:
            check_origin(origin)
        if not self.ticket_key:
            raise ConfigError("no ticket key: give --ticket-key FILE with the line "
                              "`flask --app webapp agent pubkey` prints, or KP_AGENT_TICKET_KEY")
        if self.paper not in (58, 80):
            raise ConfigError("paper must be 58 or 80 (mm)")
        if self.baud <= 0:
            raise ConfigError("baud must be positive")
        if self.card_uid not in ("auto", "always", "never"):
            raise ConfigError("card uid must be auto, always or never")
        return self


def check_origin(origin: str) -> None:
    parts = urlsplit(origin)
    if (origin == "null" or parts.scheme not in ("http", "https") or not parts.netloc
            or parts.path or parts.query or parts.fragment or origin != origin.strip()):
        raise ConfigError(f"origin {origin!r} must look like http://127.0.0.1:5000 "
                          "(scheme, host and port only, no slash at the end)")


def read_key_file(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the ticket key file {path}: {exc.strerror}") from None


def load_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a table/object")
    return flatten(data, base=path.parent)


_SECTIONS = {
    "printer": {"port": "printer_port", "baud": "baud", "paper": "paper",
                "write_timeout": "printer_write_timeout"},
    "camera": {"source": "camera"},
    "card": {"reader_filter": "reader_filter", "uid": "card_uid", "enabled": "card"},
    "simulation": {"card_interval": "simulate_card_interval", "printer_file": "simulate_printer_file"},
}
_TOP = {"port", "allow_origins", "ticket_key", "node", "simulate", "auth_timeout",
        "max_connections", "log_level"}


def flatten(data: dict, base: Path) -> dict:
    values: dict = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}] must be a table")
            for sub, sub_value in value.items():
                if sub not in _SECTIONS[key]:
                    raise ConfigError(f"unknown setting {key}.{sub}")
                values[_SECTIONS[key][sub]] = sub_value
        elif key == "ticket_key_file":
            values["ticket_key"] = read_key_file(base / value)
        elif key in _TOP:
            values[key] = value
        else:
            raise ConfigError(f"unknown setting {key}")
    if "camera" in values and values["camera"] is not None:
        values["camera"] = str(values["camera"])
    return values


def from_environment(env: dict) -> dict:
    values: dict = {}
    if env.get("KP_AGENT_PORT"):
        try:
            values["port"] = int(env["KP_AGENT_PORT"])
        except ValueError:
            raise ConfigError("KP_AGENT_PORT must be a number") from None
    if env.get("KP_AGENT_ALLOW_ORIGINS"):
        values["allow_origins"] = [o.strip() for o in env["KP_AGENT_ALLOW_ORIGINS"].split(",") if o.strip()]
    if env.get("KP_AGENT_TICKET_KEY_FILE"):
        values["ticket_key"] = read_key_file(env["KP_AGENT_TICKET_KEY_FILE"])
    if env.get("KP_AGENT_TICKET_KEY"):
        values["ticket_key"] = env["KP_AGENT_TICKET_KEY"].strip()
    return values


def build(cli: dict, env: dict | None = None) -> AgentConfig:
    """cli: the argparse values that were given (None = not given)."""
    env = os.environ if env is None else env
    values: dict = {}
    config_file = cli.get("config") or env.get("KP_AGENT_CONFIG")
    if config_file:
        values.update(load_file(config_file))
    values.update(from_environment(env))
    if cli.get("ticket_key_file"):
        values["ticket_key"] = read_key_file(cli["ticket_key_file"])
    for name in ("port", "node", "printer_port", "baud", "paper", "camera", "reader_filter",
                 "card_uid", "simulate_card_interval", "simulate_printer_file", "log_level"):
        if cli.get(name) is not None:
            values[name] = cli[name]
    if cli.get("allow_origins"):
        values["allow_origins"] = list(cli["allow_origins"])
    if cli.get("simulate"):
        values["simulate"] = True
    try:
        config = AgentConfig(**values)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
    return config.check()
