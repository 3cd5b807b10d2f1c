"""requirements_for / eligibility_problems on the seeded templates: alternatives, ages at the
edges, the late-report condition, and settings changes honoured."""
import pytest

from webapp.requirements.services import (RequirementLine, add_item, eligibility_problems, get_template,
                                          requirements_for, seed_templates)
from webapp.settings.services import set_value


@pytest.fixture
def seeded(app):
    assert seed_templates() == 16
    return app


def texts(lines: list[RequirementLine]) -> list[str]:
    return [" | ".join(line.texts) for line in lines]


def test_seeding_is_idempotent_and_keeps_office_edits(seeded):
    template = get_template("KK", "hilang")
    add_item(template, text="Surat pengantar tambahan", actor=None)
    assert seed_templates() == 0
    assert "Surat pengantar tambahan" in texts(requirements_for("KK", "hilang"))


def test_akta_lahir_alternatives_are_one_line_each(seeded):
    lines = requirements_for("AKTA_LAHIR", "baru")
    birth_proof = lines[0]
    assert birth_proof.kind == "document"
    assert birth_proof.texts == ["Surat keterangan lahir dari rumah sakit, puskesmas, bidan, atau kepala desa/lurah",
                                 "SPTJM kebenaran data kelahiran dengan 2 orang saksi"]
    assert lines[1].texts == ["Buku nikah / kutipan akta perkawinan orang tua",
                              "SPTJM kebenaran sebagai pasangan suami istri"]
    assert ["Kartu Keluarga (KK)"] in [l.texts for l in lines]


def test_late_report_line_only_when_the_fact_is_given(seeded):
    assert not any("keterlambatan" in t for t in texts(requirements_for("AKTA_LAHIR", "baru")))
    assert not any("keterlambatan" in t for t in texts(requirements_for("AKTA_LAHIR", "baru", facts={"married"})))
    late = [t for t in texts(requirements_for("AKTA_LAHIR", "baru", facts={"late_report"})) if "keterlambatan" in t]
    assert late == ["Surat pernyataan keterlambatan pelaporan kelahiran (lebih dari 60 hari) untuk persetujuan Kepala Dinas"]
    death = texts(requirements_for("AKTA_MATI", "baru", facts={"late_report"}))
    assert any("lebih dari 30 hari" in t for t in death)


def test_kk_baru_moving_letter_only_for_people_who_moved_in(seeded):
    assert not any("pindah" in t for t in texts(requirements_for("KK", "baru")))
    assert any("SKPWNI" in t for t in texts(requirements_for("KK", "baru", facts={"moved_in"})))


@pytest.mark.parametrize("age, has_photo", [(4, False), (5, True), (16, True)])
def test_kia_photo_from_the_setting_age(seeded, age, has_photo):
    lines = requirements_for("KIA", "5_17", age_years=age)
    assert any(line.kind == "photo" for line in lines) is has_photo


def test_kia_photo_with_unknown_age_carries_a_note(seeded):
    photo = [line for line in requirements_for("KIA", "5_17") if line.kind == "photo"]
    assert photo and photo[0].note == "Untuk usia 5 tahun ke atas."


def test_kia_under_5_has_no_photo(seeded):
    assert not any(line.kind == "photo" for line in requirements_for("KIA", "bawah_5", age_years=3))


def test_changed_setting_is_honoured(seeded):
    set_value("kia_photo_from_age", "6", None)
    assert not any(l.kind == "photo" for l in requirements_for("KIA", "5_17", age_years=5))
    assert any(l.kind == "photo" for l in requirements_for("KIA", "5_17", age_years=6))
    set_value("ktp_min_age", 18, None)
    assert requirements_for("KTP_EL", "baru")[0].texts == ["Berusia minimal 18 tahun atau sudah/pernah kawin"]
    assert eligibility_problems("KTP_EL", "baru", age_years=17, married=False) == [
        "Belum berusia 18 tahun dan belum pernah kawin"]
    set_value("birth_report_days", 90, None)
    assert any("lebih dari 90 hari" in t for t in texts(requirements_for("AKTA_LAHIR", "baru", facts={"late_report"})))


def test_ktp_eligibility_edges(seeded):
    assert eligibility_problems("KTP_EL", "baru", age_years=15, married=False) == [
        "Belum berusia 17 tahun dan belum pernah kawin"]
    assert eligibility_problems("KTP_EL", "baru", age_years=16, married=True) == []
    assert eligibility_problems("KTP_EL", "baru", age_years=17, married=False) == []
    assert eligibility_problems("KTP_EL", "baru", age_years=16, married=None) == [
        "Belum berusia 17 tahun (kecuali sudah/pernah kawin)"]
    assert eligibility_problems("KTP_EL", "baru", age_years=None, married=None) == []
    assert eligibility_problems("KTP_EL", "hilang", age_years=15, married=False) == []


def test_perekaman_minimum_age_is_a_setting(seeded):
    assert eligibility_problems("PEREKAMAN", "perekaman", age_years=16, married=False) == [
        "Belum berusia 17 tahun dan belum pernah kawin"]
    set_value("perekaman_min_age", 16, None)
    assert eligibility_problems("PEREKAMAN", "perekaman", age_years=16, married=False) == []
    assert eligibility_problems("PEREKAMAN", "perekaman", age_years=15, married=False) == [
        "Belum berusia 16 tahun dan belum pernah kawin"]
    assert "Berusia minimal 16 tahun" in texts(requirements_for("PEREKAMAN", "perekaman"))[1]


def test_kia_age_limits(seeded):
    assert eligibility_problems("KIA", "5_17", age_years=16, married=False) == []
    problems = eligibility_problems("KIA", "5_17", age_years=17, married=False)
    assert len(problems) == 1 and "di bawah 17 tahun" in problems[0]
    assert eligibility_problems("KIA", "5_17", age_years=4, married=False) == ["Belum berusia 5 tahun"]
    assert eligibility_problems("KIA", "bawah_5", age_years=4, married=False) == []
    assert "di bawah 5 tahun" in eligibility_problems("KIA", "bawah_5", age_years=5, married=False)[0]


def test_unknown_service_and_inactive_template(seeded):
    assert requirements_for("SIM", "baru") == []
    assert eligibility_problems("SIM", "baru", age_years=20, married=None) == ["Layanan tidak dikenal."]
    template = get_template("KK", "rusak")
    template.active = False
    assert requirements_for("KK", "rusak") == []


def test_added_alternative_joins_its_group(seeded):
    template = get_template("KTP_EL", "hilang")
    first = template.items[0]
    first.alt_group = "A"
    add_item(template, text="Surat pernyataan kehilangan bermeterai", alt_group="A", actor=None)
    lines = requirements_for("KTP_EL", "hilang")
    assert lines[0].texts == ["Surat keterangan kehilangan dari kepolisian", "Surat pernyataan kehilangan bermeterai"]
    assert len(lines) == 2
