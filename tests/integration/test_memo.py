"""Reads remembered for one transaction (webapp/core/memo.py): settings and requirement
templates are read once per request page, and a write is seen as soon as a query would see it."""
from contextlib import contextmanager

from sqlalchemy import event, update

from webapp.core.memo import memoised
from webapp.extensions import db
from webapp.requirements import services as requirements
from webapp.settings import services as settings
from webapp.settings.models import AppSetting


@contextmanager
def statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_read_is_made_once_per_transaction(app):
    with statements() as seen:
        first = settings.values()
        again = settings.values()
        assert settings.get_int("ktp_min_age") == 17
    assert first == again and first["ktp_min_age"] == 17
    assert sum("FROM app_setting" in s for s in seen) == 1


def test_the_memo_ends_with_the_transaction(app):
    settings.values()
    db.session.commit()
    with statements() as seen:
        settings.values()
    assert sum("FROM app_setting" in s for s in seen) == 1


def test_a_pending_write_is_seen_by_the_next_read(app):
    assert settings.get_int("kk_max_members") == 12
    db.session.add(AppSetting(key="kk_max_members", value="20"))   # not flushed yet
    assert settings.get_int("kk_max_members") == 20
    settings.set_value("kk_max_members", "25", actor=None)
    assert settings.get_int("kk_max_members") == 25


def test_a_flushed_write_forgets_the_memo(app):
    calls = []
    assert memoised("test.key", lambda: calls.append(1) or len(calls)) == 1
    assert memoised("test.key", lambda: calls.append(1) or len(calls)) == 1
    db.session.add(AppSetting(key="birth_report_days", value="90"))
    db.session.flush()
    assert memoised("test.key", lambda: calls.append(1) or len(calls)) == 2
    assert settings.get_int("birth_report_days") == 90


def test_values_hands_out_a_copy(app):
    settings.values()["ktp_min_age"] = 99
    assert settings.get_int("ktp_min_age") == 17


def test_a_template_and_its_items_are_read_once(app):
    requirements.seed_templates()
    db.session.commit()
    with statements() as seen:
        for _ in range(5):
            requirements.requirements_for("KTP_EL", "baru", age_years=30)
            requirements.eligibility_problems("KTP_EL", "baru", age_years=30, married=None)
    assert sum("FROM requirement_template" in s for s in seen) == 1
    assert sum("FROM requirement_item" in s for s in seen) == 1
    assert sum("FROM app_setting" in s for s in seen) == 1


def test_an_edited_template_is_read_again(app):
    requirements.seed_templates()
    db.session.commit()
    template = requirements.get_template("KTP_EL", "baru")
    template.active = False                      # pending: the read below queries (and autoflushes)
    assert requirements.requirements_for("KTP_EL", "baru", age_years=30) == []
    db.session.execute(update(type(template)).where(type(template).id == template.id).values(active=True))
    db.session.commit()                          # a new transaction reads the row again
    assert requirements.requirements_for("KTP_EL", "baru", age_years=30) != []
