"""Receipt codes without a database: the QR payload, check code normalisation, working days,
what the public status page reads from its two fields, and the status derived from the
applications on a receipt."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from webapp.documents import public_status as ps
from webapp.intake import receipts


def _receipt(*statuses, status="aktif", collect_at="kantor"):
    return SimpleNamespace(number="KP-BUS01-000123", check_code="ABC234", status=status, collect_at=collect_at,
                           collect_label="Kantor Disdukcapil HSS", desa_code="63.06.10.2009",
                           expected_ready_on=date(2026, 5, 20),
                           applications=[SimpleNamespace(status=s) for s in statuses])


# ---------------------------------------------------------------- QR and check code

def test_qr_payload_round_trip():
    receipt = SimpleNamespace(number="KP-BUS01-000123", check_code="ABC234")
    payload = receipts.qr_payload(receipt)
    assert payload == "KPTT:KP-BUS01-000123:ABC234"
    assert receipts.parse_qr_payload(payload) == ("KP-BUS01-000123", "ABC234")


@pytest.mark.parametrize("scanned, expected", [
    ("kptt:kp-bus01-000123:abc234", ("KP-BUS01-000123", "ABC234")),     # scanner in lower case
    ("  KPTT:KP-BUS01-000123:ABC-234\n", ("KP-BUS01-000123", "ABC234")),  # Enter and a hyphen
    ("KPTT:KP-BUS01-000123", None),                                        # check code cut off
    ("KPTT:KP-BUS01-000123:ABC234:X", None),                               # one part too many
    ("XYZ:KP-BUS01-000123:ABC234", None),                                  # not our prefix
    ("KP-BUS01-000123", None),                                             # a typed number is no QR
    ("", None),
    (None, None),
])
def test_parse_qr_payload(scanned, expected):
    assert receipts.parse_qr_payload(scanned) == expected


@pytest.mark.parametrize("typed, expected", [
    ("abc234", "ABC234"), (" ab c-23 4 ", "ABC234"), ("ABC.234", "ABC234"), ("", ""), (None, ""),
])
def test_normalise_check_code(typed, expected):
    assert receipts.normalise_check_code(typed) == expected


def test_new_check_codes_use_the_unambiguous_alphabet():
    codes = {receipts.new_check_code() for _ in range(200)}
    assert all(len(c) == receipts.CHECK_LENGTH for c in codes)
    assert not set("".join(codes)) & set("01OIL")
    assert len(codes) > 190


def test_check_code_comparison_needs_a_receipt_and_the_same_code():
    receipt = SimpleNamespace(check_code="ABC234")
    assert receipts.check_code_matches(receipt, "abc 234")
    assert not receipts.check_code_matches(receipt, "ABC235")
    assert not receipts.check_code_matches(receipt, "")
    assert not receipts.check_code_matches(None, "000000")        # the stand-in never matches
    assert not receipts.check_code_matches(None, "ABC234")


def test_receipt_numbers_are_normalised_as_typed():
    assert receipts.normalise_number(" kp-bus01-000123 ") == "KP-BUS01-000123"
    assert receipts.normalise_number("KP-BUS01 -000123") == "KP-BUS01-000123"
    assert receipts.normalise_number(None) == ""


# ---------------------------------------------------------------- working days

@pytest.mark.parametrize("start, days, expected", [
    (date(2026, 5, 11), 1, date(2026, 5, 12)),    # Monday → Tuesday
    (date(2026, 5, 15), 1, date(2026, 5, 18)),    # Friday → Monday
    (date(2026, 5, 16), 1, date(2026, 5, 18)),    # Saturday → Monday
    (date(2026, 5, 17), 1, date(2026, 5, 18)),    # Sunday → Monday
    (date(2026, 5, 11), 5, date(2026, 5, 18)),    # a whole week
    (date(2026, 5, 14), 3, date(2026, 5, 19)),    # Thursday + 3 → Tuesday
    (date(2026, 5, 11), 0, date(2026, 5, 11)),
])
def test_add_working_days_skips_weekends(start, days, expected):
    assert receipts.add_working_days(start, days) == expected


# ---------------------------------------------------------------- what the status page reads

def test_status_input_typed_pair():
    assert ps.read_status_input(" kp-bus01-000123 ", "abc-234") == ("KP-BUS01-000123", "ABC234")


def test_status_input_qr_text_in_either_field_wins():
    qr = "KPTT:KP-BUS01-000123:ABC234"
    assert ps.read_status_input(qr, "") == ("KP-BUS01-000123", "ABC234")
    assert ps.read_status_input("", qr) == ("KP-BUS01-000123", "ABC234")
    assert ps.read_status_input(qr, "ZZZZZZ") == ("KP-BUS01-000123", "ABC234")


def test_status_input_broken_qr_matches_nothing():
    assert ps.read_status_input("KPTT:KP-BUS01-000123", "ABC234") == ("", "")


# ---------------------------------------------------------------- the status from the applications

@pytest.mark.parametrize("statuses, state, partly", [
    (["tanda_terima"], "diterima", False),
    (["di_kantor"], "diproses", False),
    (["diproses", "terbit"], "diproses", False),
    (["siap_diambil"], "siap_diambil", False),
    (["diambil", "diambil"], "sudah_diambil", False),
    (["tanda_terima", "di_kantor"], "diterima", False),      # the least advanced
    (["diproses", "siap_diambil"], "diproses", True),        # "sebagian siap"
    (["siap_diambil", "diambil"], "siap_diambil", False),
    (["ditolak"], "tindak_lanjut", False),
    (["ditolak", "siap_diambil"], "siap_diambil", False),
])
def test_derive_status(statuses, state, partly):
    result = ps.derive_status(_receipt(*statuses))
    assert (result.state, result.partly_ready) == (state, partly)
    assert result.some_need_follow_up == ("ditolak" in statuses)


def test_cancelled_receipt_is_not_valid_whatever_its_applications():
    result = ps.derive_status(_receipt("draf", status="dibatalkan"))
    assert result.state == "tidak_berlaku" and result.collect_label is None


def test_ready_date_only_while_not_ready_and_place_until_collected():
    assert ps.derive_status(_receipt("diproses")).expected_ready_on == date(2026, 5, 20)
    ready = ps.derive_status(_receipt("siap_diambil"))
    assert ready.expected_ready_on is None and ready.collect_label == "Kantor Disdukcapil HSS"
    assert ps.derive_status(_receipt("diambil")).collect_label is None
