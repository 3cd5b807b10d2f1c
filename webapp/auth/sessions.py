"""One row per login (LoginSession): a logout or a timeout ends that login on the server.

The browser keeps a random token in its (signed) session cookie; the database keeps its SHA-256.
A request is logged in only when the cookie's user id and user token match the user (ended by a
password change, a role change or a deactivation: every login of the user) *and* its login token
names a row that is not ended (ended by logout or timeout: this login only).
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from webapp.auth.models import LoginSession, User
from webapp.core.db import utcnow
from webapp.extensions import db


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, *, address: str | None, user_agent: str | None, forget_before: datetime,
          now: datetime | None = None) -> str:
    """A new login of `user`; returns the token for the session cookie. Ended logins of the
    user and those older than `forget_before` (past the absolute timeout) are removed."""
    now = now or utcnow()
    db.session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id,
        or_(LoginSession.ended_at.is_not(None), LoginSession.started_at < forget_before)))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=_hash(token), started_at=now,
                                address=(address or "")[:64] or None, user_agent=(user_agent or "")[:200] or None))
    db.session.flush()
    return token


def end(token: str | None, *, now: datetime | None = None) -> None:
    """End the login that holds this token (logout, timeout); nothing when there is none."""
    if not token:
        return
    db.session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(str(token)),
                                                  LoginSession.ended_at.is_(None))
                       .values(ended_at=now or utcnow()))


def is_open(user_id: uuid.UUID, token: str | None) -> bool:
    if not token or not isinstance(token, str):
        return False
    return db.session.execute(select(LoginSession.id).where(
        LoginSession.user_id == user_id, LoginSession.token_hash == _hash(token),
        LoginSession.ended_at.is_(None))).first() is not None


def load_user(session_id: str, token: str | None) -> User | None:
    """Flask-Login's user loader: the user of this cookie, or None when any part of it is stale."""
    user_id, _sep, user_token = (session_id or "").partition(":")
    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    if user is None or not user.active or user.session_token != user_token:
        return None
    if not is_open(user.id, token):
        return None
    return user


def open_count(user: User) -> int:
    return len(db.session.execute(select(LoginSession.id).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))).all())
