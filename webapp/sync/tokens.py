"""Node tokens: made once at the office, shown once, stored hashed; kept by the node in a 0600 file.

A token is 32 random bytes (256 bits, URL-safe base64). Such a secret cannot be guessed or
brute-forced from its hash, so a plain SHA-256 is enough (a slow password hash protects the
low-entropy secrets people choose, and would cost every push tens of milliseconds); the hash
also lets the office find the node by its token with one lookup, and the stored
value is compared in constant time. See docs/decisions/0009-sync-protocol.md.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import current_app

PREFIX = "kp1_"              # recognisable in a leaked paste, and a version should the format change
TOKEN_BYTES = 32
HASH_SCHEME = "sha256$"
HINT_LENGTH = 4


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return HASH_SCHEME + hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash or "")


def hint(token: str) -> str:
    """The last characters, for people to tell tokens apart (never enough to use one)."""
    return token.strip()[-HINT_LENGTH:]


def looks_like_token(token: str | None) -> bool:
    token = (token or "").strip()
    return token.startswith(PREFIX) and 40 <= len(token) <= 80


# --- the node's copy ----------------------------------------------------------------------------

def token_path() -> Path:
    """instance/sync-token, or SYNC_TOKEN_FILE (two apps in one test process need their own)."""
    configured = current_app.config.get("SYNC_TOKEN_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "sync-token"


def save_token(token: str) -> Path:
    """Write the token owner-only (0600 from the first byte, replaced atomically)."""
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".new")
    if temporary.exists():
        temporary.unlink()
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(token.strip() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def load_token() -> str | None:
    path = token_path()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None
