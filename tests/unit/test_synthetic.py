"""The synthetic register: deterministic, believable identifiers, truth for every planted case."""
from __future__ import annotations

import ast
import csv
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from webapp.quality.siak_codes import SIAK_CODES, SIAK_LABEL_TO_CODE
from webapp.synthetic import (
    ANOMALY_CODES,
    CHANGE_PAIRS,
    CHANGES,
    HARD_NEGATIVE_KINDS,
    NORMAL_KK_MAX_MEMBERS,
    OVERSIZED_KK_MIN_MEMBERS,
    VARIANTS,
    WILAYAH_6306_CSV,
    WILAYAH_NASIONAL_CSV,
    generate_register,
    siak_header,
    write_siak_csv,
    write_siak_xlsx,
)

N = 3000


@pytest.fixture(scope="module")
def register():
    return generate_register(N, seed=7)


@pytest.fixture(scope="module")
def by_ref(register):
    return {r.ref: r for r in register.records}


def nik_labels(register, ref) -> set[str]:
    return {c for c in register.anomalies.get(ref, ()) if c.startswith("nik_")} | \
        ({"age"} if "age_over_120" in register.anomalies.get(ref, ()) else set())


def test_same_seed_same_register_other_seed_other_register(register):
    again = generate_register(N, seed=7)
    assert again.records == register.records
    assert again.truth == register.truth
    other = generate_register(N, seed=8)
    assert [r.name for r in other.records[:200]] != [r.name for r in register.records[:200]]


def test_exactly_n_records_with_row_number_refs(register):
    assert [r.ref for r in register.records] == list(range(1, N + 1))


def test_nik_follows_the_domain_rules_for_clean_records(register):
    hss_kecamatan = {row["kode"].replace(".", "") for row in csv.DictReader(open(WILAYAH_6306_CSV))
                     if row["tingkat"] == "kecamatan"}
    national_kecamatan = {row["kode"].replace(".", "") for row in csv.DictReader(open(WILAYAH_NASIONAL_CSV))
                          if row["tingkat"] == "kecamatan" and row["berlaku"] == "ya"}
    outside = 0
    for r in register.records:
        if nik_labels(register, r.ref):
            continue
        nik = r.nik
        assert len(nik) == 16 and nik.isdigit(), r
        assert nik[:6] in national_kecamatan, r
        outside += nik[:6] not in hss_kecamatan
        day = int(nik[6:8]) - (40 if r.sex == "P" else 0)
        assert (day, int(nik[8:10]), int(nik[10:12])) == \
            (r.birth_date.day, r.birth_date.month, r.birth_date.year % 100), r
        assert nik[12:] != "0000"
    assert 0 < outside < 0.1 * N  # a few residents moved in with a NIK from elsewhere


def test_nik_serial_is_unique_per_kecamatan_and_date(register):
    counts = Counter(r.nik for r in register.records)
    for r in register.records:
        if counts[r.nik] > 1:
            assert "nik_shared" in register.anomalies[r.ref], r


def test_kk_number_is_area_issue_date_serial_and_desa_codes_exist(register):
    desa_codes = {row["kode"] for row in csv.DictReader(open(WILAYAH_6306_CSV))
                  if row["tingkat"] in ("desa", "kelurahan")}
    for r in register.records:
        assert r.desa_code in desa_codes
        assert len(r.no_kk) == 16 and r.no_kk.isdigit() and r.no_kk[:4] == "6306"
        issued = datetime.strptime(r.no_kk[6:12], "%d%m%y").date()
        assert issued <= register.as_of and r.no_kk[12:] != "0000"


def test_families_look_like_families(register):
    members = defaultdict(list)
    for r in register.records:
        members[r.no_kk].append(r)
    oversized = {r.no_kk for ref, codes in register.anomalies.items() if "kk_oversized" in codes
                 for r in [register.records[ref - 1]]}
    for kk, people in members.items():
        if kk in oversized:
            assert len(people) >= OVERSIZED_KK_MIN_MEMBERS
        else:
            assert len(people) <= NORMAL_KK_MAX_MEMBERS
    heads = Counter(r.family_role for r in register.records)
    assert heads["KEPALA KELUARGA"] > N / 5 and heads["ANAK"] > N / 4 and heads["ISTRI"] > N / 8
    couples = [p for p in members.values() if [x.family_role for x in p[:2]] == ["KEPALA KELUARGA", "ISTRI"]]
    children_named = sum(1 for p in couples for x in p if x.family_role == "ANAK" and x.mother_name == p[1].name)
    assert children_named > N / 5  # children carry their mother's name as written on her record
    names = Counter(len(r.name.split()) for r in register.records)
    assert names[1] > N / 10 and names[3] > N / 20  # single names and three-part names
    assert any("'" in r.name for r in register.records)


