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
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


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
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    RATELIMIT_HEADERS_ENABLED = True

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024     # hard ceiling; each upload field has its own limit
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024

    AGENT_URL = "ws://127.0.0.1:8765"
    TRUSTED_NETWORKS = ""                # comma-separated CIDRs allowed to reach non-public pages; empty = all
    HSTS = False

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
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.HSTS = _env_bool("HSTS", self.HSTS)
        self.AGENT_URL = os.environ.get("AGENT_URL", self.AGENT_URL)
        self.TRUSTED_NETWORKS = os.environ.get("TRUSTED_NETWORKS", self.TRUSTED_NETWORKS)
        self.UPLOAD_FOLDER = str(instance_path / "files")
        # Number of trusted reverse proxies in front of the app (X-Forwarded-For/-Proto).
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)


class TestConfig(Config):
    TESTING = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    WTF_CSRF_ENABLED = True              # CSRF stays on in tests; the client fixture sends the token

    def __init__(self, instance_path: Path | None = None) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = "test-secret-key"
        self.RATELIMIT_STORAGE_URI = "memory://"
        if not os.environ.get("DATABASE_URL"):
            self.SQLALCHEMY_DATABASE_URI = "sqlite://"
