"""One unit of work per request, per CLI command and per job: the only places that commit.

Web requests: `after_request` commits when the response is < 400 and rolls back otherwise (a
refused form, a 404, a 422 with errors next to the fields leave nothing half-written);
`teardown_request` rolls back when the view raised. Services never commit: they add, flush when
they need a key or a default now, and raise a DomainError when a rule says no.

CLI commands, demo loaders and background jobs wrap their work in `unit_of_work()`; a long job
that must make progress visible in steps (a register import's batches) opens one unit per step.
"""
from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, Response, g

from webapp.extensions import db


@contextmanager
def unit_of_work():
    """Commit what the block wrote, or roll all of it back if the block raises."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def keep_after_rollback() -> None:
    """Mark this request's transaction to be committed even though the answer is >= 400.

    For writes that must outlive a refusal, e.g. a failed login counting towards the lockout
    (the answer says no, but the attempt is a fact)."""
    g._uow_commit_anyway = True


def _commit_or_rollback(response: Response) -> Response:
    if response.status_code < 400 or g.pop("_uow_commit_anyway", False):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _rollback_on_error(exc: BaseException | None) -> None:
    if exc is not None:
        db.session.rollback()


def init_app(app: Flask) -> None:
    # Registered first, so it runs last among after_request hooks: the response is final.
    app.after_request_funcs.setdefault(None, []).insert(0, _commit_or_rollback)
    app.teardown_request(_rollback_on_error)
