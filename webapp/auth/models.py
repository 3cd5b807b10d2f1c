from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.auth.roles import Role
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey, utcnow
from webapp.extensions import db


def _new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UUIDKey, Timestamps, NodeStamp, UserMixin, db.Model):
    __tablename__ = "users"
    __sync__ = False   # accounts live at the office; a node gets its team in the checkout package
    __entity_type__ = "user"

    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    nip: Mapped[str | None] = mapped_column(String(24))        # civil-servant number, optional
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    desa_code: Mapped[str | None] = mapped_column(String(13))  # only for kepala_desa
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the login session id: rotating it (password change/reset, role change,
    # deactivation) ends every session of this user on every worker. One login is ended
    # alone (logout, timeout) through its LoginSession row.
    session_token: Mapped[str] = mapped_column(String(32), default=_new_session_token, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(5))

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()


class LoginSession(UUIDKey, db.Model):
    """One row per login. The browser's session cookie carries a random token; only its
    SHA-256 is stored here. Logging out or timing out ends the row, so the cookie opens
    nothing afterwards, even replayed; the user's other logins (other devices) go on."""

    __tablename__ = "login_session"
    __sync__ = False   # a login on this node, for this node

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_login_session_user", "user_id"),)


class LoginThrottle(db.Model):
    """Failed logins of one account name from one client address, and (address "*") of one
    account name from every address. The name is a keyed hash of what was typed, so unknown
    names are counted exactly like real ones and no typed text is kept. Node-local, never
    synced: no UUID key."""

    __tablename__ = "login_throttle"
    __sync__ = False   # node-local lockout counters

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_login_throttle_last_failure", "last_failure_at"),)
