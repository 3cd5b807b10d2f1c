"""``flask quality scan FILE [--json]`` on a minimal app (no database, no app factory)."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest
from flask import Flask
from flask_babel import Babel

from webapp.quality.cli import quality_cli
from webapp.quality.rules import RULES
from webapp.synthetic import generate_register, write_siak_csv, write_siak_xlsx

N = 200
PLANTED_RULES = {"nik.invalid": 1, "mother_name.missing": 1, "name.abbreviation": 1}


@pytest.fixture
def runner():
    app = Flask(__name__)
    Babel(app)
    app.cli.add_command(quality_cli)
    return app.test_cli_runner()


def scan(runner, path, *options):
    return runner.invoke(args=["quality", "scan", str(path), "--today", "2025-07-01", *options])


@pytest.fixture(scope="module")
def records():
    """A clean generated register (no planted anomalies or duplicates) with our own plants:
    row 201 is row 5 again under a second NIK; rows 10, 20 and 30 break one rule each."""
    register = generate_register(N, seed=3, duplicate_rate=0, anomaly_rate=0)
    rows = list(register.records)
    rows[9] = dataclasses.replace(rows[9], nik="6399" + rows[9].nik[4:])   # no regency 63.99
    rows[19] = dataclasses.replace(rows[19], mother_name=None)
    rows[29] = dataclasses.replace(rows[29], name="M. " + rows[29].name.split(" ", 1)[-1])
    rows.append(dataclasses.replace(rows[4], ref=N + 1, nik=rows[4].nik[:12] + "0999"))
    return rows


@pytest.fixture
def csv_file(tmp_path, records):
    path = tmp_path / "desa_loksado.csv"
    write_siak_csv(records, path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("6306101708850012;SAMPAH;TANPA;KOLOM\n")          # row 202
        bad_date = ",".join(["6306101708850013", "6306100101100001", "ACIL", "P", "X",
                             "31-02-1990", "KAWIN", "ISTRI", "I", "A", "", "1", "1",
                             "63.06.10.2001"])
        handle.write(bad_date + "\n")                                    # row 203
    return path


def test_json_summary(runner, csv_file):
    result = scan(runner, csv_file, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"file", "rows", "rejected_rows", "errors", "records", "rules",
                            "duplicate_groups", "elapsed_s"}
    assert summary["file"] == "desa_loksado.csv"
    assert summary["rows"] == N + 3
    assert summary["rejected_rows"] == 2
    assert summary["records"] == N + 1
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [(202, None), (203, "TGL_LHR")]
    assert "Jumlah kolom" in summary["errors"][0]["message"]
    assert set(summary["rules"]) == set(RULES)
    assert {code: n for code, n in summary["rules"].items() if n} == PLANTED_RULES
    assert summary["duplicate_groups"] == [[5, N + 1]]
    assert isinstance(summary["elapsed_s"], float)


def test_human_summary_masks_niks(runner, csv_file, records):
    result = scan(runner, csv_file)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Baris data    : 203  (terbaca 201, ditolak 2)" in out
    assert "baris 5, 201" in out
    assert "nik.invalid" in out and "NIK tidak sah" in out
    assert "6306••••••••0012" in out                   # the garbage row's preview, masked
    assert not re.search(r"\d{16}", out)
    assert records[9].nik not in out


def test_xlsx_gives_the_same_counts(runner, tmp_path, records):
    path = tmp_path / "desa.xlsx"
    write_siak_xlsx(records, path, coded=True, region_style="split")
    summary = json.loads(scan(runner, path, "--json").stdout)
    assert (summary["rows"], summary["rejected_rows"], summary["records"]) == (N + 1, 0, N + 1)
    assert {code: n for code, n in summary["rules"].items() if n} == PLANTED_RULES
    assert summary["duplicate_groups"] == [[5, N + 1]]


def test_first_100_errors_only(runner, tmp_path, records):
    path = tmp_path / "rusak.csv"
    write_siak_csv(records[:3], path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("X\n" * 150)
    summary = json.loads(scan(runner, path, "--json").stdout)
    assert summary["rejected_rows"] == 150 and len(summary["errors"]) == 100
    assert summary["errors"][-1]["row"] == 103


def test_wrong_format_exits_2_with_a_clear_message(runner, tmp_path):
    path = tmp_path / "penduduk.csv"
    path.write_bytes(b"%PDF-1.5\n%\xe2\xe3\n1 0 obj <<>> endobj\n")
    result = scan(runner, path)
    assert result.exit_code == 2
    assert "bukan CSV atau XLSX" in result.stderr and "PDF" in result.stderr

    result = scan(runner, path, "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "format"


def test_missing_columns_exit_2_and_are_listed(runner, tmp_path):
    path = tmp_path / "kurang.csv"
    path.write_text("NIK,NAMA_LGKP\n6306101708850012,AHMAD\n", encoding="utf-8")
    result = scan(runner, path, "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "missing_columns"
    assert "TGL_LHR" in error["missing"] and "NO_KK" in error["missing"]
    assert "TGL_LHR" in result.stderr


def test_missing_file_is_a_usage_error(runner, tmp_path):
    result = scan(runner, tmp_path / "tidak-ada.csv")
    assert result.exit_code == 2
