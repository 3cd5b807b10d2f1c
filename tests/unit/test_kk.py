"""No. KK checks: 6-digit issuing area + issue date DDMMYY + 4-digit serial (layout to confirm)."""
import json
from datetime import date

import pytest
from wtforms import Form, StringField

from webapp.identity.nik import check_kk, mask
from webapp.identity.validators import KkValidator

TODAY = date(2025, 6, 1)


def make_kk(region: str = "630610", ddmmyy: str = "120315", serial: str = "0003") -> str:
    return f"{region}{ddmmyy}{serial}"


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


def check(value, **kwargs):
    kwargs.setdefault("today", TODAY)
    return check_kk(value, **kwargs)


def test_a_loksado_kk_is_read_into_its_parts():
    result = check(make_kk())
    assert result.valid
    assert (result.errors, result.warnings, result.notes) == ((), (), ())
    assert result.value == "6306101203150003"
    assert (result.regency_code, result.regency_name) == ("63.06", "Kabupaten Hulu Sungai Selatan")
    assert (result.kecamatan_code, result.kecamatan_name) == ("63.06.10", "Loksado")
    assert result.issue_date == date(2015, 3, 12)
    assert result.serial == "0003"


@pytest.mark.parametrize(
    ("ddmmyy", "issue_date"),
    [
        ("010100", date(2000, 1, 1)),
        ("311224", date(2024, 12, 31)),
        ("290200", date(2000, 2, 29)),
        ("290216", date(2016, 2, 29)),
        ("010625", date(2025, 6, 1)),
        ("020625", date(1925, 6, 2)),  # a 2025 date after today falls back to 1925
    ],
)
def test_issue_date_is_read_with_the_latest_century_not_after_today(ddmmyy, issue_date):
    result = check(make_kk(ddmmyy=ddmmyy))
    assert result.valid and result.warnings == ()
    assert result.issue_date == issue_date


@pytest.mark.parametrize(
    "ddmmyy",
    ["000115", "320115", "410115", "710115", "011315", "010015", "300215", "290215", "310415"],
)
def test_an_impossible_issue_date_is_only_a_warning(ddmmyy):
    """No +40 rule for a KK; the layout is unconfirmed, so the number stays valid."""
    result = check(make_kk(ddmmyy=ddmmyy))
    assert result.valid
    assert codes(result.warnings) == ["kk.date_invalid"]
    assert f"{ddmmyy[:2]}-{ddmmyy[2:4]}-{ddmmyy[4:]}" in str(result.warnings[0].message)
    assert result.issue_date is None


@pytest.mark.parametrize("length", [15, 17])
def test_wrong_length_is_an_error(length):
    result = check(make_kk().ljust(length, "1")[:length])
    assert codes(result.errors) == ["kk.length"]
    assert str(result.errors[0].message) == f"No. KK harus 16 digit, yang diisi {length} digit."


@pytest.mark.parametrize("value", ["63061012O3150003", "KK6306101203150003", "6306_1012_0315_0003"])
def test_letters_are_an_error(value):
    assert codes(check(value).errors) == ["kk.not_digits"]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_empty_is_an_error(value):
    result = check(value)
    assert codes(result.errors) == ["kk.empty"]
    assert str(result.errors[0].message) == "No. KK belum diisi."


@pytest.mark.parametrize(
    "value", ["6306 1012 0315 0003", "6306.1012.0315.0003", " 6306-1012-0315-0003 "]
)
def test_separators_are_accepted(value):
    result = check(value)
    assert result.valid
    assert result.value == "6306101203150003"


@pytest.mark.parametrize("prefix", ["6399", "9999"])
def test_unknown_issuing_area_is_an_error(prefix):
    result = check(make_kk(region=f"{prefix}01"))
    assert codes(result.errors) == ["kk.region_unknown"]
    assert "pada No. KK" in str(result.errors[0].message)


def test_historical_issuing_area_is_valid_with_a_note():
    result = check(make_kk(region="920101", ddmmyy="150618"))
    assert result.valid
    assert result.warnings == ()
    assert codes(result.notes) == ["kk.region_historical"]


def test_issuing_area_in_kalimantan_utara_is_valid():
    result = check(make_kk(region="650101"))
    assert result.valid and result.warnings == ()
    assert result.province_name == "Kalimantan Utara"


def test_kecamatan_outside_the_list_is_a_warning():
    result = check(make_kk(region="630699"))
    assert result.valid
    assert codes(result.warnings) == ["kk.kecamatan_unknown"]


def test_serial_0000_is_an_error():
    result = check(make_kk(serial="0000"))
    assert codes(result.errors) == ["kk.serial_zero"]
    assert not result.valid


def test_errors_and_warnings_together():
    result = check(make_kk(region="639901", ddmmyy="320115", serial="0000"))
    assert codes(result.errors) == ["kk.region_unknown", "kk.serial_zero"]
    assert codes(result.warnings) == ["kk.date_invalid"]


def test_to_dict_is_json_ready_and_repr_is_masked():
    result = check(make_kk())
    data = json.loads(json.dumps(result.to_dict()))
    assert data["issue_date"] == "2015-03-12"
    assert data["kecamatan"] == {"code": "63.06.10", "name": "Loksado"}
    assert "sex" not in data
    assert make_kk() not in repr(result)
    assert mask(result.value) in repr(result)


class FamilyForm(Form):
    no_kk = StringField(validators=[KkValidator()])


class RequiredKkForm(Form):
    no_kk = StringField(validators=[KkValidator(allow_empty=False)])


def test_kk_validator_blocks_errors_and_keeps_warnings():
    form = FamilyForm(data={"no_kk": make_kk(ddmmyy="320115", serial="0000")})
    assert not form.validate()
    assert form.errors["no_kk"] == ["Nomor urut pada No. KK (4 digit terakhir) tidak boleh 0000."]
    assert form.no_kk.kk_warnings == [
        "Tanggal terbit pada No. KK (32-01-15) bukan tanggal yang mungkin; "
        "periksa kembali nomornya."
    ]


def test_kk_validator_passes_a_valid_number_and_an_empty_optional_one():
    form = FamilyForm(data={"no_kk": make_kk()})
    assert form.validate()
    assert form.no_kk.kk_check.value == make_kk()
    assert FamilyForm(data={"no_kk": ""}).validate()


def test_kk_validator_can_require_the_number():
    form = RequiredKkForm(data={"no_kk": ""})
    assert not form.validate()
    assert form.errors["no_kk"] == ["No. KK wajib diisi."]
