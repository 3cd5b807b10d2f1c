"""The node's sync state for people (the header, `flask sync status`), one pass on demand, and
pairing with the office. Office-side logic lives in nodes.py (the node register) and apply.py."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.core.changes import audit
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.sync import client as sync_client
from webapp.sync import outbox, tokens
from webapp.sync.models import NodeLink

BUTTON_TIMEOUT = 3.0        # "Sinkronkan sekarang" in a web request: each call at most this long
BUTTON_BUDGET = 10.0        # ... and no new batch after this many seconds (the worker does the rest)
STALE_AFTER_S = 120         # "online" older than this is shown as "unknown" in the header
CLOCK_WARN_S = 120          # a laptop clock further off the office's than this is shown in the header


# --- state ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NodeState:
    node: str
    paired: bool
    online: bool
    pending: int                    # outbox entries not yet sent (`flask sync status` "pending")
    pending_applications: int       # the applications those entries belong to (the header's count)
    refused: int
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    clock_offset_s: float | None
    office_url: str | None

    @property
    def clock_warning(self) -> timedelta | None:
        """How far the laptop's clock is off the office's, when it is more than CLOCK_WARN_S: the
        header says so (the office corrects the SOP times; the laptop's own pages show its clock)."""
        if self.clock_offset_s is None or abs(self.clock_offset_s) <= CLOCK_WARN_S:
            return None
        return timedelta(seconds=abs(self.clock_offset_s))

    def to_json(self) -> dict:
        """Exactly the keys of `flask sync status --json`."""
        return {"node": self.node, "online": self.online, "pending": self.pending,
                "last_success": self.last_success.isoformat() if self.last_success else None,
                "last_error": self.last_error}


def node_state() -> NodeState:
    link = db.session.get(NodeLink, 1)
    node = current_app.config.get("NODE_ID", "OFFICE")
    return NodeState(
        node=link.node_code if link else node, paired=link is not None, online=bool(link and link.online),
        pending=outbox.pending_count(), pending_applications=outbox.pending_application_count(),
        refused=outbox.refused_count(),
        last_success=link.last_success_at if link else None, last_attempt=link.last_attempt_at if link else None,
        last_error=(link.last_error if link else str(_l("Belum dipasangkan dengan kantor."))),
        clock_offset_s=link.clock_offset_s if link else None, office_url=link.office_url if link else None)


def status() -> dict:
    return node_state().to_json()


# --- one pass -----------------------------------------------------------------------------------------

def _lock_path() -> Path:
    configured = current_app.config.get("SYNC_LOCK_FILE")
    return Path(configured) if configured else tokens.token_path().with_name("sync.lock")


@contextmanager
def pass_lock() -> Iterator[bool]:
    """One pass at a time per node (the worker's loop and the header's button): yields False when
    another process is in a pass right now."""
    path = _lock_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def run_once(*, transport=None, timeout: float | None = None, budget_s: float | None = None,
             clock=None) -> sync_client.PassResult:
    """One pass, in an app context of its own (its commits never touch the caller's transaction),
    unless another pass is running."""
    app = current_app._get_current_object()
    with pass_lock() as mine:
        if not mine:
            return sync_client.PassResult(skipped=True, error=str(_l("Sinkronisasi lain sedang berjalan.")))
        with app.app_context():
            try:
                kwargs = {"clock": clock} if clock else {}
                return sync_client.run_pass(transport=transport, timeout=timeout, budget_s=budget_s, **kwargs)
            finally:
                db.session.remove()


def run_from_button() -> sync_client.PassResult:
    """The header's "Sinkronkan sekarang": short timeouts and a time budget (never hangs the page)."""
    timeout = min(BUTTON_TIMEOUT, float(current_app.config.get("SYNC_TIMEOUT_SECONDS", BUTTON_TIMEOUT)))
    return run_once(timeout=timeout, budget_s=BUTTON_BUDGET)


# --- pairing (node) -------------------------------------------------------------------------------------

def check_office_url(url: str | None) -> str:
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise DomainError(_l("Alamat kantor harus berupa URL http(s)://host[:port], mis. https://kantor.example."),
                          field="office")
    return url


def is_plain_http_to_another_host(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in ("127.0.0.1", "localhost", "::1")


def pair(office_url: str, token: str, *, transport=None, actor=None) -> sync_client.Hello:
    """Check the token against the office (hello), then keep the link and the token (0600 file).
    Raises DomainError when the office refuses the token, sync_client.OfficeUnreachable when it
    cannot be reached (nothing is kept then)."""
    office_url = check_office_url(office_url)
    token = (token or "").strip()
    if not tokens.looks_like_token(token):
        raise DomainError(_l("Token tidak dikenali: salin persis seperti yang dicetak `flask nodes add`."),
                          field="token")
    node = current_app.config.get("NODE_ID", "OFFICE")
    client = sync_client.SyncClient(office_url, token, node, transport=transport or sync_client.default_transport(),
                                    timeout=float(current_app.config.get("SYNC_TIMEOUT_SECONDS", 5.0)))
    try:
        hello = client.hello(backlog=outbox.pending_count())
    except sync_client.OfficeRefused as error:
        raise DomainError(_l("Kantor menolak pemasangan: %(e)s", e=str(error)), field="token") from None
    tokens.save_token(token)
    link = db.session.get(NodeLink, 1) or NodeLink(id=1)
    link.node_code, link.office_url, link.token_hint = node, office_url, tokens.hint(token)
    link.paired_at, link.online, link.clock_offset_s = utcnow(), True, hello.clock_offset_s
    link.last_attempt_at = link.last_success_at = utcnow()
    link.last_error = None
    db.session.add(link)
    audit("sync_pair", actor=actor, entity_type=None,
          summary=f"{node} dipasangkan dengan {office_url} (token …{tokens.hint(token)}); selisih jam "
                  f"{hello.clock_offset_s:+.0f} dtk")
    db.session.flush()
    return hello
