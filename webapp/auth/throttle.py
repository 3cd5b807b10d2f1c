"""Slowing down password guessing without locking the owner out.

Failures are counted per (account name, client address) and per account name from every
address, in the database (several workers, restarts). The first `free_failures` failures of a
pair cost nothing; after that each failure doubles the wait of that pair (2, 4, 8 … seconds,
capped). The owner on another address is not affected by that pair. Across all addresses an
account gets `account_free_failures` within `account_window`, then a short wait (capped at
`account_max_wait`): a spread-out attack is slowed, the owner only waits a minute at most.

An attempt during a wait is refused without looking at the password and is not counted. The
account is named by an HMAC of the typed name (lower-cased), so a name that does not exist is
treated exactly like one that does: the answers cannot tell them apart.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from webapp.auth.models import LoginThrottle
from webapp.extensions import db

EVERY_ADDRESS = "*"


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5                          # per account and address
    max_wait: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=24)   # a pair's count is dropped after this quiet time
    account_free_failures: int = 20                 # per account, from every address, within the window
    account_max_wait: timedelta = timedelta(minutes=1)
    account_window: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config) -> "ThrottlePolicy":
        return cls(free_failures=config["LOGIN_MAX_FAILURES"],
                   max_wait=timedelta(seconds=config["LOGIN_BACKOFF_MAX_SECONDS"]),
                   forget_after=timedelta(hours=config["LOGIN_BACKOFF_FORGET_HOURS"]),
                   account_free_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
                   account_max_wait=timedelta(seconds=config["LOGIN_ACCOUNT_MAX_WAIT_SECONDS"]),
                   account_window=timedelta(minutes=config["LOGIN_ACCOUNT_WINDOW_MINUTES"]))


def account_key(username: str | None) -> str:
    name = (username or "").strip().lower()[:200]
    secret = (current_app.config["SECRET_KEY"] if has_app_context() else "") or ""
    return hmac.new(str(secret).encode(), name.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def _normal_address(address: str | None) -> str:
    return (address or "?")[:64]


def wait_before_attempt(key: str, address: str | None, *, now: datetime) -> timedelta:
    """How long this account name must wait before a password is checked from this address
    (zero when it may try now)."""
    rows = db.session.execute(select(LoginThrottle.blocked_until).where(
        LoginThrottle.account_key == key,
        LoginThrottle.address.in_([_normal_address(address), EVERY_ADDRESS]))).scalars().all()
    waits = [until - now for until in rows if until is not None and until > now]
    return max(waits, default=timedelta(0))


def _wait_after(failures: int, free: int, cap: timedelta) -> timedelta | None:
    over = failures - free
    if over < 0:
        return None
    # 2 ** over would overflow timedelta long before the cap matters: stop doubling early.
    seconds = 2 ** min(over + 1, 40)
    return min(timedelta(seconds=seconds), cap)


def _count(key: str, address: str, *, now: datetime, forget_after: timedelta, free: int,
           cap: timedelta) -> int:
    """Add one failure to the (key, address) row (atomically, on any worker); set its wait."""
    quiet_since = now - forget_after
    table = LoginThrottle.__table__
    bump = (update(table).where(table.c.account_key == key, table.c.address == address)
            .values(failures=case((table.c.last_failure_at < quiet_since, 1), else_=table.c.failures + 1),
                    last_failure_at=now)
            .returning(table.c.failures))
    failures = db.session.execute(bump).scalar_one_or_none()
    if failures is None:
        try:
            with db.session.begin_nested():
                db.session.execute(table.insert().values(account_key=key, address=address, failures=1,
                                                         last_failure_at=now))
            failures = 1
        except IntegrityError:        # another worker inserted the row meanwhile
            failures = db.session.execute(bump).scalar_one()
    wait = _wait_after(failures, free, cap)
    db.session.execute(update(table).where(table.c.account_key == key, table.c.address == address)
                       .values(blocked_until=now + wait if wait else None))
    return failures


def record_failure(key: str, address: str | None, policy: ThrottlePolicy, *, now: datetime) -> timedelta:
    """Count a failed password for the pair and for the account; the wait that now applies."""
    _count(key, _normal_address(address), now=now, forget_after=policy.forget_after,
           free=policy.free_failures, cap=policy.max_wait)
    _count(key, EVERY_ADDRESS, now=now, forget_after=policy.account_window,
           free=policy.account_free_failures, cap=policy.account_max_wait)
    # Rows quiet for longer than any memory are of no use: keep the table small.
    oldest = now - max(policy.forget_after, policy.account_window)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < oldest))
    return wait_before_attempt(key, address, now=now)


def record_success(key: str, address: str | None) -> None:
    """The owner got in from this address: that pair starts afresh (the account-wide count
    stays: a spread-out attack is not over because the owner logged in)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.account_key == key,
                                                   LoginThrottle.address == _normal_address(address)))


def forget_account(username: str) -> None:
    """An admin reset: every count of this account name is dropped."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.account_key == account_key(username)))


def slowed_usernames(usernames, *, now: datetime) -> set[str]:
    """Which of these account names must wait before their next attempt from some address."""
    keys = {account_key(name): name for name in usernames}
    if not keys:
        return set()
    rows = db.session.execute(select(LoginThrottle.account_key).where(
        LoginThrottle.account_key.in_(list(keys)), LoginThrottle.blocked_until > now).distinct()).scalars()
    return {keys[key] for key in rows}
