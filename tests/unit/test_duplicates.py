"""Duplicate detection: every variant of issue 4, the hard negatives, grouping, one-record check."""
from __future__ import annotations

from datetime import date

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
)
from webapp.quality.records import PersonRecord
from webapp.quality.synthetic import generate_register


def person(ref, name, *, sex="L", born=date(1985, 3, 14), mother="SITI AMINAH", father="HUSIN",
           place="KANDANGAN", nik=None, no_kk="6306051203150001") -> PersonRecord:
    nik = nik or f"630605{born.day + (40 if sex == 'P' else 0):02d}{born.month:02d}{born.year % 100:02d}{ref:04d}"
    return PersonRecord(ref=ref, nik=nik, no_kk=no_kk, name=name, sex=sex, birth_place=place,
                        birth_date=born, marital_status="KAWIN", family_role="KEPALA KELUARGA",
                        mother_name=mother, father_name=father, desa_code="63.06.05.2005")


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


# ---- hard negatives -----------------------------------------------------------------------

@pytest.mark.parametrize("twin_a, twin_b", [("MUHAMMAD HASAN", "MUHAMMAD HUSIN"), ("FITRI", "RAHMAH"),
                                            ("NOOR AINI", "NOOR AISYAH")])
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
