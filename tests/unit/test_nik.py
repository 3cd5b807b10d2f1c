"""NIK checks (DOMAIN.md, "Identifiers"), each rule at its edges."""
import dataclasses
import json
from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import Babel
from wtforms import DateField, Form, StringField

from webapp.identity.nik import Problem, check_nik, mask
from webapp.identity.validators import NikValidator

TODAY = date(2025, 6, 1)
LOKSADO = "630610"


def make_nik(region: str = LOKSADO, ddmmyy: str = "010190", serial: str = "0001") -> str:
    return f"{region}{ddmmyy}{serial}"


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


def check(value, **kwargs):
    kwargs.setdefault("today", TODAY)
    return check_nik(value, **kwargs)


# --- a plain valid NIK ---------------------------------------------------------------------


def test_a_loksado_nik_is_read_into_its_parts():
    result = check(make_nik(ddmmyy="170885", serial="0012"))
    assert result.valid
    assert (result.errors, result.warnings, result.notes) == ((), (), ())
    assert result.value == "6306101708850012"
    assert (result.province_code, result.province_name) == ("63", "Kalimantan Selatan")
    assert (result.regency_code, result.regency_name) == ("63.06", "Kabupaten Hulu Sungai Selatan")
    assert (result.kecamatan_code, result.kecamatan_name) == ("63.06.10", "Loksado")
    assert result.sex == "L"
    assert result.birth_date == date(1985, 8, 17)
    assert result.birth_date_ambiguous is False
    assert result.serial == "0012"


# --- the date part: day, month, calendar ------------------------------------------------------


@pytest.mark.parametrize(
    ("ddmmyy", "sex", "birth_date"),
    [
        ("010190", "L", date(1990, 1, 1)),
        ("310190", "L", date(1990, 1, 31)),
        ("410190", "P", date(1990, 1, 1)),
        ("710190", "P", date(1990, 1, 31)),
        ("011290", "L", date(1990, 12, 1)),
    ],
)
def test_day_01_to_31_is_male_and_41_to_71_female(ddmmyy, sex, birth_date):
    result = check(make_nik(ddmmyy=ddmmyy))
    assert result.valid, result.errors
    assert (result.sex, result.birth_date) == (sex, birth_date)


@pytest.mark.parametrize("day", ["00", "32", "40", "72", "99"])
def test_day_outside_01_31_and_41_71_is_an_error(day):
    result = check(make_nik(ddmmyy=f"{day}0190"))
    assert not result.valid
    assert codes(result.errors) == ["nik.date_invalid"]
    assert f"hari {day}" in str(result.errors[0].message)
    assert (result.sex, result.birth_date) == (None, None)


@pytest.mark.parametrize("month", ["00", "13", "99"])
def test_month_outside_01_12_is_an_error(month):
    result = check(make_nik(ddmmyy=f"01{month}90"))
    assert codes(result.errors) == ["nik.date_invalid"]
    assert f"bulan {month}" in str(result.errors[0].message)
    assert result.birth_date is None


def test_bad_day_and_bad_month_are_both_reported():
    result = check(make_nik(ddmmyy="321390"))
    assert codes(result.errors) == ["nik.date_invalid", "nik.date_invalid"]


@pytest.mark.parametrize(
    ("ddmmyy", "birth_date"),
    [
        ("290200", date(2000, 2, 29)),  # 2000 is a leap year (1900 is not): valid
        ("690200", date(2000, 2, 29)),  # the same for a woman
        ("290296", date(1996, 2, 29)),
        ("690296", date(1996, 2, 29)),
        ("290204", date(2004, 2, 29)),
        ("280297", date(1997, 2, 28)),
        ("300490", date(1990, 4, 30)),
    ],
)
def test_real_calendar_dates_are_valid(ddmmyy, birth_date):
    result = check(make_nik(ddmmyy=ddmmyy))
    assert result.valid, result.errors
    assert result.birth_date == birth_date


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "290297", "690297", "300200", "300296", "700296",
        "310490", "710490", "310690", "310990", "311190",
    ],
)
def test_dates_missing_from_the_calendar_are_errors(ddmmyy):
    result = check(make_nik(ddmmyy=ddmmyy))
    assert codes(result.errors) == ["nik.date_invalid"]
    assert "tidak ada di kalender" in str(result.errors[0].message)
    assert (result.sex, result.birth_date) == (None, None)


