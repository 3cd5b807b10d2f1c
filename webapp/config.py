"""Configuration from the environment (Procfile / twelve-factor convention).

Safe defaults make the quick start work with no environment at all: a SQLite file in the
instance folder, a random per-install secret kept in the instance folder, node OFFICE.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: Path) -> str:
    """A secret generated once per installation, so the quick start is never run with a
    well-known key. Production sets SECRET_KEY in the environment."""
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Created owner-only (0600) from the first byte, not chmod-ed after being written.
        try:
            with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:       # another worker created it meanwhile
            pass
    return key_file.read_text().strip()


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


_SYNC_ENV = {"SYNC_TOKEN_FILE": str, "SYNC_LOCK_FILE": str, "SYNC_TIMEOUT_SECONDS": float,
             "SYNC_INTERVAL_SECONDS": float, "SYNC_BATCH_SIZE": int, "SYNC_TRANSFER_TIMEOUT_SECONDS": float}
# Backup and retention (webapp/ops, docs/operations.md "Retensi data"), when set in the environment.
_OPS_ENV = {"RETENTION_FILES_DAYS": int, "RETENTION_OUTBOX_DAYS": int, "RETENTION_PARTIAL_DAYS": int,
            "RETENTION_ORPHAN_DAYS": int, "PG_BIN_DIR": str}


class Config:
    ROLE = "office"                      # office | field
    NODE_ID = "OFFICE"
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Makassar"
    LANGUAGES = ("id", "en")
    DISPLAY_TIMEZONE = "Asia/Makassar"   # WITA

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "kp_session"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 10
    WTF_CSRF_TIME_LIMIT = None           # the token lives as long as the session does

    LOGIN_RATE_LIMIT = "20 per 5 minutes"
    PUBLIC_STATUS_RATE_LIMIT = "10 per minute"   # /status lookups per address (every POST counts)
    # Failed logins slow the guesser down, never lock the owner out (webapp/auth/throttle.py):
    # per account name and address, LOGIN_MAX_FAILURES free failures, then 2, 4, 8 … seconds of
    # wait, at most LOGIN_BACKOFF_MAX_SECONDS, forgotten after LOGIN_BACKOFF_FORGET_HOURS of quiet;
    # per account name from every address, LOGIN_ACCOUNT_MAX_FAILURES within the window, then
    # waits of at most LOGIN_ACCOUNT_MAX_WAIT_SECONDS.
    LOGIN_MAX_FAILURES = 5
    LOGIN_BACKOFF_MAX_SECONDS = 15 * 60
    LOGIN_BACKOFF_FORGET_HOURS = 24
    LOGIN_ACCOUNT_MAX_FAILURES = 20
    LOGIN_ACCOUNT_MAX_WAIT_SECONDS = 60
    LOGIN_ACCOUNT_WINDOW_MINUTES = 60
    RATELIMIT_HEADERS_ENABLED = True

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024     # hard ceiling; each upload field has its own limit
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    # A form refused as too large is read up to this much (files dropped, fields kept) to show it
    # again with what was typed (webapp/files/oversize.py).
    REFUSED_UPLOAD_READ_BYTES = 64 * 1024 * 1024

    # An XLSX is a zip archive: refused before it is opened when it would inflate beyond these
    # limits (webapp/core/tabular.py, "zip bombs"). Measured: a 239,471-row SIAK export (the
    # whole regency) is 19 MB on disk, 203–231 MB inflated, ratio ~11, 9 members; reading it
    # peaks at ~430 MB of memory.
    XLSX_MAX_COMPRESSION_RATIO = 100
    XLSX_MAX_MEMBERS = 500
    REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024   # register import (SIAK exports)
    # A register export with fewer rows than the setting `register_shrink_percent` of the current
    # register, or without a village (kecamatan) that has at least this many residents in it, waits
    # for a confirmation (webapp/quality/importer.py); a waiting import is dropped after the hours.
    # (A village of HSS has hundreds of residents; a few records under a code corrected since in
    # SIAK are no sign of a partial export.)
    QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS = 50
    QUALITY_IMPORT_STAGED_HOURS = 24
    RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024    # village resident lists (2,000 rows)

    # The buses (field nodes) a trip can take: "CODE=Name;CODE=Name" (webapp/trips/buses.py).
    BUSES = "BUS-01=Bus Ketupat Pecel 01"
    AGENT_URL = "ws://127.0.0.1:8765"
    # The agent's tickets (webapp/devices/tickets.py): which devices the pages use ("field": capture,
    # card, scan, print for the field team; "pickup": scan and print at the office's pick-up desk;
    # empty: "field" when ROLE=field, else "pickup"), the signing key (default
    # instance/agent-ticket-key.pem, made on first use) and a ticket's lifetime.
    AGENT_DESK = ""
    AGENT_TICKET_KEY_FILE = ""
    AGENT_TICKET_SECONDS = 60
    # Retention under UU 27/2022 (`flask ops retention`): scans and photos of applications handed over
    # this many days ago, sync outbox rows sent, partial media uploads, files no row names any more.
    RETENTION_FILES_DAYS = 365
    RETENTION_OUTBOX_DAYS = 30
    RETENTION_PARTIAL_DAYS = 7
    RETENTION_ORPHAN_DAYS = 30
    PG_BIN_DIR = ""                      # pg_dump/pg_restore of the server's major version; empty: PATH
    TRUSTED_NETWORKS = ""                # comma-separated CIDRs allowed to reach non-public pages; empty = all
    HSTS = False

    # Background jobs (webapp/jobs, docs/decisions/0007-job-queue.md). JOBS_URL: sqlite:///… (the
    # default, instance/jobs.sqlite), redis://… (the default when REDIS_URL is set) or memory://.
    JOBS_IMMEDIATE = False               # True: run each job in the asking process on commit (tests)
    JOBS_WORKERS = 1                     # worker threads of `flask jobs worker`
    JOBS_HEARTBEAT_SECONDS = 10          # a running job's process writes its heartbeat this often
    JOBS_STALE_SECONDS = 45              # a running job quiet this long is abandoned: failed
    JOBS_JANITOR_SECONDS = 15            # how often the worker's janitor looks

    # Duplicate detector thresholds (see webapp/quality/duplicates.py DuplicateConfig).
    DUPLICATE_THRESHOLDS: dict = {}
    PEREKAMAN_MIN_AGE = 17

    def __init__(self, instance_path: Path | None = None) -> None:
        instance_path = instance_path or Path.cwd() / "instance"
        self.ROLE = os.environ.get("ROLE", self.ROLE)
        self.NODE_ID = os.environ.get("NODE_ID", self.NODE_ID).strip().upper()
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret(instance_path)
        default_db = f"sqlite:///{instance_path / 'ketupat.sqlite'}"
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", default_db))
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.JOBS_URL = (os.environ.get("JOBS_URL") or self.REDIS_URL
                         or f"sqlite:///{instance_path / 'jobs.sqlite'}")
        self.JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", self.JOBS_WORKERS) or 1)
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        for name in COOKIE_SETTINGS:            # a field node's own names otherwise (name_node_cookies)
            if os.environ.get(name):
                setattr(self, name, os.environ[name])
        self.HSTS = _env_bool("HSTS", self.HSTS)
        self.AGENT_URL = os.environ.get("AGENT_URL", self.AGENT_URL)
        self.AGENT_DESK = os.environ.get("AGENT_DESK", self.AGENT_DESK)
        self.AGENT_TICKET_KEY_FILE = os.environ.get("AGENT_TICKET_KEY_FILE", self.AGENT_TICKET_KEY_FILE)
        self.AGENT_TICKET_SECONDS = int(os.environ.get("AGENT_TICKET_SECONDS") or self.AGENT_TICKET_SECONDS)
        self.BUSES = os.environ.get("BUSES", self.BUSES)
        self.TRUSTED_NETWORKS = os.environ.get("TRUSTED_NETWORKS", self.TRUSTED_NETWORKS)
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(instance_path / "files")
        # Sync settings of docs/sync-protocol.md (Configuration), when set in the environment.
        for name, kind in _SYNC_ENV.items():
            if os.environ.get(name):
                setattr(self, name, kind(os.environ[name]))
        for name, kind in _OPS_ENV.items():
            if os.environ.get(name):
                setattr(self, name, kind(os.environ[name]))
        # Number of trusted reverse proxies in front of the app (X-Forwarded-For/-Proto).
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)


COOKIE_SETTINGS = ("SESSION_COOKIE_NAME", "REMEMBER_COOKIE_NAME")


def field_cookie_names(role: str | None, node_id: str | None) -> dict[str, str]:
    """A field node's cookie names carry its node id (kp_session_bus-01): a browser keeps one
    cookie jar per host, not per port, so the demo office (:5000) and bus (:5001) on 127.0.0.1
    would otherwise overwrite each other's login (and its CSRF token, kept in the session).
    The office keeps the plain names."""
    if (role or "office").strip().lower() != "field":
        return {}
    suffix = "".join(c if c.isalnum() or c == "-" else "_" for c in (node_id or "").strip().lower()) or "field"
    return {"SESSION_COOKIE_NAME": f"kp_session_{suffix}", "REMEMBER_COOKIE_NAME": f"kp_remember_{suffix}"}


def name_node_cookies(config, explicit=()) -> None:
    """Give a field node's config its own cookie names, unless set explicitly (the environment's
    SESSION_COOKIE_NAME / REMEMBER_COOKIE_NAME, or a test's overrides)."""
    chosen = set(explicit) | {name for name in COOKIE_SETTINGS if os.environ.get(name)}
    for name, value in field_cookie_names(config.get("ROLE"), config.get("NODE_ID")).items():
        if name not in chosen:
            config[name] = value


