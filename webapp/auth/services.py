"""Users, login, lockout and passwords. Plain arguments in, results or DomainError out."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.auth.models import User
from webapp.auth.passwords import hash_password, needs_rehash, verify_password
from webapp.auth.roles import Role
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
    user.failed_logins = 0
    user.locked_until = None
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


def authenticate(username: str, password: str, *, max_failures: int, lockout_minutes: int,
                 now: datetime | None = None) -> User:
    """Return the user or raise LoginError with a message for the login form.

    Per-account lockout lives in the database (not in process memory) so it holds across
    workers and restarts. The message for a wrong name and a wrong password is the same."""
    now = now or utcnow()
    user = find_by_username(username or "")
    wrong = LoginError(_l("Nama pengguna atau kata sandi salah."))
    if user is None:
        verify_password(None, password or "")
        audit("login_failed", summary="nama pengguna tidak dikenal")
        db.session.flush()
        raise wrong
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        audit("login_locked", entity_type="user", entity_id=user.id, summary=user.username)
        db.session.flush()
        raise LoginError(_l("Akun dikunci sementara karena terlalu banyak percobaan gagal. "
                            "Coba lagi dalam %(m)d menit atau hubungi admin.", m=minutes))
    if not verify_password(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            audit("account_locked", entity_type="user", entity_id=user.id, summary=user.username)
            db.session.flush()
            raise LoginError(_l("Terlalu banyak percobaan gagal. Akun dikunci selama %(m)d menit.",
                                m=lockout_minutes))
        audit("login_failed", entity_type="user", entity_id=user.id, summary=user.username)
        db.session.flush()
        raise wrong
    if not user.active:
        audit("login_inactive", entity_type="user", entity_id=user.id, summary=user.username)
        db.session.flush()
        raise LoginError(_l("Akun ini tidak aktif. Hubungi admin."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit("login", actor=user, entity_type="user", entity_id=user.id, summary=user.username)
    db.session.flush()
    return user


def list_users(q: str | None = None, role: str | None = None):
    stmt = select(User).order_by(User.active.desc(), User.username)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(func.lower(User.username).like(like) | func.lower(User.full_name).like(like))
    if role:
        stmt = stmt.where(User.role == role)
    return db.session.execute(stmt).scalars().all()
