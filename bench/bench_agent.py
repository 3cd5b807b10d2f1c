"""Benchmark: the hardware agent over its websocket, against the same real stacks as its tests.

    PYTHONPATH=. .venv/bin/python bench/bench_agent.py                 # all five parts
    PYTHONPATH=. .venv/bin/python bench/bench_agent.py --calls 5000 --cycles 20 --only rpc,card

Each part starts `python -m agent` in its own process (as the tests do, tests/agent/stacks.py):

- rpc: JSON-RPC round trip of `agent.info` over a local websocket (simulated devices), one call
  after another on one connection, after 100 warm-up calls: p50 / p99 / max.
- card: pcscd (our own, in the foreground) with vsmartcard's reader; a virtual card is inserted
  and removed CYCLES times. The bench waits on SCardGetStatusChange itself, so the latency is
  from PC/SC reporting the card to this process to the websocket client receiving card.inserted
  (the same clock, perf_counter, in two threads of this process).
- card-page: the same, to a page in headless Chromium running the web app's own
  webapp/static/js/agent.js (served with a ticket endpoint by a small server in this process):
  from PC/SC reporting the card (time.time() in this process) to the page's handler of
  "kp-agent:card.inserted" writing it into the DOM (performance.timeOrigin + now(), the same
  wall clock).
- capture: `camera.capture` from a 640×480 MJPG video file, full size and 320×240.
- print: `printer.print` of a typical receipt on a socat pty pair (the far end read as it
  arrives), against the serial line's own limit bytes × 10 / baud at 9600 and 115200 baud.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.agent import stacks
from tests.agent.client import AgentClient
from tests.agent.minting import mint, public_key_line

ORIGIN = "http://127.0.0.1:5000"
AGENT_JS = Path(__file__).resolve().parents[1] / "webapp" / "static" / "js" / "agent.js"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>card</title></head>
<body hx-headers='{"X-CSRFToken": "bench"}'>
<div id="agent-status" data-agent-url="%s" data-ticket-url="/ticket" data-texts="{}"></div>
<p id="seen" data-n="0" data-removed="0"></p><p id="state"></p>
<script src="/probe.js"></script><script src="/agent.js"></script></body></html>"""
# What a page does on the event: show it. The moment it is in the DOM is the one measured.
PROBE = """document.addEventListener("kp-agent:card.inserted", function (e) {
  var p = document.getElementById("seen");
  p.textContent = "KTP-el terdeteksi di " + e.detail.reader;
  p.dataset.at = String(performance.timeOrigin + performance.now());
  p.dataset.n = String(Number(p.dataset.n) + 1);
});
document.addEventListener("kp-agent:card.removed", function () {
  var p = document.getElementById("seen");
  p.dataset.removed = String(Number(p.dataset.removed) + 1);
});
document.addEventListener("kp-agent:state", function (e) {
  document.getElementById("state").textContent = e.detail.connected ? "connected" : "offline";
});"""


