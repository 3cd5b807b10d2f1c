"""Duplicate detection: every variant of issue 4, duplicates that differ in two ways at once
(issue 7), the hard negatives, grouping, one-record check."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from webapp.quality.duplicates import (
    DuplicateConfig,
    DuplicateIndex,
    DuplicatePair,
    explain,
    find_duplicate_pairs,
    group_pairs,
    name_similarity,
    normalize_name,
    patronym,
)
from webapp.quality.records import PersonRecord
from webapp.synthetic import generate_register


def person(ref, name, *, sex="L", born=date(1985, 3, 14), mother="SITI AMINAH", father="HUSIN",
           place="KANDANGAN", nik=None, no_kk="6306051203150001", desa="63.06.05.2005") -> PersonRecord:
    if nik is None:
        day, month, yy = (born.day + (40 if sex == "P" else 0), born.month, born.year % 100) if born else (1, 1, 0)
        nik = f"630605{day:02d}{month:02d}{yy:02d}{ref:04d}"
    return PersonRecord(ref=ref, nik=nik, no_kk=no_kk, name=name, sex=sex, birth_place=place,
                        birth_date=born, marital_status="KAWIN", family_role="KEPALA KELUARGA",
                        mother_name=mother, father_name=father, desa_code=desa)


def elsewhere(ref, name, **fields) -> PersonRecord:
    """The same person entered again in another desa, under another KK, with a new NIK."""
    return person(ref, name, no_kk="6306100402210007", desa="63.06.10.2003", **fields)


def only_pair(records) -> DuplicatePair:
    pairs = find_duplicate_pairs(records)
    assert len(pairs) == 1, pairs
    return pairs[0]


def assert_no_pair(records) -> None:
    assert find_duplicate_pairs(records) == []


# ---- normalisation -----------------------------------------------------------------------

@pytest.mark.parametrize("written", ["MUHAMMAD", "Muhamad", "MOHAMMAD", "Mohamad", "M.", "MOH.", "Muh.", "MHD"])
def test_every_muhammad_spelling_is_one_token(written):
    assert normalize_name(f"{written} Ridwan") == ("MUHAMMAD", "RIDWAN")


def test_normalisation_of_siti_noor_ahmad_abdul_titles_and_apostrophes():
    assert normalize_name("St. Aminah") == normalize_name("SITTI AMINAH") == ("SITI", "AMINAH")
    assert normalize_name("Noor Hasanah") == normalize_name("NOR HASANAH") == normalize_name("Nur Hasanah")
    assert normalize_name("NORHAYATI") == normalize_name("NURHAYATI") == normalize_name("NOORHAYATI")
    assert normalize_name("Akhmad Fauzi") == normalize_name("ACHMAD  FAUZI") == ("AHMAD", "FAUZI")
    assert normalize_name("Abd. Gani") == normalize_name("ABDUL GANI")
    assert normalize_name("HJ. SALMAH") == ("SALMAH",)
    assert normalize_name("MA'RUF") == ("MARUF",)
    assert normalize_name("") == ()


@pytest.mark.parametrize("written", ["H. ABDUL HAMID", "H ABDUL HAMID", "HAJI ABDUL HAMID", "H.ABDUL HAMID",
                                     "h. Abdul Hamid"])
def test_a_hajj_title_is_not_part_of_the_name(written):
    assert normalize_name(written) == ("ABDUL", "HAMID")


@pytest.mark.parametrize("written", ["HJ. SITI AMINAH", "HJ SITI AMINAH", "HJH. SITI AMINAH", "HJ.SITI AMINAH",
                                     "HAJJAH SITI AMINAH", "HJ. ST. AMINAH"])
def test_a_hajjah_title_is_not_part_of_the_name(written):
    assert normalize_name(written) == ("SITI", "AMINAH")


@pytest.mark.parametrize("written, name, father", [
    ("RIDWAN BIN HUSIN", ("RIDWAN",), "HUSIN"),
    ("MUHAMMAD RIDWAN BIN H. ABDUL HAMID", ("MUHAMMAD", "RIDWAN"), "H ABDUL HAMID"),
    ("SALMAH BINTI ARBAIN", ("SALMAH",), "ARBAIN"),
    ("SALMAH BT. ARBAIN", ("SALMAH",), "ARBAIN"),
    ("HJ. SALMAH BINTI ARBAIN", ("SALMAH",), "ARBAIN"),
])
def test_a_patronym_is_cut_off_the_name_and_kept_as_the_fathers_name(written, name, father):
    assert normalize_name(written) == name
    assert patronym(written) == father


def test_what_only_looks_like_a_title_or_patronym_stays_in_the_name():
    assert normalize_name("AHMAD BIN") == ("AHMAD", "BIN")      # nothing after BIN: not a patronym
    assert normalize_name("BINTANG RAMADHAN") == ("BINTANG", "RAMADHAN")
    assert normalize_name("HASAN") == ("HASAN",) and normalize_name("H") == ("H",)
    assert patronym("RIDWAN") == ""


def test_alm_written_next_to_a_late_parent_is_not_part_of_the_name():
    assert normalize_name("HUSIN (ALM)") == normalize_name("ALM. HUSIN") == normalize_name("HUSIN ALMARHUM") == ("HUSIN",)
    assert normalize_name("SALMAH ALMH.") == ("SALMAH",)


# ---- one test per duplicate variant (each pair differs in exactly that one way) -----------

@pytest.mark.parametrize("variant", ["M. RIDUAN", "MUHAMAD RIDUAN", "MOHAMMAD RIDUAN", "MOHAMAD RIDUAN", "MOH. RIDUAN"])
def test_variant_muhammad(variant):
    pair = only_pair([person(1, "MUHAMMAD RIDUAN"), person(2, variant)])
    assert (pair.a, pair.b) == (1, 2)
    assert "name_variant" in pair.reasons and "different_nik" in pair.reasons


@pytest.mark.parametrize("variant", ["ST. AMINAH", "SITTI AMINAH"])
def test_variant_siti(variant):
    only_pair([person(1, "SITI AMINAH", sex="P", mother="JAHRAH"), person(2, variant, sex="P", mother="JAHRAH")])


@pytest.mark.parametrize("original, variant", [("NOOR HASANAH", "NOR HASANAH"), ("NOOR HASANAH", "NUR HASANAH"),
                                               ("NORHAYATI", "NURHAYATI"), ("FAHRIANOR", "FAHRIANUR")])
def test_variant_noor(original, variant):
    sex = "L" if original.startswith("FAHRI") else "P"
    only_pair([person(1, original, sex=sex), person(2, variant, sex=sex)])


@pytest.mark.parametrize("variant", ["AKHMAD FAUZI", "ACHMAD FAUZI"])
def test_variant_ahmad(variant):
    only_pair([person(1, "AHMAD FAUZI"), person(2, variant)])


@pytest.mark.parametrize("original, variant", [("RUSDIANSYAH", "RUSDAINSYAH"), ("ALUH", "ALHU"),
                                               ("NOOR AISYAH", "ONOR AISYAH")])
def test_variant_transposed_letter(original, variant):
    only_pair([person(1, original, sex="P"), person(2, variant, sex="P")])


@pytest.mark.parametrize("original, variant", [("JUMBERI", "JUMBRI"), ("MASLIANI", "MASLANI"),
                                               ("MUHAMMAD GAZALI", "MUHAMMAD GAZLI")])
def test_variant_dropped_letter(original, variant):
    only_pair([person(1, original), person(2, variant)])


def test_variant_dropped_middle_name():
    pair = only_pair([person(1, "MUHAMMAD RIZKY RAMADHAN", born=date(2005, 10, 4)),
                      person(2, "MUHAMMAD RAMADHAN", born=date(2005, 10, 4))])
    assert "name_part_missing" in pair.reasons


def test_variant_day_month_swapped():
    pair = only_pair([person(1, "ASNAWI", born=date(1979, 3, 7)), person(2, "ASNAWI", born=date(1979, 7, 3))])
    assert "birth_date_day_month_swapped" in pair.reasons


def test_variant_second_nik():
    pair = only_pair([person(1, "MA'RUF", nik="6306051403850001"), person(2, "MA'RUF", nik="6306101403850003")])
    assert pair.score == 1.0 and "different_nik" in pair.reasons


@pytest.mark.parametrize("mother_a, mother_b", [("SITI NURHAYATI", "HJ. ST. NORHAYATI"), ("MASLIANI", "MASLIYANI"),
                                                ("SITI ZAINAB", "ZAINAB"), ("NOOR JANNAH", "NOR JANAH")])
def test_variant_mother_name_spelled_differently(mother_a, mother_b):
    pair = only_pair([person(1, "GALUH", sex="P", mother=mother_a), person(2, "GALUH", sex="P", mother=mother_b)])
    assert {"mother_exact", "mother_similar"} & set(pair.reasons)


def test_the_same_person_in_another_kk_with_a_missing_mother_is_found_through_the_father():
    only_pair([person(1, "SAHRANI", mother=None, no_kk="6306051203150001"),
               person(2, "SAHRANI", no_kk="6306070101200003")])


def test_two_records_without_a_birth_date_are_still_compared():
    pair = only_pair([person(1, "JUMBERI", born=None, mother="SALMAH"), person(2, "JUMBERI", born=None, mother="SALMAH")])
    assert "birth_date_missing" in pair.reasons


# ---- duplicates that differ in two ways at once (issue 7) -----------------------------------

@pytest.mark.parametrize("a, b", [
    pytest.param(person(1, "SITI HUSNA", sex="P", born=date(2014, 7, 22), no_kk="6306081101150002"),
                 person(2, "SIIT HUSNA", sex="P", born=date(2014, 7, 23)), id="name typo + date typo, other KK"),
    pytest.param(person(1, "ABDUL MUIS", born=date(1979, 11, 29)),
                 elsewhere(2, "ABDUL MUI", born=date(1979, 12, 29)), id="name typo + date typo, moved"),
    pytest.param(person(1, "H. MUHRAN BIN ARSYAD", father="ARSYAD"), person(2, "MUHRAN", father="ARSYAD"),
                 id="hajj title + patronym"),
    pytest.param(person(1, "NORLAILA BINTI MUHRAN", sex="P", born=date(1974, 12, 30), father="MUHRAN"),
                 person(2, "NORLAILA", sex="P", born=date(1984, 12, 30), father="MUHRAN"),
                 id="patronym + year typo"),
    pytest.param(person(1, "M. RIDUAN", born=date(1985, 3, 7)), person(2, "MUHAMMAD RIDUAN", born=date(1985, 7, 3)),
                 id="name variant + day/month swap"),
    pytest.param(person(1, "HAMSIAH", sex="P", mother="NOOR SAPIAH"), elsewhere(2, "HAMSIAH", sex="P", mother="SAPIAH"),
                 id="moved + mother variant"),
    pytest.param(person(1, "ZIDAN HIDAYAT", born=date(2007, 9, 13), mother="SITI MASYITAH"),
                 person(2, "ZIDAN HIDAYAT", born=date(2017, 9, 13), mother="SITI MASITAH"),
                 id="year typo + mother typo"),
    pytest.param(person(1, "RIZKY RAMADHAN", born=date(2005, 10, 4)), person(2, "IRZKY RAMADHAN", born=date(2006, 10, 4)),
                 id="typo in the first letter + year typo"),
    pytest.param(person(1, "HJ. NOR HIDAYAH", sex="P", mother="JAMIAH"), person(2, "NOR HIDAYAH", sex="P", mother="JAMIHA"),
                 id="hajj title + mother typo"),
])
def test_duplicates_that_differ_in_two_ways_at_once_are_found(a, b):
    pair = only_pair([a, b])
    assert (pair.a, pair.b) == (1, 2)


def test_the_patronym_stands_in_for_a_missing_fathers_name():
    pair = only_pair([person(1, "RIDWAN BIN HUSIN", born=date(1985, 3, 14), mother=None, father=None),
                      elsewhere(2, "RIDWAN", born=date(1985, 3, 15), mother=None, father="HUSIN")])
    assert "father_exact" in pair.reasons


def test_the_same_kk_and_nik_corroborate_but_a_different_kk_does_not_count_against():
    a = person(1, "ONOR ANNISA", sex="P", born=date(2013, 4, 13), nik="6306025304130001")
    same_kk = person(2, "NOOR ANNISA", sex="P", born=date(2013, 5, 13))
    same_nik = person(3, "NOOR ANNISA", sex="P", born=date(2013, 5, 13), nik=a.nik)
    moved = elsewhere(4, "NOOR ANNISA", sex="P", born=date(2013, 5, 13))
    assert explain(a, same_nik).score > explain(a, same_kk).score > explain(a, moved).score
    assert explain(a, same_kk).is_duplicate and explain(a, same_nik).is_duplicate


# ---- hard negatives -----------------------------------------------------------------------

@pytest.mark.parametrize("twin_a, twin_b", [("MUHAMMAD HASAN", "MUHAMMAD HUSIN"), ("FITRI", "RAHMAH"),
                                            ("NOOR AINI", "NOOR AISYAH"), ("AHMAD FAUZI", "AHMAD FAUZAN"),
                                            ("MUHAMMAD HASAN BIN ARBAIN", "MUHAMMAD HUSIN BIN ARBAIN")])
def test_twins_are_not_duplicates(twin_a, twin_b):
    born = date(2012, 5, 9)
    assert_no_pair([person(1, twin_a, born=born), person(2, twin_b, born=born)])


def test_common_name_with_other_birth_date_and_parents_is_not_a_duplicate():
    assert_no_pair([person(1, "MUHAMMAD RIZKY", born=date(2004, 2, 11), mother="NORJANAH", father="SALEH"),
                    person(2, "MUHAMMAD RIZKY", born=date(2006, 9, 23), mother="RAHMAH", father="ARBAIN")])


def test_common_name_even_on_the_same_birth_date_needs_the_same_mother():
    assert_no_pair([person(1, "MUHAMMAD RIZKY", born=date(2004, 2, 11), mother="NORJANAH", father="SALEH"),
                    person(2, "MUHAMMAD RIZKY", born=date(2004, 2, 11), mother="RAHMAH", father="ARBAIN")])


def test_single_names_close_in_spelling_but_different_are_not_duplicates():
    assert name_similarity("JUMBERI", "JUMBERANI") < DuplicateConfig().name_min
    assert_no_pair([person(1, "JUMBERI", mother="SALMAH"), person(2, "JUMBERANI", mother="SALMAH")])
    assert_no_pair([person(1, "JUMBERI", born=date(1961, 1, 1)), person(2, "JUMBERI", born=date(1971, 1, 1),
                                                                        mother="ASNAH", father="MAHMUD")])


def test_father_and_son_of_the_same_name_are_not_duplicates():
    father = person(1, "ABDUL HAMID", born=date(1962, 8, 17), mother="JULAIHA", father="IDRUS")
    son = person(2, "ABDUL HAMID", born=date(1992, 8, 17), mother="MASRAH", father="ABDUL HAMID")
    assert_no_pair([father, son])


def test_father_and_son_of_one_name_in_one_kk_are_not_duplicates_however_written():
    father = person(1, "H. ABDUL HAMID", born=date(1962, 8, 17), mother="JULAIHA", father="IDRUS")
    son = person(2, "ABDUL HAMID BIN H. ABDUL HAMID", born=date(1992, 8, 17), mother="MASRAH", father=None)
    assert normalize_name(father.name) == normalize_name(son.name)
    assert_no_pair([father, son])


@pytest.mark.parametrize("mother_b, father_b", [("RAHMAH", "ARBAIN"), ("SITI ASNAH", "SALEH"), (None, "ARBAIN"),
                                                (None, None)])
@pytest.mark.parametrize("days_apart", [1, 3, 9])
def test_namesakes_born_days_apart_in_one_village_are_not_duplicates(mother_b, father_b, days_apart):
    born = date(2010, 5, 12)
    first = person(1, "MUHAMMAD RIZKY", born=born, mother="SITI AMINAH", father="HUSIN", no_kk="6306052003110004")
    second = person(2, "MUHAMMAD RIZKY", born=born + timedelta(days=days_apart), mother=mother_b, father=father_b,
                    no_kk="6306051907100012")
    assert first.desa_code == second.desa_code
    assert_no_pair([first, second])


def test_different_sex_only_when_everything_else_matches():
    pair = only_pair([person(1, "RAHMAT", sex="L"), person(2, "RAHMAT", sex="P")])
    assert "sex_differs" in pair.reasons
    assert_no_pair([person(1, "RAHMAT", sex="L"), person(2, "RAHAMT", sex="P")])


def test_one_nik_on_two_different_people_is_not_a_duplicate_of_one_person():
    shared = "6306051403850001"
    assert_no_pair([person(1, "SALEH", nik=shared, mother="ZAINAB", father="USMAN"),
                    person(2, "MASRAN", born=date(1990, 6, 2), nik=shared, mother="ASIAH", father="BASRI")])
    pair = only_pair([person(1, "SALEH", nik=shared), person(2, "SALEH", born=date(1985, 3, 15), nik=shared)])
    assert "same_nik" in pair.reasons and "birth_date_one_digit" in pair.reasons


# ---- pairs, groups, index, explanation ---------------------------------------------------

def test_pair_refs_are_ordered_by_string_and_pairs_are_sorted():
    records = [person(9, "SALEH"), person(10, "SALEH"), person(3, "HUSIN", born=date(1970, 1, 1)),
               person(4, "HUSIN", born=date(1970, 1, 1))]
    pairs = find_duplicate_pairs(records)
    assert [(p.a, p.b) for p in pairs] == [(10, 9), (3, 4)]


def test_group_pairs_makes_sorted_connected_components():
    pairs = [DuplicatePair(1, 2, 1.0, ()), DuplicatePair(3, 2, 1.0, ()), DuplicatePair(7, 5, 1.0, ()),
             DuplicatePair(10, 9, 1.0, ())]
    assert group_pairs(pairs) == [[1, 2, 3], [5, 7], [9, 10]]
    assert group_pairs([DuplicatePair("b", "a", 1.0, ())]) == [["a", "b"]]
    assert group_pairs([]) == []


def test_three_records_of_one_person_form_one_group():
    records = [person(1, "MUHAMMAD SALEH"), person(2, "M. SALEH"), person(3, "MUHAMAD SALEH", nik="6306051403850099")]
    assert group_pairs(find_duplicate_pairs(records)) == [[1, 2, 3]]


def test_index_checks_one_new_resident_against_the_register():
    register = generate_register(1500, seed=5)
    index = DuplicateIndex(register.records)
    pair, _variant = next(iter(register.duplicate_pairs.items()))
    a, b = sorted(pair)
    by_ref = {r.ref: r for r in register.records}
    assert b in [c.ref for c in index.candidates(by_ref[a])]
    assert a not in [c.ref for c in index.candidates(by_ref[a])]  # its own record is not a candidate

    existing = register.records[100]
    newcomer = PersonRecord(**{**{f: getattr(existing, f) for f in existing.__slots__}, "ref": "new",
                               "nik": "6306109999990001", "name": existing.name + "H"})
    matches = index.candidates(newcomer)
    assert matches and matches[0].ref == existing.ref and 0.88 <= matches[0].score <= 1.0


def test_explain_gives_per_field_similarity():
    a = person(1, "SITI NORHAYATI", sex="P", mother="MASLIANI", born=date(1990, 4, 2))
    b = person(2, "ST. NURHAYATI", sex="P", mother="MASLIYANI", born=date(1990, 2, 4))
    result = explain(a, b)
    fields = {f.field: f for f in result.fields}
    assert result.is_duplicate
    assert fields["name"].verdict == "variant" and fields["name"].similarity == 1.0
    assert fields["birth_date"].verdict == "similar" and fields["birth_date"].similarity == 0.9
    assert fields["mother_name"].verdict == "similar"
    assert fields["sex"].verdict == "exact"
    assert fields["nik"].verdict == "different" and fields["no_kk"].verdict == "exact"
    stranger = explain(a, person(3, "RAHMAT", mother="JAHRAH", born=date(1950, 1, 1)))
    assert not stranger.is_duplicate and stranger.score < result.score


def test_config_from_mapping_converts_and_rejects_unknown_keys():
    config = DuplicateConfig.from_mapping({"threshold": "0.9", "max_block_size": "250"})
    assert config.threshold == 0.9 and config.max_block_size == 250
    with pytest.raises(ValueError):
        DuplicateConfig.from_mapping({"treshold": 0.9})


def test_a_stricter_threshold_drops_weaker_pairs():
    records = [person(1, "MUHAMMAD RIZKY RAMADHAN"), person(2, "MUHAMMAD RAMADHAN")]
    assert find_duplicate_pairs(records)
    assert find_duplicate_pairs(records, DuplicateConfig(threshold=0.99)) == []


def test_precision_and_recall_on_a_small_synthetic_register():
    register = generate_register(4000, seed=11)
    pairs = find_duplicate_pairs(register.records)
    true_person = {ref: ref for pair in register.duplicate_pairs for ref in pair}
    for pair in register.duplicate_pairs:  # refs of one person share the smallest ref as id
        low = min(true_person[r] for r in pair)
        for ref in [r for r, p in true_person.items() if p in {true_person[x] for x in pair}]:
            true_person[ref] = low
    correct = [p for p in pairs if p.a in true_person and true_person[p.a] == true_person.get(p.b)]
    assert len(correct) / len(pairs) >= 0.95

    group_of = {ref: i for i, group in enumerate(group_pairs(pairs)) for ref in group}
    found = [pair for pair in register.duplicate_pairs if len({group_of.get(r, ("alone", r)) for r in pair}) == 1]
    assert len(found) / len(register.duplicate_pairs) >= 0.95


def test_a_huge_placeholder_date_block_is_split_but_still_finds_duplicates():
    placeholder = date(1960, 7, 1)
    given = ["ALUH", "SALMAH", "JAHRAH", "ASNAH", "MASRAH", "HALIMAH", "RAHMAH", "IDAH", "ZAINAB", "FATIMAH"]
    family = ["AMINAH", "KAMSIAH", "RUSNAH", "MARIAM", "JULAIHA", "PARIDAH"]
    records = [person(i + 1, f"{g} {f}", sex="P", born=placeholder, mother=f"{f} {g}")
               for i, (g, f) in enumerate((g, f) for g in given for f in family)]
    twin_of_2 = records[1]
    records.append(person(61, twin_of_2.name, sex="P", born=placeholder, mother=twin_of_2.mother_name,
                          nik="6306054107600999"))
    split = find_duplicate_pairs(records, DuplicateConfig(max_date_block_size=10))
    assert [(p.a, p.b) for p in split] == [(2, 61)] == [(p.a, p.b) for p in find_duplicate_pairs(records)]


def test_precision_and_recall_on_a_small_register_whose_duplicates_differ_in_two_ways():
    register = generate_register(4000, seed=11, duplicate_changes=2)
    groups = group_pairs(find_duplicate_pairs(register.records))
    group_of = {ref: i for i, group in enumerate(groups) for ref in group}

    def together(pair) -> bool:
        return len({group_of.get(r, ("alone", r)) for r in pair}) == 1

    found = [pair for pair in register.duplicate_pairs if together(pair)]
    assert len(found) / len(register.duplicate_pairs) >= 0.95
    planted_refs = {ref for pair in register.duplicate_pairs for ref in pair}
    grouped_refs = {ref for group in groups for ref in group}
    assert len(grouped_refs & planted_refs) / len(grouped_refs) >= 0.95
    assert not [pair for pair in register.truth.hard_negatives if together(pair)]