# --- the century -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddmmyy", "birth_date", "ambiguous"),
    [
        ("010115", date(2015, 1, 1), True),    # 1915 is 110 years ago: could be either
        ("010185", date(1985, 1, 1), False),   # 2085 is in the future
        ("010625", date(2025, 6, 1), True),    # today is not "after today"; 1925 is 100 years
        ("020625", date(1925, 6, 2), False),   # 2025-06-02 is tomorrow: 1925 is the only choice
        ("020604", date(2004, 6, 2), True),    # 1904-06-02: 120 years old today
        ("010604", date(2004, 6, 1), False),   # 1904-06-01: 121 years old today
        ("290200", date(2000, 2, 29), False),  # 1900-02-29 does not exist
        ("010100", date(2000, 1, 1), False),   # 1900: 125 years old
    ],
)
def test_the_century_is_the_latest_not_after_today(ddmmyy, birth_date, ambiguous):
    result = check(make_nik(ddmmyy=ddmmyy))
    assert result.birth_date == birth_date
    assert result.birth_date_ambiguous is ambiguous


def test_today_defaults_to_the_real_date_and_accepts_a_datetime():
    assert check_nik(make_nik(ddmmyy="010115")).birth_date == date(2015, 1, 1)
    assert check(make_nik(ddmmyy="010115"), today=datetime(2025, 6, 1, 9, 30)).valid


# --- serial --------------------------------------------------------------------------------


@pytest.mark.parametrize(("serial", "valid"), [("0000", False), ("0001", True), ("9999", True)])
def test_serial_starts_at_0001(serial, valid):
    result = check(make_nik(serial=serial))
    assert result.valid is valid
    assert codes(result.errors) == ([] if valid else ["nik.serial_zero"])
    assert result.serial == serial


# --- shape of the input ----------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 15, 17, 20])
def test_wrong_length_says_how_many_digits_were_given(length):
    value = make_nik().ljust(length, "1")[:length]
    result = check(value)
    assert codes(result.errors) == ["nik.length"]
    assert f"yang diisi {length} digit" in str(result.errors[0].message)
    assert result.value == value
    assert result.regency_code is None


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_empty_input_is_an_error(value):
    result = check(value)
    assert not result.valid
    assert codes(result.errors) == ["nik.empty"]
    assert result.value == ""


@pytest.mark.parametrize(
    "value",
    [
        "63061001019O0001",         # letter O for zero
        "6306100101900001x",
        "NIK 6306100101900001",
        "6306/1001/0190/0001",
        "６３０６１００１０１９０００１",  # full-width digits
        "+6306100101900001",
    ],
)
def test_anything_but_digits_and_separators_is_an_error(value):
    result = check(value)
    assert codes(result.errors) == ["nik.not_digits"]
    assert result.value == value.strip()
    assert result.birth_date is None


@pytest.mark.parametrize(
    "value",
    [
        " 6306100101900001 ",
        "6306 1001 0190 0001",
        "6306.1001.0190.0001",
        "63.06.10.010190.0001",
        "6306-1001-0190-0001",
        "\u00a06306100101900001\t",  # no-break space from a spreadsheet
    ],
)
def test_spaces_dots_and_hyphens_are_separators(value):
    result = check(value)
    assert result.valid, result.errors
    assert result.value == "6306100101900001"


# --- region ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["6399", "9999", "0000", "6400", "9700"])
def test_a_province_regency_prefix_that_never_existed_is_an_error(prefix):
    result = check(make_nik(region=f"{prefix}01"))
    assert not result.valid
    assert codes(result.errors) == ["nik.region_unknown"]
    assert f"{prefix[:2]}.{prefix[2:]}" in str(result.errors[0].message)
    assert result.warnings == ()  # no extra kecamatan warning on top of the error
    assert (result.regency_code, result.regency_name) == (f"{prefix[:2]}.{prefix[2:]}", None)


