"""Command line of the agent: read the configuration, build the devices, serve until SIGTERM."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading

from agent import __version__
from agent.config import DEFAULT_PORT, AgentConfig, ConfigError, build
from agent.devices.base import Registry
from agent.tickets import TicketVerifier, load_public_key

log = logging.getLogger("agent")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m agent",
        description="Ketupat Pecel hardware agent: cameras, card readers and receipt printers "
                    "for the browser over ws://127.0.0.1:PORT/v1 (binds 127.0.0.1 only).")
    p.add_argument("--port", type=int, help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--allow-origin", dest="allow_origins", action="append", metavar="ORIGIN",
                   help="a page origin allowed to connect, e.g. http://127.0.0.1:5000 (repeatable)")
    p.add_argument("--ticket-key", dest="ticket_key_file", metavar="FILE",
                   help="file with the webapp's key line (`flask --app webapp agent pubkey`)")
    p.add_argument("--config", metavar="FILE", help="configuration file (.toml or .json)")
    p.add_argument("--node", help="this laptop's node id shown in agent.info (default NODE_ID or hostname)")
    p.add_argument("--simulate", action="store_true",
                   help="simulated devices for every kind not given a real device below")
    p.add_argument("--printer", dest="printer_port", metavar="PORT", help="serial port of the receipt printer")
    p.add_argument("--baud", type=int, help="printer baud rate (default 9600)")
    p.add_argument("--paper", type=int, choices=(58, 80), help="paper width in mm (default 58)")
    p.add_argument("--camera", metavar="INDEX|PATH|FILE",
                   help="camera index (0), device path or video file (default 0)")
    p.add_argument("--reader-filter", metavar="TEXT", help="use only card readers whose name contains TEXT")
    p.add_argument("--card-uid", choices=("auto", "always", "never"),
                   help="send GET DATA for the card UID: auto = contactless cards only (default)")
    p.add_argument("--simulate-card-every", dest="simulate_card_interval", type=float, metavar="SECONDS",
                   help="--simulate: insert the simulated card every SECONDS (default: only on demand)")
    p.add_argument("--simulate-printer-file", metavar="FILE",
                   help="--simulate: append the simulated printer's ESC/POS bytes to FILE")
    p.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    p.add_argument("--version", action="version", version=f"ketupat-agent {__version__}")
    return p


def build_registry(config: AgentConfig) -> Registry:
    """One device per kind: the configured real driver, else (with --simulate) a simulated one."""
    devices = []
    printer = camera = card = None
    if config.printer_port or not config.simulate:
        from agent.devices.printer import SerialPrinter
        printer = SerialPrinter(config.printer_port, baud=config.baud, paper=config.paper,
                                write_timeout=config.printer_write_timeout)
    else:
        from agent.devices.simulated import SimulatedPrinter
        printer = SimulatedPrinter(paper=config.paper, baud=config.baud,
                                   output=config.simulate_printer_file)
    if config.camera is not None or not config.simulate:
        from agent.devices.camera import OpenCVCamera
        camera = OpenCVCamera(config.camera if config.camera is not None else 0)
    else:
        from agent.devices.simulated import SimulatedCamera
        camera = SimulatedCamera(printer=printer if hasattr(printer, "last_receipt") else None)
    if config.card:
        if config.reader_filter is not None or not config.simulate:
            from agent.devices.card import PcscCardReader
            card = PcscCardReader(config.reader_filter, uid=config.card_uid)
        else:
            from agent.devices.simulated import SimulatedCardReader
            card = SimulatedCardReader(interval=config.simulate_card_interval)
    devices = [d for d in (camera, card, printer) if d is not None]
    return Registry(devices)


async def serve(config: AgentConfig) -> None:
    from agent.server import AgentServer

    verifier = TicketVerifier(load_public_key(config.ticket_key))
    server = AgentServer(config, build_registry(config), verifier)
    port = await server.start()
    stop = asyncio.get_running_loop().create_future()
    for signame in ("SIGTERM", "SIGINT"):
        try:
            asyncio.get_running_loop().add_signal_handler(
                getattr(signal, signame), lambda: stop.done() or stop.set_result(None))
        except (NotImplementedError, AttributeError):   # Windows: Ctrl+C raises KeyboardInterrupt
            pass
    kinds = ", ".join(f"{d['kind']}={d['state']}" for d in server.registry.describe())
    log.info("devices: %s%s", kinds, " (simulated)" if config.simulate else "")
    print(f"agent listening on ws://127.0.0.1:{port}/v1", flush=True)
    try:
        await stop
    finally:
        log.info("stopping")
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = build(vars(args))
        load_public_key(config.ticket_key)
    except (ConfigError, ValueError) as exc:
        print(f"agent: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(config))
    except KeyboardInterrupt:
        pass
    except OSError as exc:           # the port is taken, typically
        print(f"agent: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stuck = [t.name for t in threading.enumerate()
             if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if stuck:                        # a driver call that never returns must not keep us alive
        log.warning("exiting with driver calls still running: %s", ", ".join(stuck))
        logging.shutdown()
        os._exit(0)
    return 0
