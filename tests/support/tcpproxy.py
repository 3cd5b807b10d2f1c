"""A small TCP proxy for tests and benches: the link between a field node and the office that a
test can cut and restore, and that counts the bytes crossing it.

    proxy = TcpProxy(upstream_port=office_port).start()
    node talks to http://127.0.0.1:{proxy.port}
    proxy.cut()                 # every open connection reset, new ones refused (a dead link)
    proxy.cut(mode="hang")      # new connections accepted but nothing forwarded (a link that stalls)
    proxy.restore()
    proxy.cut_after(150_000)    # cut the link once 150 kB more went up (a cut in the middle of an upload)
    proxy.bytes_up, proxy.bytes_down
"""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1", port: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._mode = "up"                # up | down | hang
        self._cut_after: int | None = None
        self._stopping = threading.Event()
        self.bytes_up = 0                # client → upstream
        self.bytes_down = 0              # upstream → client
        self.connections = 0
        self.cuts = 0

    # --- control -----------------------------------------------------------------------------------
    def start(self) -> "TcpProxy":
        threading.Thread(target=self._accept_loop, name="tcpproxy-accept", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._close_all()
        self._listener.close()

    def cut(self, mode: str = "down") -> None:
        """Cut the link: open connections are reset; new ones are refused ("down") or hang ("hang")."""
        assert mode in ("down", "hang")
        with self._lock:
            self._mode = mode
            self._cut_after = None
            self.cuts += 1
        self._close_all()

    def restore(self) -> None:
        with self._lock:
            self._mode = "up"

    def cut_after(self, more_bytes_up: int) -> None:
        """Cut (mode "down") as soon as `more_bytes_up` more bytes went from client to upstream."""
        with self._lock:
            self._cut_after = self.bytes_up + more_bytes_up

    @property
    def is_up(self) -> bool:
        return self._mode == "up"

    def reset_counters(self) -> None:
        with self._lock:
            self.bytes_up = self.bytes_down = 0

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- plumbing ----------------------------------------------------------------------------------
    def _close_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            try:
                # RST rather than FIN: the other side sees a broken link, not a clean end
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            try:
                # close() alone does not end a socket another thread is blocked in recv() on (the
                # pump waiting for the office's answer): the office would wait for the rest of a
                # cut body for ever. shutdown() wakes that thread, and the link really ends.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            mode = self._mode
            if mode == "down":
                client.close()
                continue
            if mode == "hang":
                with self._lock:
                    self._open.add(client)   # held open, never answered, closed at restore/cut/stop
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()               # the office is not there: the client sees the link drop
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    # --- hooks for a subclass that notes each connection (bench/bench_sync_day.py) --------------
    def on_open(self, client: socket.socket) -> None:
        """A pump of the connection starts (once per direction)."""

    def on_data(self, client: socket.socket, data: bytes, up: bool) -> None:
        """Bytes that crossed (after counting); `client` is the node's side of the connection."""

    def on_cut(self, client: socket.socket) -> None:
        """The connection ended by a cut."""

    def on_closed(self, client: socket.socket) -> None:
        """The client → upstream direction of the connection ended."""

    def _pump(self, source: socket.socket, target: socket.socket, up: bool) -> None:
        client = source if up else target
        self.on_open(client)
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                cut_now = False
                with self._lock:
                    if up:
                        limit = self._cut_after
                        if limit is not None and self.bytes_up + len(data) >= limit:
                            data = data[: max(0, limit - self.bytes_up)]
                            cut_now = True
                        self.bytes_up += len(data)
                    else:
                        self.bytes_down += len(data)
                self.on_data(client, data, up)
                if data:
                    target.sendall(data)
                if cut_now:
                    self.on_cut(client)
                    self.cut()
                    return
        except OSError:
            if self._mode != "up":
                self.on_cut(client)
        finally:
            if up:
                self.on_closed(client)
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
