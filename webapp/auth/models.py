from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.auth.roles import Role
from webapp.core.db import NodeStamp, Timestamps, UTCDateTime, UUIDKey
from webapp.extensions import db


def _new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UUIDKey, Timestamps, NodeStamp, UserMixin, db.Model):
    __tablename__ = "users"
    __entity_type__ = "user"

    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    nip: Mapped[str | None] = mapped_column(String(24))        # civil-servant number, optional
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    desa_code: Mapped[str | None] = mapped_column(String(13))  # only for kepala_desa
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the login session id: rotating it (password change/reset, deactivation) ends
    # every session of this user on every worker.
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
