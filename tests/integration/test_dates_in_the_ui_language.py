"""Month names follow the UI language (Babel's locale data): Indonesian by default, English in
the English UI — in templates (|tanggal) and in messages built in Python (the trip dates of a
double-booking message)."""
from datetime import date, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale

from tests.integration.trip_factories import disposed_request, office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import date_range_label, wita_today
from webapp.layanan.catalog import EQUIPMENT_KINDS


def test_long_dates_and_trip_ranges_are_english_in_the_english_ui(app):
    with app.test_request_context():
        assert render_template_string("{{ d|tanggal(true) }}", d=date(2026, 12, 10)) == "10 Desember 2026"
        assert date_range_label(date(2026, 11, 30), date(2026, 12, 2)) == "30 November – 02 Desember 2026"
        with force_locale("en"):
            assert render_template_string("{{ d|tanggal(true) }}", d=date(2026, 12, 10)) == "10 December 2026"
            assert date_range_label(date(2026, 12, 3), date(2026, 12, 4)) == "03–04 December 2026"
            assert date_range_label(date(2026, 12, 3), date(2026, 12, 4), locale="id") == "03–04 Desember 2026"


def test_a_double_booking_message_in_the_english_ui_names_the_month_in_english(app):
    from webapp.trips import services
    from webapp.trips.services import MemberChoice, TripPlan, TripPlanError

    kabid = office_user(Role.KABID_DAFDUK)
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat")
    start = wita_today() + timedelta(days=20)

    def plan(desa_code):
        return TripPlan(start_date=start, end_date=start + timedelta(days=1), node_code="BUS-01",
                        request_ids=[disposed_request(desa_code=desa_code).id],
                        members=[MemberChoice(officer.id, "perekaman")], accepted_missing=frozenset(EQUIPMENT_KINDS))

    services.schedule_trip(plan("63.06.10.2009"), actor=kabid)
    second = plan("63.06.10.2001")
    with app.test_request_context(), force_locale("en"), pytest.raises(TripPlanError) as refused:
        services.schedule_trip(second, actor=kabid)
    with app.test_request_context(), force_locale("en"):
        messages = " ".join(str(m) for ms in refused.value.errors.values() for m in ms)
    assert "Rahmat Hidayat" in messages
    end = start + timedelta(days=1)
    assert end.strftime("%B") in messages                # the English month name (C locale's strftime)
    assert date_range_label(start, end, locale="en") in messages
    if date_range_label(start, end, locale="id") != date_range_label(start, end, locale="en"):
        assert date_range_label(start, end, locale="id") not in messages
