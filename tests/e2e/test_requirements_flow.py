import re

import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def test_admin_adds_an_alternative_and_sees_it_in_the_preview(page, login_page, live_db):
    from webapp.requirements.services import seed_templates
    seed_templates()

    login_page(Role.ADMIN)
    page.get_by_role("navigation").get_by_role("link", name="Syarat Layanan").click()
    page.get_by_role("link", name="KK hilang").click()
    expect(page.get_by_role("heading", name="Syarat Kartu Keluarga — Hilang")).to_be_visible()

    # Put the police letter into alternative group A (inline edit).
    police = page.locator("#items tr", has_text="Surat keterangan kehilangan dari kepolisian")
    police.get_by_role("link", name="Ubah").click()
    editing = page.locator("#items tr").filter(has=page.get_by_role("button", name="Simpan butir"))
    editing.get_by_label("Alternatif").select_option("A")
    editing.get_by_role("button", name="Simpan butir").click()
    expect(page.get_by_role("button", name="Simpan butir")).to_have_count(0)
    expect(page.locator("#items tr", has_text="Surat keterangan kehilangan dari kepolisian")).to_contain_text("Alternatif A")

    # An empty item is refused in place; then add the alternative.
    page.get_by_text("Tambah butir syarat").click()
    add = page.locator("#items details form")
    add.get_by_role("button", name="Tambah butir").click()
    expect(page.locator("#items details form")).to_contain_text("Wajib diisi.")
    add = page.locator("#items details form")
    add.get_by_role("textbox", name=re.compile("^Syarat")).fill("Surat pernyataan kehilangan bermeterai")
    add.get_by_label("Alternatif").select_option("A")
    add.get_by_role("button", name="Tambah butir").click()
    expect(page.locator("#items")).to_contain_text("Surat pernyataan kehilangan bermeterai")

    # The preview as a checklist for a 30-year-old shows the two as one "ATAU" line.
    page.get_by_test_id("preview-age").fill("30")
    expect(page.get_by_test_id("preview")).to_contain_text(
        "Surat keterangan kehilangan dari kepolisian ATAU Surat pernyataan kehilangan bermeterai")


def test_admin_lowers_the_perekaman_age_and_the_preview_follows(page, login_page, live_db):
    from webapp.requirements.services import seed_templates
    from webapp.settings.services import set_value
    seed_templates()
    try:
        login_page(Role.ADMIN)
        page.get_by_role("navigation").get_by_role("link", name="Pengaturan").click()
        row = page.get_by_test_id("setting-perekaman_min_age")
        row.get_by_role("button", name="Ubah").click()
        row.get_by_role("textbox").fill("9")
        row.get_by_role("button", name="Simpan").click()
        expect(row).to_contain_text("Nilai harus antara 10 dan 25 tahun.")
        expect(row.get_by_role("textbox")).to_have_value("9")
        row.get_by_role("textbox").fill("16")
        row.get_by_role("button", name="Simpan").click()
        expect(row).to_contain_text("Tersimpan.")

        page.get_by_role("navigation").get_by_role("link", name="Syarat Layanan").click()
        page.get_by_role("link", name="Perekaman KTP-el").click()
        page.get_by_label("Status perkawinan").select_option("tidak")
        page.get_by_test_id("preview-age").fill("16")
        expect(page.get_by_test_id("preview")).to_contain_text("Berusia minimal 16 tahun")
        expect(page.get_by_test_id("preview")).not_to_contain_text("Tidak memenuhi syarat")
        page.get_by_test_id("preview-age").fill("15")
        expect(page.get_by_test_id("preview")).to_contain_text("Belum berusia 16 tahun dan belum pernah kawin")
    finally:
        set_value("perekaman_min_age", 17, None)