def page_server(key, agent_url_box: dict):
    """A page with agent.js and a ticket endpoint, on 127.0.0.1:<free port>."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/agent.js":
                self._send(AGENT_JS.read_bytes(), "text/javascript")
            elif self.path == "/probe.js":
                self._send(PROBE.encode(), "text/javascript")
            else:
                self._send((PAGE % agent_url_box["url"]).encode(), "text/html; charset=utf-8")

        def do_POST(self):
            origin = f"http://127.0.0.1:{self.server.server_address[1]}"
            self._send(json.dumps({"ticket": mint(key, origin)}).encode(), "application/json")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pcsc_watcher(reader: str, clock=time.perf_counter):
    """A thread waiting on SCardGetStatusChange for a card in `reader`; returns (thread, ready
    event, dict that gets "pcsc": the clock when PC/SC reported the card)."""
    from smartcard import scard

    seen: dict[str, float] = {}
    ready = threading.Event()

    def watch():
        _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        current = states[0][1] & ~scard.SCARD_STATE_CHANGED
        ready.set()
        while not current & scard.SCARD_STATE_PRESENT:
            hresult, states = scard.SCardGetStatusChange(context, 10_000, [(reader, current)])
            current = states[0][1] & ~scard.SCARD_STATE_CHANGED
        seen["pcsc"] = clock()
        scard.SCardReleaseContext(context)

    thread = threading.Thread(target=watch)
    thread.start()
    return thread, ready, seen
RECEIPT = {
    "title": "TANDA TERIMA", "office": "Disdukcapil Kabupaten Hulu Sungai Selatan",
    "number": "KP-BUS01-000123", "check_code": "8HNHMZ", "date": "01-12-2026 10:15 WITA",
    "name": "Siti Aminah binti Abdul Gafur", "nik_masked": "6306••••••••0001",
    "services": ["KIA baru", "Akta kelahiran"], "ready_date": "08-12-2026",
    "collect_at": "Kantor Disdukcapil, Jl. Aluh Idut, Kandangan",
    "qr": "KPTT:KP-BUS01-000123:8HNHMZ", "lines": ["Simpan tanda terima ini."], "copy": None,
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:8.2f} ms"


class Bench:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.key = Ed25519PrivateKey.generate()

    def agent(self, *args: str) -> stacks.AgentProcess:
        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        return stacks.AgentProcess(folder, public_key_line(self.key), [ORIGIN], list(args)).start()

    def client(self, agent) -> AgentClient:
        client = AgentClient(agent.url, ORIGIN)
        client.auth(mint(self.key, ORIGIN))
        return client

    def rpc(self, calls: int) -> None:
        agent = self.agent("--simulate")
        try:
            client = self.client(agent)
            for _ in range(100):
                client.call("agent.info")
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                client.call("agent.info")
                times.append(time.perf_counter() - started)
            client.close()
        finally:
            agent.stop()
        print(f"rpc      agent.info × {calls}: p50 {ms(pct(times, 50))}  p99 {ms(pct(times, 99))}  "
              f"max {ms(max(times))}")

    def card(self, cycles: int) -> None:
        pcscd = stacks.Pcscd(self.workdir).start()
        agent = self.agent("--reader-filter", "Virtual PCD")
        reader = stacks.READERS[0]
        try:
            client = self.client(agent)
            latencies, pcsc_after_vicc = [], []
            for _ in range(cycles):
                watcher, ready, seen = pcsc_watcher(reader)
                ready.wait(10)
                started = time.perf_counter()
                card = stacks.VirtualCard(self.workdir, slot=0).insert()
                client.notification("card.inserted", lambda p: p["reader"] == reader, timeout=30)
                arrived = time.perf_counter()
                watcher.join(30)
                latencies.append(arrived - seen["pcsc"])
                pcsc_after_vicc.append(seen["pcsc"] - started)
                card.remove()
                client.notification("card.removed", lambda p: p["reader"] == reader, timeout=30)
            client.close()
        finally:
            agent.stop()
            pcscd.stop()
        print(f"card     insert → card.inserted, after PC/SC reported it, × {cycles}: "
              f"p50 {ms(pct(latencies, 50))}  max {ms(max(latencies))}")
        print(f"         (vicc start → PC/SC reports the card: p50 {ms(pct(pcsc_after_vicc, 50))}; "
              f"vpcd's own polling, not the agent)")

    def card_page(self, cycles: int) -> None:
        from playwright.sync_api import sync_playwright

        from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

        box: dict[str, str] = {}
        server = page_server(self.key, box)
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        pcscd = stacks.Pcscd(self.workdir).start()
        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        agent = stacks.AgentProcess(folder, public_key_line(self.key), [origin],
                                    ["--reader-filter", "Virtual PCD"]).start()
        box["url"] = agent.url
        reader = stacks.READERS[0]
        latencies = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(origin + "/")
                page.wait_for_function("document.getElementById('state').textContent === 'connected'",
                                       timeout=30_000)
                for n in range(1, cycles + 1):
                    watcher, ready, seen = pcsc_watcher(reader, clock=time.time)
                    ready.wait(10)
                    card = stacks.VirtualCard(self.workdir, slot=0).insert()
                    page.wait_for_function(f"document.getElementById('seen').dataset.n === '{n}'", timeout=30_000)
                    shown = float(page.get_attribute("#seen", "data-at")) / 1000
                    watcher.join(30)
                    latencies.append(shown - seen["pcsc"])
                    card.remove()
                    page.wait_for_function(f"document.getElementById('seen').dataset.removed === '{n}'",
                                           timeout=30_000)
                browser.close()
        finally:
            agent.stop()
            pcscd.stop()
            server.shutdown()
        print(f"card     insert → shown on the page (Chromium, agent.js), after PC/SC reported it, × {cycles}: "
              f"p50 {ms(pct(latencies, 50))}  max {ms(max(latencies))}")

    def capture(self, count: int) -> None:
        video = stacks.write_video(self.workdir / "bench.avi", stacks.scene_frames(30))
        agent = self.agent("--camera", str(video))
        try:
            client = self.client(agent)
            for label, params in (("640×480", {}), ("320×240", {"width": 320, "height": 240})):
                client.call("camera.capture", params)
                times, sizes = [], []
                for _ in range(count):
                    started = time.perf_counter()
                    photo = client.call("camera.capture", params)
                    times.append(time.perf_counter() - started)
                    sizes.append(len(photo["data"]) * 3 // 4)
                print(f"capture  {label} from an MJPG file × {count}: p50 {ms(pct(times, 50))}  "
                      f"max {ms(max(times))}  JPEG {statistics.median(sizes) / 1024:.0f} KiB")
            client.close()
        finally:
            agent.stop()

    def print_(self, count: int) -> None:
        for baud in (9600, 115200):
            pair = stacks.SerialPair(self.workdir / f"tty{baud}").start()
            agent = self.agent("--printer", pair.printer, "--baud", str(baud))
            try:
                client = self.client(agent)
                host = pair.open_host()
                stop = threading.Event()
                drained = threading.Thread(target=lambda: [host.read(4096) for _ in iter(stop.is_set, True)])
                drained.start()
                times, agent_seconds, n_bytes = [], [], 0
                for _ in range(count):
                    started = time.perf_counter()
                    result = client.call("printer.print", {"receipt": RECEIPT})
                    times.append(time.perf_counter() - started)
                    agent_seconds.append(result["seconds"])
                    n_bytes = result["bytes"]
                stop.set()
                drained.join()
                host.close()
                client.close()
            finally:
                agent.stop()
                pair.stop()
            limit = n_bytes * 10 / baud
            print(f"print    {n_bytes} B receipt at {baud} baud × {count}: round trip p50 "
                  f"{ms(pct(times, 50))}, in the driver p50 {ms(pct(agent_seconds, 50))}; "
                  f"the line's own limit {ms(limit)} (a pty does not pace; a real line would)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--captures", type=int, default=50)
    parser.add_argument("--prints", type=int, default=20)
    parser.add_argument("--only", default="rpc,card,card-page,capture,print")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    missing = stacks.missing_tools()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder))
        if "rpc" in parts:
            bench.rpc(args.calls)
        if "card" in parts:
            if missing:
                print(f"card     skipped: missing {', '.join(missing)} (scripts/setup --test)")
            else:
                bench.card(args.cycles)
        if "card-page" in parts:
            if missing:
                print(f"card     (page) skipped: missing {', '.join(missing)} (scripts/setup --test)")
            else:
                bench.card_page(args.cycles)
        if "capture" in parts:
            bench.capture(args.captures)
        if "print" in parts:
            if missing:
                print(f"print    skipped: missing {', '.join(missing)}")
            else:
                bench.print_(args.prints)


if __name__ == "__main__":
    main()