def test_truth_has_every_duplicate_variant_and_each_changes_what_it_says(register, by_ref):
    assert Counter(register.duplicate_pairs.values()).keys() == set(VARIANTS)
    for pair, variant in register.duplicate_pairs.items():
        a, b = (by_ref[ref] for ref in sorted(pair))
        assert a.sex == b.sex and a.father_name == b.father_name and a.birth_place == b.birth_place
        if variant == "day_month_swapped":
            assert (a.birth_date.day, a.birth_date.month) == (b.birth_date.month, b.birth_date.day)
            assert a.name == b.name
        elif variant == "mother_name_variant":
            assert a.mother_name != b.mother_name and a.name == b.name and a.birth_date == b.birth_date
        elif variant == "second_nik":
            assert a.nik != b.nik and (a.name, a.birth_date, a.mother_name) == (b.name, b.birth_date, b.mother_name)
        else:
            assert a.name != b.name and a.birth_date == b.birth_date and a.mother_name == b.mother_name
        if variant == "muhammad":
            assert {"MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "M.", "MUH.", "MOH."} & set(a.name.split())
        if variant == "dropped_middle_name":
            assert len(a.name.split()) + len(b.name.split()) >= 5


def test_truth_has_every_anomaly_code_and_the_data_shows_it(register, by_ref):
    labelled = defaultdict(list)
    for ref, codes in register.anomalies.items():
        for code in codes:
            labelled[code].append(by_ref[ref])
    assert set(labelled) == set(ANOMALY_CODES)
    assert all(r.mother_name is None for r in labelled["mother_missing"])
    assert all((register.as_of - r.birth_date).days > 120 * 365 for r in labelled["age_over_120"])
    for r in labelled["kk_two_heads"]:
        heads = [x for x in register.records if x.no_kk == r.no_kk and x.family_role == "KEPALA KELUARGA"]
        assert len(heads) == 2
    for r in labelled["child_older_than_parent"]:
        head = next(x for x in register.records if x.no_kk == r.no_kk and x.family_role == "KEPALA KELUARGA")
        assert r.family_role == "ANAK" and r.birth_date < head.birth_date
    planted_invalid = [r for r in labelled["nik_invalid"]]
    assert all(len(r.nik) != 16 or not r.nik.isdigit() or r.nik[8:10] == "13" or r.nik[6:8] == "00"
               or r.nik.endswith("0000") or r.nik[:4] in ("6399", "6340", "9901", "1999") for r in planted_invalid)
    suspicious = [r.name for r in labelled["name_suspicious"]]
    assert all(any(c.isdigit() or c == "." for c in name) for name in suspicious)


def test_hard_negatives_are_planted(register, by_ref):
    kinds = Counter(register.truth.hard_negatives.values())
    assert kinds.keys() == set(HARD_NEGATIVE_KINDS) == {"twins", "common_name", "father_son", "namesakes_in_village"}
    for pair, kind in register.truth.hard_negatives.items():
        a, b = (by_ref[ref] for ref in pair)
        if kind == "twins":
            assert a.birth_date == b.birth_date and a.mother_name == b.mother_name and a.name != b.name
        else:
            assert a.name == b.name and a.birth_date != b.birth_date
        if kind == "father_son":
            assert a.no_kk == b.no_kk and {a.father_name, b.father_name} & {a.name}
        if kind == "namesakes_in_village":
            assert a.sex == b.sex and a.desa_code == b.desa_code and a.no_kk != b.no_kk
            assert 1 <= abs((a.birth_date - b.birth_date).days) <= 9
            assert a.mother_name != b.mother_name and a.father_name != b.father_name


def test_csv_round_trip_of_columns_with_labels(register, tmp_path):
    path = tmp_path / "export.csv"
    write_siak_csv(register.records, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == siak_header("kode_desa")
    assert len(rows) == N
    for record, row in zip(register.records, rows):
        assert row["NIK"] == record.nik and row["NO_KK"] == record.no_kk
        assert row["NAMA_LGKP"] == record.name and row["NAMA_LGKP_IBU"] == (record.mother_name or "")
        assert row["JENIS_KLMIN"] == {"L": "LAKI-LAKI", "P": "PEREMPUAN"}[record.sex]
        assert datetime.strptime(row["TGL_LHR"], "%d-%m-%Y").date() == record.birth_date
        assert row["STAT_KWN"] == record.marital_status and row["STAT_HBKEL"] == record.family_role
        assert row["KODE_DESA"] == record.desa_code
        assert (row["ALAMAT"], row["NO_RT"], row["NO_RW"]) == (record.address, record.rt, record.rw)


def test_csv_with_numeric_codes_split_region_and_semicolons(register, tmp_path):
    path = tmp_path / "coded.csv"
    write_siak_csv(register.records[:300], path, coded=True, region_style="split", delimiter=";")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert list(rows[0])[-4:] == ["NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"]
    for record, row in zip(register.records, rows):
        assert SIAK_CODES["JENIS_KLMIN"][int(row["JENIS_KLMIN"])] == {"L": "LAKI-LAKI", "P": "PEREMPUAN"}[record.sex]
        assert SIAK_CODES["STAT_KWN"][int(row["STAT_KWN"])] == record.marital_status
        assert SIAK_CODES["STAT_HBKEL"][int(row["STAT_HBKEL"])] == record.family_role
        prop, kab, kec, kel = (int(row[c]) for c in ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"))
        assert f"{prop:02d}.{kab:02d}.{kec:02d}.{kel:04d}" == record.desa_code


def test_siak_codes_are_one_to_n_and_reversible():
    for column, codes in SIAK_CODES.items():
        assert sorted(codes) == list(range(1, len(codes) + 1))
        assert all(SIAK_LABEL_TO_CODE[column][label] == code for code, label in codes.items())


def test_xlsx_keeps_nik_as_text(register, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "export.xlsx"
    write_siak_xlsx(register.records[:50], path)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == siak_header("kode_desa")
    assert rows[1][0] == register.records[0].nik and isinstance(rows[1][0], str)
    assert len(rows) == 51


def test_rates_are_honoured():
    plain = generate_register(500, seed=1, duplicate_rate=0, anomaly_rate=0)
    assert plain.duplicate_pairs == {} and len(plain.records) == 500
    assert plain.anomalies == {}  # no planted anomaly, and NIK serials never collide by themselves
    assert min(r.birth_date for r in plain.records) > date(1900, 1, 1)


def test_second_change_stress_helper_changes_only_the_later_record():
    from webapp.synthetic import SECOND_CHANGES, add_second_change

    fresh = generate_register(1000, seed=3)
    before = {r.ref: (r.name, r.birth_date, r.mother_name, r.father_name, r.birth_place) for r in fresh.records}
    changes = add_second_change(fresh, seed=3)
    assert changes.keys() == fresh.duplicate_pairs.keys() and set(changes.values()) <= set(SECOND_CHANGES)
    after = {r.ref: (r.name, r.birth_date, r.mother_name, r.father_name, r.birth_place) for r in fresh.records}
    changed = {ref for ref in before if before[ref] != after[ref]}
    assert changed and changed <= {max(pair) for pair in changes}


# ---- duplicates that differ in two ways at once --------------------------------------------

_TITLE = re.compile(r"^(?:HAJI |HJH\. ?|HJ\. ?|H\. ?|HJH |HJ |H )")
_PATRONYM = re.compile(r" (?:BIN|BINTI|BT\.) .*$")


def core_name(name: str) -> str:
    """The name without a leading hajj title and a trailing patronym."""
    return _PATRONYM.sub("", _TITLE.sub("", name))


def one_digit_or_swapped(a: date, b: date) -> bool:
    da, db = a.strftime("%d%m%Y"), b.strftime("%d%m%Y")
    return sum(x != y for x, y in zip(da, db)) == 1 or (a.year, a.day, a.month) == (b.year, b.month, b.day)


@pytest.fixture(scope="module")
def two_change_register():
    return generate_register(N, seed=7, duplicate_changes=2)


def test_two_change_register_plants_every_pair_of_changes_evenly(two_change_register):
    planted = Counter(two_change_register.duplicate_pairs.values())
    assert set(planted) == set(CHANGE_PAIRS) and len(CHANGE_PAIRS) == len(CHANGES) * (len(CHANGES) - 1) // 2
    assert max(planted.values()) - min(planted.values()) <= 1
    assert two_change_register.truth.duplicate_details.keys() == two_change_register.duplicate_pairs.keys()
    assert set(Counter(two_change_register.truth.hard_negatives.values())) == set(HARD_NEGATIVE_KINDS)


def test_each_planted_pair_differs_in_exactly_its_two_changes(two_change_register):
    by_ref = {r.ref: r for r in two_change_register.records}
    for pair, combo in two_change_register.duplicate_pairs.items():
        a, b = (by_ref[ref] for ref in sorted(pair))
        changes = set(combo.split("+"))
        assert (a.sex, a.father_name, a.birth_place) == (b.sex, b.father_name, b.birth_place)
        titled = [bool(_TITLE.match(r.name)) for r in (a, b)]
        with_patronym = [bool(_PATRONYM.search(r.name)) for r in (a, b)]
        assert sorted(titled) == ([False, True] if "hajj_title" in changes else [False, False]), (a, b)
        assert sorted(with_patronym) == ([False, True] if "patronym" in changes else [False, False]), (a, b)
        assert (core_name(a.name) != core_name(b.name)) == ("name_variant" in changes), (a, b)
        if "birth_date" in changes:
            assert one_digit_or_swapped(a.birth_date, b.birth_date), (a, b)
        else:
            assert a.birth_date == b.birth_date
        assert (a.mother_name != b.mother_name) == ("mother_variant" in changes), (a, b)
        if "moved" in changes:
            assert a.desa_code != b.desa_code and a.no_kk != b.no_kk
        else:
            assert a.desa_code == b.desa_code


def test_a_patronym_names_the_father_and_a_hajj_title_an_adult(two_change_register):
    by_ref = {r.ref: r for r in two_change_register.records}
    for pair, combo in two_change_register.duplicate_pairs.items():
        for record in (by_ref[ref] for ref in pair):
            if "patronym" in combo and (match := _PATRONYM.search(record.name)):
                assert record.father_name.startswith(match.group(0).split(" ", 2)[2])
            if "hajj_title" in combo and _TITLE.match(record.name):
                assert (two_change_register.as_of - record.birth_date).days >= 30 * 365


def test_the_default_register_is_the_one_change_register():
    assert generate_register(600, seed=2).records == generate_register(600, seed=2, duplicate_changes=1).records
    with pytest.raises(ValueError):
        generate_register(600, seed=2, duplicate_changes=3)


# ---- the generator stays out of the office ----------------------------------------------------

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


def imported_modules(path: Path) -> set[str]:
    package = ".".join(path.relative_to(WEBAPP.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


# `flask demo field-day` fills a field node with believable intakes: demo code outside a demo.py
DEMO_TOOLS = {"webapp/sync/fieldday.py"}


def test_only_demo_loaders_import_the_synthetic_register_in_the_app():
    importers = sorted(
        str(path.relative_to(WEBAPP.parent)) for path in WEBAPP.rglob("*.py")
        if WEBAPP / "synthetic" not in path.parents
        and any(name == "webapp.synthetic" or name.startswith("webapp.synthetic.") for name in imported_modules(path)))
    assert importers and all(Path(p).name == "demo.py" or p in DEMO_TOOLS for p in importers), importers


def test_starting_the_app_loads_no_generator_module(tmp_path):
    script = ("import sys; from webapp import create_app; "
              f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db'}}); "
              "print(sorted(m for m in sys.modules if m.startswith('webapp.synthetic.')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=WEBAPP.parent)
    assert result.stdout.strip().splitlines()[-1] == "[]"
