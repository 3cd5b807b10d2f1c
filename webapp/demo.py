"""`flask demo load`: believable data so a newcomer sees every feature working.

Each domain registers a loader with `@demo_loader(order)`; loaders run in order, each in its own
unit of work, and must be idempotent (check before creating)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Data contoh untuk demo.")


@dataclass(frozen=True)
class DemoLoader:
    order: int
    name: str
    run: Callable[[], list[str] | None]


_LOADERS: list[DemoLoader] = []


def demo_loader(order: int):
    def register(func):
        _LOADERS.append(DemoLoader(order, func.__module__ + "." + func.__name__, func))
        return func
    return register


def run_demo_loaders(echo: Callable[[str], None] = print) -> None:
    from webapp.core.uow import unit_of_work

    for loader in sorted(_LOADERS, key=lambda l: (l.order, l.name)):
        with unit_of_work():
            lines = loader.run() or []
        for line in lines:
            echo(line)


@demo_cli.command("load")
def load_command():
    """Muat data contoh (desa, pengguna per peran, dan data tiap fitur)."""
    run_demo_loaders(click.echo)
