"""Query-string filters: out-of-range values are clamped, garbage is ignored, never an error."""
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from webapp.core.args import MAX_DATE, MAX_PAGE, MIN_DATE, arg_date, arg_int, arg_page, arg_text


@pytest.mark.parametrize("raw, expected", [
    ("2026-12-01", date(2026, 12, 1)), ("0001-01-01", MIN_DATE), ("9999-12-31", MAX_DATE),
    ("2026-02-30", None), ("garbage", None), ("", None), ("\x00", None), ("2026-12-01\x00", date(2026, 12, 1)),
    ("9" * 5000, None),
])
def test_dates(raw, expected):
    assert arg_date(MultiDict({"d": raw}), "d") == expected


@pytest.mark.parametrize("raw, expected", [
    ("12", 12), ("-3000000", 0), ("3000000", 150), ("9" * 30, 150), ("1e309", None), ("NaN", None),
    ("", None), (" 7 ", 7), ("\x007", 7),
])
def test_ints_are_clamped(raw, expected):
    assert arg_int(MultiDict({"n": raw}), "n", lo=0, hi=150) == expected


def test_pages_and_text():
    assert [arg_page(MultiDict({"page": v})) for v in ("3", "-5", "0", "x", "9" * 40)] == [3, 1, 1, 1, MAX_PAGE]
    assert arg_page(MultiDict({"page": str(MAX_PAGE + 1)})) == MAX_PAGE
    assert arg_text(MultiDict({"q": " a\x00b " + "c" * 100}), "q", 5) == "ab cc"
