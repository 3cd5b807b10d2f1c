"""``flask nik check`` on a minimal app (no database, no app factory needed)."""
import json
import logging

import pytest
from flask import Flask
from flask_babel import Babel

from webapp.identity.cli import nik_cli

VALID_MAN = "6306101708850012"      # Loksado, 17-08-1985, L
VALID_WOMAN = "6306105708850013"    # Loksado, 17-08-1985, P
HISTORICAL = "9201010101900001"     # KAB. SORONG (92.01) before 2023
INVALID = "6399013202970000"        # unknown prefix, day 32, serial 0000

JSON_KEYS = {
    "nik", "valid", "errors", "warnings", "notes", "province", "regency", "kecamatan",
    "serial", "birth_date", "sex", "birth_date_ambiguous",
}


@pytest.fixture
def runner():
    app = Flask(__name__)
    Babel(app)
    app.cli.add_command(nik_cli)
    return app.test_cli_runner()


def run(runner, *args):
    return runner.invoke(args=["nik", "check", *args])


def json_lines(result) -> list[dict]:
    return [json.loads(line) for line in result.output.splitlines()]


def test_all_valid_exits_0_with_one_summary_line_each(runner):
    result = run(runner, VALID_MAN, VALID_WOMAN)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:2] == [VALID_MAN, "SAH"]
    assert "Loksado, Kabupaten Hulu Sungai Selatan" in lines[0]
    assert "lahir 1985-08-17" in lines[0]


def test_any_invalid_exits_1_and_lists_every_error(runner):
    result = run(runner, VALID_MAN, INVALID)
    assert result.exit_code == 1
    assert f"{INVALID}   TIDAK SAH" in result.output
    errors = [line for line in result.output.splitlines() if line.lstrip().startswith("✗")]
    assert len(errors) == 3
    assert "63.99" in errors[0]


def test_separators_in_an_argument_are_accepted(runner):
    result = run(runner, "6306 1017 0885 0012")
    assert result.exit_code == 0
    assert result.output.startswith(VALID_MAN)


def test_json_prints_one_object_per_nik_per_line(runner):
    result = run(runner, "--json", VALID_MAN, HISTORICAL, INVALID, "123")
    assert result.exit_code == 1
    rows = json_lines(result)
    assert [row["nik"] for row in rows] == [VALID_MAN, HISTORICAL, INVALID, "123"]
    assert all(set(row) == JSON_KEYS for row in rows)
    assert [row["valid"] for row in rows] == [True, True, False, False]

    man, historical, invalid, short = rows
    assert man["kecamatan"] == {"code": "63.06.10", "name": "Loksado"}
    assert man["sex"] == "L"
    assert (man["birth_date"], man["birth_date_ambiguous"]) == ("1985-08-17", False)
    assert historical["regency"] == {"code": "92.01", "name": "KAB. SORONG"}
    assert [n["code"] for n in historical["notes"]] == ["nik.region_historical"]
    assert [e["code"] for e in invalid["errors"]] == [
        "nik.region_unknown", "nik.date_invalid", "nik.serial_zero",
    ]
    assert invalid["regency"] == {"code": "63.99", "name": None}
    assert short["province"] is short["regency"] is short["kecamatan"] is None
    assert short["errors"][0]["message"] == "NIK harus 16 digit, yang diisi 3 digit."


def test_sex_and_birth_date_options_give_warnings_but_exit_0(runner):
    result = run(
        runner, "--json", "--sex", "L", "--birth-date", "1985-08-18", VALID_MAN, VALID_WOMAN
    )
    assert result.exit_code == 0
    man, woman = json_lines(result)
    assert [w["code"] for w in man["warnings"]] == ["nik.birth_date_mismatch"]
    assert [w["code"] for w in woman["warnings"]] == ["nik.sex_mismatch", "nik.birth_date_mismatch"]


def test_human_output_marks_warnings_and_notes(runner):
    result = run(runner, "--sex", "p", VALID_MAN, HISTORICAL)
    assert result.exit_code == 0
    warning = "    ! Jenis kelamin menurut NIK (laki-laki) berbeda dengan data (perempuan)."
    assert warning in result.output
    assert "    · Kode wilayah 92.01 (KAB. SORONG)" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],                                      # a NIK is required
        ["--sex", "X", VALID_MAN],
        ["--birth-date", "17-08-1985", VALID_MAN],
    ],
)
def test_usage_errors_exit_2(runner, args):
    assert run(runner, *args).exit_code == 2


def test_no_nik_reaches_the_logging_module(runner, caplog):
    caplog.set_level(logging.DEBUG)
    run(runner, "--json", VALID_MAN, INVALID)
    run(runner, VALID_MAN, INVALID)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert VALID_MAN not in logged and INVALID not in logged
