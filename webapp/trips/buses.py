"""The office's buses. Each bus is a field node: its node code (BUS-01, …) is its identity, its
name is what letters and lists print. The list comes from the BUSES setting of the
configuration ("BUS-01=Bus Ketupat Pecel 01;BUS-02=Bus Ketupat Pecel 02"); when the field-node
registry (`flask nodes add`) lands, it becomes the source.

The schedule form offers the buses as a choice, and the double-booking check compares node codes
after `bus_key`, so "BUS-01", "bus 01" and "Bus-1" are one bus."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, has_app_context

DEFAULT_BUSES = "BUS-01=Bus Ketupat Pecel 01"


@dataclass(frozen=True)
class Bus:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def bus_key(code: str | None) -> str:
    """Identity of a node code: upper case, letters and digits only, no leading zeros in a
    number ("BUS-01", "bus 1", "Bus_001" → "BUS1")."""
    text = re.sub(r"[^0-9A-Z]+", "", (code or "").upper())
    return re.sub(r"\d+", lambda m: str(int(m.group())), text)


def parse_buses(value) -> list[Bus]:
    """"CODE=Name;CODE=Name" (or a list of (code, name) pairs) → [Bus, …]; a code without a name
    is named after itself; a repeated code (after `bus_key`) is kept once."""
    if isinstance(value, str):
        pairs = []
        for part in re.split(r"[;\n]", value):
            code, _sep, name = part.partition("=")
            pairs.append((code, name))
    else:
        pairs = list(value or [])
    found: dict[str, Bus] = {}
    for code, name in pairs:
        code = " ".join(str(code or "").split()).upper()
        if not bus_key(code):
            continue
        found.setdefault(bus_key(code), Bus(code[:32], (" ".join(str(name or "").split()) or code)[:80]))
    return list(found.values())


def buses() -> list[Bus]:
    value = current_app.config.get("BUSES", DEFAULT_BUSES) if has_app_context() else DEFAULT_BUSES
    return parse_buses(value) or parse_buses(DEFAULT_BUSES)


def find_bus(code: str | None) -> Bus | None:
    key = bus_key(code)
    if not key:
        return None
    return next((b for b in buses() if bus_key(b.code) == key), None)


def bus_choices(current: Bus | None = None) -> list[tuple[str, str]]:
    """(code, label) for the form's select; a trip's bus that left the list stays selectable."""
    choices = [(b.code, b.label) for b in buses()]
    if current is not None and all(bus_key(code) != bus_key(current.code) for code, _label in choices):
        choices.append((current.code, current.label))
    return choices