@pytest.mark.parametrize(
    ("region", "regency", "last_year"),
    [("920101", "KAB. SORONG", 2023), ("910101", "KAB. MERAUKE", 2022)],
)
def test_a_historical_prefix_is_valid_with_a_note_not_a_warning(region, regency, last_year):
    result = check(make_nik(region=region))
    assert result.valid
    assert result.warnings == ()
    assert codes(result.notes) == ["nik.region_historical"]
    assert str(last_year) in str(result.notes[0].message)
    assert result.regency_name == regency
    assert result.kecamatan_name is not None


@pytest.mark.parametrize(
    ("region", "label"),
    [
        ("640401", "Tanjung Palas, Kabupaten Bulungan, Kalimantan Utara (dahulu 64.04.01, Kalimantan Timur)"),
        ("640412", "Bunyu, Kabupaten Bulungan, Kalimantan Utara (dahulu 64.04.12, Kalimantan Timur)"),
        ("640502", "Nunukan, Kabupaten Nunukan, Kalimantan Utara (dahulu 64.05.02, Kalimantan Timur)"),
        ("640602", "Malinau Kota, Kabupaten Malinau, Kalimantan Utara (dahulu 64.06.02, Kalimantan Timur)"),
        ("641001", "Sesayap, Kabupaten Tana Tidung, Kalimantan Utara (dahulu 64.10.01, Kalimantan Timur)"),
        ("647304", "Tarakan Utara, Kota Tarakan, Kalimantan Utara (dahulu 64.73.04, Kalimantan Timur)"),
    ],
)
def test_a_kaltara_nik_issued_before_2012_is_valid_and_shown_with_todays_region(region, label):
    result = check(make_nik(region=region, ddmmyy="170885"))
    assert result.valid and result.warnings == ()
    assert codes(result.notes) == ["nik.region_historical"]
    assert result.region_label == label
    assert (result.province_code, result.province_name) == ("64", "Kalimantan Timur")  # what the digits say


def test_the_note_on_an_old_kaltara_code_names_todays_code_and_province():
    result = check(make_nik(region="640401"))
    assert str(result.notes[0].message) == (
        "Kode wilayah 64.04 pada NIK adalah kode lama Kabupaten Bulungan (berlaku sampai 2011); "
        "kini 65.01, Kalimantan Utara. Nomor yang terbit sebelumnya tetap sah."
    )


def test_an_unknown_kecamatan_under_an_old_kaltara_code_is_a_warning_and_shown_by_regency():
    result = check(make_nik(region="640410"))  # 64.04.10 existed, but the reference does not know it
    assert result.valid
    assert codes(result.warnings) == ["nik.kecamatan_unknown"]
    assert result.region_label == "Kabupaten Bulungan, Kalimantan Utara (dahulu 64.04, Kalimantan Timur)"


@pytest.mark.parametrize(
    ("region", "label"),
    [
        ("630610", "Loksado, Kabupaten Hulu Sungai Selatan"),
        ("650101", "Tanjung Palas, Kabupaten Bulungan"),
        ("920101", "Makbon, KAB. SORONG"),  # historical, but no known successor: as the list has it
        ("630699", "Kabupaten Hulu Sungai Selatan"),
        ("639901", None),
    ],
)
def test_region_label_of_other_niks(region, label):
    assert check(make_nik(region=region)).region_label == label


def test_region_label_of_an_unreadable_nik_is_none():
    assert check("12ab").region_label is None


@pytest.mark.parametrize(
    ("region", "province", "regency", "kecamatan"),
    [
        ("650101", "Kalimantan Utara", "Kabupaten Bulungan", "Tanjung Palas"),
        ("960101", "Papua Barat Daya", "Kabupaten Sorong", "Makbon"),
        ("317101", "Daerah Khusus Ibukota Jakarta", "Kota Administrasi Jakarta Pusat", "Gambir"),
        ("110101", "Aceh", "Kabupaten Aceh Selatan", "Bakongan"),
    ],
)
def test_a_nik_from_another_province_is_valid_and_clean(region, province, regency, kecamatan):
    result = check(make_nik(region=region))
    assert result.valid
    assert (result.errors, result.warnings, result.notes) == ((), (), ())
    assert (result.province_name, result.regency_name, result.kecamatan_name) == (
        province, regency, kecamatan,
    )


