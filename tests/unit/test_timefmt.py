"""Dates and times in the user's language, from Babel's locale data; WITA for clock times."""
from datetime import date, datetime, timezone

import pytest

from webapp.core.timefmt import date_range_label, format_date, format_datetime

D = lambda day, month=12, year=2026: date(year, month, day)  # noqa: E731


@pytest.mark.parametrize("start, end, indonesian, english", [
    (D(10), D(10), "10 Desember 2026", "10 December 2026"),
    (D(3), D(4), "03–04 Desember 2026", "03–04 December 2026"),
    (D(30, 11), D(2), "30 November – 02 Desember 2026", "30 November – 02 December 2026"),
    (D(31), D(1, 1, 2027), "31 Desember 2026 – 01 Januari 2027", "31 December 2026 – 01 January 2027"),
    (D(28, 2), D(1, 3), "28 Februari – 01 Maret 2026", "28 February – 01 March 2026"),
])
def test_a_trip_range_names_its_months_in_the_language_asked(start, end, indonesian, english):
    assert date_range_label(start, end) == indonesian          # no app: Indonesian
    assert date_range_label(start, end, locale="id") == indonesian
    assert date_range_label(start, end, locale="en") == english


def test_dates_outside_a_request_are_indonesian():
    assert format_date(D(3)) == "03-12-2026"
    assert format_date(D(3), long=True) == "3 Desember 2026"
    assert format_date(D(9, 8), long=True, locale="en") == "9 August 2026"
    assert format_date(None) == "—"


def test_clock_times_are_shown_in_wita_and_late_utc_evenings_fall_on_the_next_day():
    late_evening_utc = datetime(2026, 12, 3, 17, 30, tzinfo=timezone.utc)     # 01:30 WITA on the 4th
    assert format_datetime(late_evening_utc) == "04-12-2026 01:30 WITA"
    assert format_date(late_evening_utc) == "04-12-2026"
    assert format_datetime(datetime(2026, 12, 3, 1, 5)) == "03-12-2026 09:05 WITA"   # naive = UTC