def unshared_state_problem(role: str, web_workers: int, redis_url: str) -> str | None:
    """Why the office must not start this way, or None. Several web worker processes each keep
    their own in-memory login rate-limit counters unless REDIS_URL gives them one shared store:
    the limit would silently multiply. The field node (one worker) is exempt."""
    if (role or "office").strip().lower() != "office" or web_workers <= 1 or (redis_url or "").strip():
        return None
    return (f"ROLE=office with {web_workers} web workers needs REDIS_URL (e.g. redis://127.0.0.1:6379/0): "
            "the login rate limit and the job queue must be shared by every worker, and an in-memory "
            "store per worker silently multiplies the limit. Set REDIS_URL, or run one worker "
            "(WEB_CONCURRENCY=1).")


class TestConfig(Config):
    TESTING = True
    JOBS_IMMEDIATE = True                # a job runs in the test's process when its transaction commits
    LOGIN_RATE_LIMIT = "1000 per minute"
    PUBLIC_STATUS_RATE_LIMIT = "1000 per minute"   # the rate-limit test sets its own
    WTF_CSRF_ENABLED = True              # CSRF stays on in tests; the client fixture sends the token

    def __init__(self, instance_path: Path | None = None) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = "test-secret-key"
        self.RATELIMIT_STORAGE_URI = "memory://"
        if not os.environ.get("DATABASE_URL"):
            self.SQLALCHEMY_DATABASE_URI = "sqlite://"
