"""Double booking: whole days, inclusive at both ends."""
from datetime import date

import pytest

from webapp.trips.booking import date_range_label, ranges_overlap, trip_days

D = lambda day, month=12: date(2026, month, day)  # noqa: E731


@pytest.mark.parametrize("a, b, overlap", [
    ((D(3), D(4)), (D(5), D(6)), False),    # adjacent days: the bus is back, fine
    ((D(5), D(6)), (D(3), D(4)), False),
    ((D(3), D(4)), (D(4), D(5)), True),     # one shared day
    ((D(4), D(5)), (D(3), D(4)), True),
    ((D(3), D(3)), (D(3), D(3)), True),     # same single day
    ((D(1), D(10)), (D(4), D(5)), True),    # one inside the other
    ((D(4), D(5)), (D(1), D(10)), True),
    ((D(1), D(2)), (D(8), D(9)), False),
])
def test_ranges_overlap_at_the_edges(a, b, overlap):
    assert ranges_overlap(*a, *b) is overlap


def test_trip_days_are_inclusive():
    assert trip_days(D(3), D(5)) == [D(3), D(4), D(5)]
    assert trip_days(D(3), D(3)) == [D(3)]


@pytest.mark.parametrize("start, end, label", [
    (D(3), D(3), "03 Desember 2026"),
    (D(3), D(4), "03–04 Desember 2026"),
    (D(30, 11), D(2), "30 November – 02 Desember 2026"),
    (D(31), date(2027, 1, 1), "31 Desember 2026 – 01 Januari 2027"),
])
def test_date_range_label_in_indonesian(start, end, label):
    assert date_range_label(start, end) == label
