"""The packaged Kemendagri region lists (webapp/wilayah/reference.py)."""
from collections import Counter
from collections.abc import Mapping

import pytest

from webapp.wilayah import reference
from webapp.wilayah.reference import (
    Region,
    dot,
    find_region,
    national_regions,
    regency_regions,
    successor_of,
    undot,
)


def test_national_list_has_every_level_as_documented_in_the_data_readme():
    regions = national_regions().values()
    current = Counter(r.level for r in regions if r.current)
    assert current == {"provinsi": 38, "kabupaten_kota": 514, "kecamatan": 7285}
    historical = Counter(r.last_year == 2011 for r in regions if not r.current)
    assert historical == {False: 620, True: 5 + 38}  # 2016-2023 editions; Kaltara's old Kaltim codes


# --- Kalimantan Utara's old Kalimantan Timur codes ----------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("6404", "65.01", "Kabupaten Bulungan"),
        ("6405", "65.03", "Kabupaten Nunukan"),
        ("6406", "65.02", "Kabupaten Malinau"),
        ("6410", "65.04", "Kabupaten Tana Tidung"),
        ("6473", "65.71", "Kota Tarakan"),
    ],
)
def test_the_five_old_kaltara_regency_codes_are_historical_with_todays_successor(old, new, name):
    region = national_regions()[old]
    assert (region.name, region.level, region.current, region.last_year) == (name, "kabupaten_kota", False, 2011)
    assert region.successor == new
    today = successor_of(old)
    assert (today.code, today.name, today.current) == (new, name, True)


def test_every_old_kaltara_kecamatan_maps_to_a_current_kecamatan_of_the_same_name_and_regency():
    old = [r for r in national_regions().values() if r.last_year == 2011 and r.level == "kecamatan"]
    assert len(old) == 38
    for region in old:
        today = successor_of(region.code)
        assert today is not None and today.current and today.level == "kecamatan"
        assert today.name == region.name
        regency = national_regions()[region.key[:4]]
        assert today.code.startswith(regency.successor + ".")


def test_bunyu_moved_from_64_04_12_to_65_01_10_and_the_unknown_old_codes_stay_unknown():
    assert successor_of("64.04.12").code == "65.01.10"
    assert find_region("64.04.10") is None and find_region("64.04.11") is None


@pytest.mark.parametrize("code", ["63.06", "6306", "65.01", "92.01", "64.99", None, ""])
def test_successor_of_a_current_unknown_or_unmapped_code_is_none(code):
    assert successor_of(code) is None


def test_no_old_kaltara_code_hides_a_current_code():
    current = {r.key for r in national_regions().values() if r.current}
    old = {r.key for r in national_regions().values() if r.last_year == 2011}
    assert len(old) == 43 and not current & old
    assert national_regions()["64"].current  # Kalimantan Timur itself is today's province 64


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("63", Region("63", "Kalimantan Selatan", "provinsi", True, None)),
        ("6306", Region("63.06", "Kabupaten Hulu Sungai Selatan", "kabupaten_kota", True, None)),
        ("630610", Region("63.06.10", "Loksado", "kecamatan", True, None)),
        ("65", Region("65", "Kalimantan Utara", "provinsi", True, None)),
        ("9601", Region("96.01", "Kabupaten Sorong", "kabupaten_kota", True, None)),
        ("9201", Region("92.01", "KAB. SORONG", "kabupaten_kota", False, 2023)),
        ("9101", Region("91.01", "KAB. MERAUKE", "kabupaten_kota", False, 2022)),
    ],
)
def test_national_regions_are_keyed_by_the_code_without_dots(key, expected):
    assert national_regions()[key] == expected
    assert expected.key == key


@pytest.mark.parametrize("key", ["6399", "9999", "63.06", "6306102001"])
def test_national_regions_know_no_invented_dotted_or_desa_keys(key):
    assert key not in national_regions()


def test_national_regions_are_read_once_and_cannot_be_changed_by_a_caller():
    regions = national_regions()
    assert regions is national_regions()
    assert isinstance(regions, Mapping)
    with pytest.raises(TypeError):
        regions["6399"] = Region(  # type: ignore[index]
            "63.99", "Invented", "kabupaten_kota", True, None
        )


def test_region_is_frozen():
    region = national_regions()["6306"]
    with pytest.raises(AttributeError):
        region.name = "Other"  # type: ignore[misc]


