"""Users, login, lockout and passwords. Plain arguments in, results or DomainError out."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.auth import throttle
from webapp.auth.models import User
from webapp.auth.passwords import hash_password, needs_rehash, verify_password
from webapp.auth.roles import Role
from webapp.auth.throttle import ThrottlePolicy
from webapp.core.changes import audit, record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.extensions import db

MIN_PASSWORD_LENGTH = 10


class LoginError(DomainError):
    pass


def get_user(user_id) -> User | None:
    return db.session.get(User, user_id)


def find_by_username(username: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()


def check_password_policy(password: str, username: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD_LENGTH), field="password")
    if username and username.lower() in password.lower():
        raise DomainError(_l("Kata sandi tidak boleh memuat nama pengguna."), field="password")
    if len(set(password)) < 4:
        raise DomainError(_l("Kata sandi terlalu mudah ditebak."), field="password")


def _validate_role_fields(role: str, desa_code: str | None) -> None:
    if role not in {r.value for r in Role}:
        raise DomainError(_l("Peran tidak dikenal."), field="role")
    if role == Role.KEPALA_DESA and not desa_code:
        raise DomainError(_l("Akun kepala desa harus terikat pada satu desa."), field="desa_code")


def create_user(*, username: str, full_name: str, role: str, password: str, actor=None,
                desa_code: str | None = None, nip: str | None = None,
                must_change_password: bool = True) -> User:
    username = username.strip().lower()
    if find_by_username(username):
        raise DomainError(_l("Nama pengguna sudah dipakai."), field="username")
    _validate_role_fields(role, desa_code)
    check_password_policy(password, username)
    user = User(username=username, full_name=full_name.strip(), role=role, nip=nip or None,
                desa_code=desa_code if role == Role.KEPALA_DESA else None,
                password_hash=hash_password(password), must_change_password=must_change_password)
    db.session.add(user)
    record_change(user, "create", actor=actor, summary=f"{username} ({role})")
    db.session.flush()
    return user


def update_user(user: User, *, full_name: str, role: str, desa_code: str | None, nip: str | None,
                actor) -> User:
    _validate_role_fields(role, desa_code)
    if user.id == getattr(actor, "id", None) and role != user.role:
        raise DomainError(_l("Anda tidak dapat mengubah peran akun Anda sendiri."), field="role")
    changed = []
    if user.role != role:
        changed.append(f"peran {user.role}→{role}")
        user.rotate_session_token()   # a new role starts a new session
    user.full_name, user.role, user.nip = full_name.strip(), role, nip or None
    user.desa_code = desa_code if role == Role.KEPALA_DESA else None
    record_change(user, "update", actor=actor, summary=", ".join(changed) or "data akun")
    db.session.flush()
    return user


def set_active(user: User, active: bool, *, actor) -> User:
    if user.id == getattr(actor, "id", None) and not active:
        raise DomainError(_l("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    user.active = active
    if not active:
        user.rotate_session_token()
    record_change(user, "update", actor=actor, summary="diaktifkan" if active else "dinonaktifkan")
    db.session.flush()
    return user


def reset_password(user: User, *, actor) -> str:
    """Give the user a one-time password they must change at the next login."""
    temporary = "-".join(secrets.token_urlsafe(4) for _ in range(3))
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    throttle.forget_account(user.username)    # the reset also lets the owner try again at once
    user.rotate_session_token()
    record_change(user, "update", actor=actor, summary="kata sandi direset")
    db.session.flush()
    return temporary


def change_password(user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError(_l("Kata sandi saat ini salah."), field="current_password")
    if current == new:
        raise DomainError(_l("Kata sandi baru harus berbeda dari yang lama."), field="password")
    check_password_policy(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.rotate_session_token()
    record_change(user, "update", actor=user, summary="kata sandi diganti")
    db.session.flush()


class LoginThrottled(LoginError):
    """Too many failures for this name from this address (or from everywhere): wait."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(_l("Terlalu banyak percobaan masuk yang gagal. Tunggu %(wait)s, lalu coba lagi.",
                            wait=wait_text(wait)))
        self.wait = wait


def wait_text(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return str(_l("%(n)d detik", n=seconds))
    return str(_l("%(n)d menit", n=(seconds + 59) // 60))


def authenticate(username: str, password: str, *, address: str | None, policy: ThrottlePolicy,
                 now: datetime | None = None) -> User:
    """Return the user or raise LoginError with a message for the login form.

    A name that does not exist is answered exactly like a wrong password, and is throttled
    exactly like an existing name (see webapp/auth/throttle.py): neither the message nor the
    work done (a password hash is always verified, or none while waiting) tells them apart."""
    now = now or utcnow()
    key = throttle.account_key(username)
    wait = throttle.wait_before_attempt(key, address, now=now)
    user = find_by_username(username or "")
    if wait > timedelta(0):
        audit("login_throttled", entity_type="user" if user else None, entity_id=user.id if user else None,
              summary=user.username if user else "nama pengguna tidak dikenal")
        db.session.flush()
        raise LoginThrottled(wait)
    if user is None or not verify_password(user.password_hash, password or ""):
        if user is None:
            verify_password(None, password or "")
        wait = throttle.record_failure(key, address, policy, now=now)
        audit("login_failed", entity_type="user" if user else None, entity_id=user.id if user else None,
              summary=user.username if user else "nama pengguna tidak dikenal")
        db.session.flush()
        if wait > timedelta(0):
            raise LoginThrottled(wait)
        raise LoginError(_l("Nama pengguna atau kata sandi salah."))
    if not user.active:
        audit("login_inactive", entity_type="user", entity_id=user.id, summary=user.username)
        db.session.flush()
        raise LoginError(_l("Akun ini tidak aktif. Hubungi admin."))
    throttle.record_success(key, address)
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit("login", actor=user, entity_type="user", entity_id=user.id, summary=user.username)
    db.session.flush()
    return user


def slowed_usernames(usernames, now: datetime | None = None) -> set[str]:
    """For the admin's user list: names that must wait before their next login attempt."""
    return throttle.slowed_usernames(usernames, now=now or utcnow())


def list_users(q: str | None = None, role: str | None = None):
    stmt = select(User).order_by(User.active.desc(), User.username)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(func.lower(User.username).like(like) | func.lower(User.full_name).like(like))
    if role:
        stmt = stmt.where(User.role == role)
    return db.session.execute(stmt).scalars().all()