@pytest.mark.parametrize("kecamatan", ["00", "12", "99"])
def test_a_kecamatan_outside_the_list_is_only_a_warning(kecamatan):
    result = check(make_nik(region=f"6306{kecamatan}"))
    assert result.valid
    assert codes(result.warnings) == ["nik.kecamatan_unknown"]
    assert "Kabupaten Hulu Sungai Selatan" in str(result.warnings[0].message)
    assert (result.kecamatan_code, result.kecamatan_name) == (f"63.06.{kecamatan}", None)


# --- warnings against the record -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddmmyy", "record_sex", "warned"),
    [
        ("010190", "L", False),
        ("010190", "P", True),
        ("410190", "P", False),
        ("410190", "L", True),
        ("410190", "p", False),  # case-insensitive
        ("410190", None, False),
        ("410190", "", False),
    ],
)
def test_sex_from_the_nik_differing_from_the_record_is_a_warning(ddmmyy, record_sex, warned):
    result = check(make_nik(ddmmyy=ddmmyy), sex=record_sex)
    assert result.valid
    assert codes(result.warnings) == (["nik.sex_mismatch"] if warned else [])


def test_sex_mismatch_message_names_both_sides():
    result = check(make_nik(ddmmyy="410190"), sex="L")
    assert str(result.warnings[0].message) == (
        "Jenis kelamin menurut NIK (perempuan) berbeda dengan data (laki-laki)."
    )


def test_an_unknown_record_sex_is_a_programming_error():
    with pytest.raises(ValueError):
        check(make_nik(), sex="X")


@pytest.mark.parametrize(
    ("ddmmyy", "record_date", "warned"),
    [
        ("010190", date(1990, 1, 1), False),
        ("410190", date(1990, 1, 1), False),   # the +40 is not part of the date
        ("010190", date(1990, 1, 2), True),    # day
        ("010190", date(1990, 2, 1), True),    # month
        ("010190", date(1991, 1, 1), True),    # year
        ("010115", date(1915, 1, 1), False),   # only the 2-digit year is compared
        ("010190", datetime(1990, 1, 1, 8), False),
    ],
)
def test_birth_date_differing_from_the_record_is_a_warning(ddmmyy, record_date, warned):
    result = check(make_nik(ddmmyy=ddmmyy), birth_date=record_date)
    assert result.valid
    assert codes(result.warnings) == (["nik.birth_date_mismatch"] if warned else [])


def test_birth_date_mismatch_message_shows_both_dates():
    result = check(make_nik(ddmmyy="450685"), birth_date=date(1986, 6, 5))
    assert str(result.warnings[0].message) == (
        "Tanggal lahir menurut NIK (05-06-85) berbeda dengan data (05-06-1986)."
    )


def test_no_record_warnings_when_the_nik_date_itself_is_invalid():
    result = check(make_nik(ddmmyy="320190"), sex="P", birth_date=date(1980, 5, 5))
    assert codes(result.errors) == ["nik.date_invalid"]
    assert result.warnings == ()


def test_every_error_is_reported_at_once():
    result = check("6399013202970000", sex="P")
    assert codes(result.errors) == ["nik.region_unknown", "nik.date_invalid", "nik.serial_zero"]


# --- results and messages ----------------------------------------------------------------------


def test_to_dict_is_json_ready():
    result = check(make_nik(region="920101", ddmmyy="410115"), sex="L")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["value"] == "9201014101150001"
    assert data["valid"] is True
    assert data["province"] == {"code": "92", "name": "Papua Barat"}
    assert data["regency"] == {"code": "92.01", "name": "KAB. SORONG"}
    assert data["kecamatan"] == {"code": "92.01.01", "name": "Makbon"}
    assert data["sex"] == "P"
    assert data["birth_date"] == "2015-01-01"
    assert data["birth_date_ambiguous"] is True
    assert [w["code"] for w in data["warnings"]] == ["nik.sex_mismatch"]
    assert data["warnings"][0]["message"].startswith("Jenis kelamin menurut NIK")
    assert [n["code"] for n in data["notes"]] == ["nik.region_historical"]