def test_regency_regions_follow_the_file_order_and_levels():
    rows = regency_regions()
    assert [r.code for r in rows[:3]] == ["63", "63.06", "63.06.01"]
    assert rows[0].level == "provinsi" and rows[1].level == "kabupaten"
    assert Counter(r.level for r in rows) == {
        "provinsi": 1, "kabupaten": 1, "kecamatan": 11, "desa": 144, "kelurahan": 4,
    }
    assert all(r.current and r.last_year is None for r in rows)


def test_regency_regions_returns_a_fresh_list_each_time():
    rows = regency_regions()
    rows.clear()
    assert len(regency_regions()) == 161


def test_village_names_repeat_so_codes_are_the_key():
    baru = [r.code for r in regency_regions() if r.name == "Baru"]
    assert baru == ["63.06.01.2012", "63.06.11.2002"]


@pytest.mark.parametrize(
    ("code", "undotted"),
    [
        ("63.06.10.2001", "6306102001"),
        ("63.06", "6306"),
        ("6306", "6306"),
        (" 63 06 10 ", "630610"),
    ],
)
def test_undot(code, undotted):
    assert undot(code) == undotted


@pytest.mark.parametrize(
    ("code", "dotted"),
    [
        ("63", "63"),
        ("6306", "63.06"),
        ("630610", "63.06.10"),
        ("6306102001", "63.06.10.2001"),
        ("63061020 01", "63.06.10.2001"),
        ("63.06.10.2001", "63.06.10.2001"),
    ],
)
def test_dot_gives_the_2_2_2_4_form(code, dotted):
    assert dot(code) == dotted


@pytest.mark.parametrize("code", ["", "6", "630", "63061", "63061020", "63061020011", "63ab", "６３"])
def test_dot_rejects_what_is_not_a_region_code(code):
    with pytest.raises(ValueError):
        dot(code)


@pytest.mark.parametrize(
    ("code", "name", "level"),
    [
        ("6306", "Kabupaten Hulu Sungai Selatan", "kabupaten_kota"),  # national file answers first
        ("63.06.10", "Loksado", "kecamatan"),
        ("63.06.10.2001", "Halunuk", "desa"),  # only in the regency file
        ("6306051001", "Kandangan Kota", "kelurahan"),
        ("92.01", "KAB. SORONG", "kabupaten_kota"),
        ("31.71.01", "Gambir", "kecamatan"),
        ("64.04.01", "Tanjung Palas", "kecamatan"),  # the old Kaltim code, before 65.01.01
    ],
)
def test_find_region_searches_both_files_in_any_format(code, name, level):
    region = find_region(code)
    assert region is not None
    assert (region.name, region.level) == (name, level)


@pytest.mark.parametrize("code", [None, "", "63.99", "9999", "63.06.10.9999", "abc"])
def test_find_region_returns_none_for_unknown_codes(code):
    assert find_region(code) is None


@pytest.mark.parametrize(
    ("broken_row", "complaint"),
    [
        ({"kode_lama": "64.04", "kode_baru": "65.09", "nama": "Kabupaten Bulungan"}, "not a current"),
        ({"kode_lama": "64.04", "kode_baru": "65.01", "nama": "Kabupaten Berau"}, "of that name"),
        ({"kode_lama": "64.99", "kode_baru": "65.01", "nama": "Kabupaten Bulungan"}, "missing from"),
        ({"kode_lama": "64.05", "kode_baru": "65.03.01", "nama": "Sebatik"}, "not a current kabupaten_kota"),
    ],
)
def test_a_broken_old_to_new_map_is_refused_when_the_list_is_read(monkeypatch, broken_row, complaint):
    read_rows = reference._read_rows

    def rows_with_a_broken_map(filename):
        rows = list(read_rows(filename))
        if filename == reference.KALTARA_OLD_MAP_FILE:
            rows = [r for r in rows if r["kode_lama"] != broken_row["kode_lama"]] + [broken_row]
        return iter(rows)

    monkeypatch.setattr(reference, "_read_rows", rows_with_a_broken_map)
    national_regions.cache_clear()
    try:
        with pytest.raises(ValueError, match=complaint):
            national_regions()
    finally:
        monkeypatch.undo()
        national_regions.cache_clear()
    assert national_regions()["6404"].successor == "65.01"
