"""A NIK or No. KK never reaches a log line, however it is written."""
import logging

import pytest

from webapp.core.logging import NikScrubber, scrub

NIK = "6306104509870001"


@pytest.mark.parametrize("written", [
    "6306104509870001", "6306-1045-0987-0001", "6306.1045.0987.0001", "6306 1045 0987 0001",
    "6306\u00a01045\u00a00987\u00a00001", "63.06.10.450987.0001", "6306/1045/0987/0001", "6306_1045_0987_0001",
    "6306+1045+0987+0001", "6306%201045%200987%200001", "6306-1045 0987.0001",
])
def test_a_nik_in_any_grouping_is_masked(written):
    assert scrub(f"cari NIK {written} di desa") == "cari NIK 6306••••••••0001 di desa"


def test_two_numbers_joined_are_both_masked():
    assert scrub("6306104509870001-6306101203150007") == "6306••••••••0001-6306••••••••0007"


@pytest.mark.parametrize("harmless", [
    "2026-12-02 14:00:00.123456", "192.168.100.200", "0812-3456-7890", "PMH-OFFICE-000012",
    "12345678901234567",            # 17 digits: not a NIK
    "123456789012345",              # 15 digits
])
def test_other_numbers_are_left_alone(harmless):
    assert scrub(harmless) == harmless


def test_tracebacks_are_masked_too():
    try:
        raise ValueError(f"bad value 6306.1045.0987.0001")
    except ValueError:
        import sys
        record = logging.LogRecord("webapp", logging.ERROR, __file__, 1, "failed for %s", (NIK,), sys.exc_info())
    NikScrubber().filter(record)
    line = logging.Formatter().format(record)
    assert "0987" not in line and "6306••••••••0001" in line