def test_to_dict_of_an_unreadable_nik_has_no_region():
    data = check("12ab").to_dict()
    assert data["province"] is data["regency"] is data["kecamatan"] is None
    assert data["errors"] == [
        {"code": "nik.not_digits", "message": "NIK hanya boleh berisi angka."}
    ]


def test_repr_never_shows_the_full_nik():
    nik = make_nik(ddmmyy="170885", serial="0012")
    text = repr(check(nik))
    assert nik not in text
    assert "6306••••••••0012" in text


def test_results_and_problems_are_frozen():
    result = check(make_nik())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.valid = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Problem("x", "y").code = "z"  # type: ignore[misc]


def test_messages_render_without_an_app_context():
    message = check("123").errors[0].message
    assert str(message) == "NIK harus 16 digit, yang diisi 3 digit."


def test_messages_render_inside_a_babel_app():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert str(check("123").errors[0].message) == "NIK harus 16 digit, yang diisi 3 digit."


# --- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("6306101708850012", "6306••••••••0012"),
        ("6306 1017 0885 0012", "6306••••••••0012"),
        ("630610170885001", "•••••••••••5001"),
        ("12345", "•2345"),
        ("1234", "••••"),
        (None, "—"),
        ("", "—"),
        ("  ", "—"),
    ],
)
def test_mask(value, masked):
    assert mask(value) == masked


# --- WTForms validator ---------------------------------------------------------------------


class PersonForm(Form):
    nik = StringField(validators=[NikValidator(sex_field="sex", birth_date_field="birth_date")])
    sex = StringField()
    birth_date = DateField()


class OptionalNikForm(Form):
    nik = StringField(validators=[NikValidator()])


class RequiredNikForm(Form):
    nik = StringField(validators=[NikValidator(allow_empty=False)])


def test_validator_accepts_a_valid_nik_and_keeps_the_result():
    form = PersonForm(
        data={"nik": "6306 1017 0885 0012", "sex": "L", "birth_date": date(1985, 8, 17)}
    )
    assert form.validate(), form.errors
    assert form.nik.nik_check.value == "6306101708850012"
    assert form.nik.nik_warnings == []


def test_validator_raises_the_first_error_message():
    form = PersonForm(data={"nik": "6399013202970000", "birth_date": date(1997, 2, 2)})
    assert not form.validate()
    assert form.errors["nik"] == [
        "Kode provinsi dan kabupaten/kota 63.99 pada NIK tidak ada dalam daftar wilayah "
        "Kemendagri, baik yang berlaku maupun yang lama."
    ]


def test_validator_leaves_warnings_on_the_field_without_blocking():
    form = PersonForm(data={"nik": make_nik(ddmmyy="410190"), "sex": "L",
                            "birth_date": date(1990, 1, 2)})
    assert form.validate(), form.errors
    assert form.nik.nik_warnings == [
        "Jenis kelamin menurut NIK (perempuan) berbeda dengan data (laki-laki).",
        "Tanggal lahir menurut NIK (01-01-90) berbeda dengan data (02-01-1990).",
    ]


def test_validator_ignores_a_sex_or_date_field_it_cannot_use():
    form = PersonForm(data={"nik": make_nik(ddmmyy="410190"), "sex": "x", "birth_date": None})
    assert form.nik.validate(form)
    assert form.nik.nik_warnings == []


def test_validator_allows_empty_unless_told_otherwise():
    form = OptionalNikForm(data={"nik": ""})
    assert form.validate()
    assert form.nik.flags.optional
    assert form.nik.nik_check is None
    form = RequiredNikForm(data={"nik": "  "})
    assert not form.validate()
    assert form.errors["nik"] == ["NIK wajib diisi."]
    assert form.nik.flags.required
