"""SOP steps 1–2 in the browser: letter + imported resident list → inbox → disposition → kabid;
and the kepala desa's own request."""
import re
from datetime import date, timedelta

from webapp.core.timefmt import wita_today
import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role
from webapp.requests.demo import make_nik

pytestmark = pytest.mark.e2e

SERVICE_DAY = wita_today() + timedelta(days=10)
BIRTH_17 = date(wita_today().year - 17, 1, 20)


def fill_letter(page, letter_number, desa=None):
    page.locator("#letter_number").fill(letter_number)
    page.locator("#letter_date").fill((wita_today() - timedelta(days=1)).isoformat())
    if desa:
        page.locator("#desa_code").select_option(desa)
    page.locator("#signatory_name").fill("Anang Sarkani")
    page.locator("#requested_date").fill(SERVICE_DAY.isoformat())
    page.locator("#location").fill("Balai Desa Loksado")


def test_letter_with_imported_list_is_disposed_and_reaches_the_kabid(page, base_url, login_page, tmp_path):
    letter_number = f"140/E2E/{tmp_path.name[-6:]}"
    login_page(Role.OPERATOR)
    page.get_by_role("link", name="Permohonan").first.click()
    page.get_by_role("button", name="Catat surat permohonan").click()
    fill_letter(page, letter_number, desa="63.06.10.2010")
    page.get_by_role("button", name="Simpan surat").click()
    expect(page.get_by_role("heading", name=re.compile("Permohonan PMH-"))).to_be_visible()

    csv = tmp_path / "daftar-warga.csv"
    csv.write_text("nama;nik;no_kk;jenis_kelamin;tanggal_lahir;layanan;keterangan\n"
                   f"Anang Basri;{make_nik('63.06.10', BIRTH_17, 'L', 7)};;L;{BIRTH_17:%d-%m-%Y};\"KTP_EL:baru, PEREKAMAN\";\n"
                   "Aluh Galuh;;;P;03-02-2023;akta kelahiran, KIA:bawah_5;belum punya NIK\n", encoding="utf-8")
    page.locator("#resident_file").set_input_files(str(csv))
    page.get_by_role("button", name="Impor").click()
    expect(page.get_by_text("2 warga diimpor")).to_be_visible()
    expect(page.locator("#resident-rows")).to_contain_text("Anang Basri")
    expect(page.get_by_test_id("equipment")).to_contain_text("Perangkat perekaman KTP-el")

    page.context.clear_cookies()
    login_page(Role.KEPALA_DINAS)
    page.goto(base_url + "/permohonan/disposisi")
    expect(page.get_by_test_id("inbox-badge")).not_to_have_text("0")
    row = page.locator("tr", has_text=letter_number)
    row.get_by_role("button", name="Buka dan disposisikan").click()
    expect(page.get_by_test_id("service-counts")).to_contain_text("Perekaman KTP-el: 1")
    page.locator("#lead_division").select_option("dafduk")
    page.locator("#instruction").fill("Jadwalkan dan siapkan perangkat perekaman.")
    page.locator("#due_date").fill((SERVICE_DAY - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Disposisikan").click()
    expect(page.get_by_text(re.compile("didisposisi ke Bidang Dafduk"))).to_be_visible()
    expect(page.locator("tr", has_text=letter_number)).to_have_count(0)

    page.context.clear_cookies()
    login_page(Role.KABID_DAFDUK)
    page.get_by_role("link", name="Permohonan").first.click()
    first = page.locator("#rows tr").first
    expect(first).to_contain_text(letter_number)
    expect(first).to_contain_text("Didisposisi")
    first.get_by_role("link").first.click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Langkah 2")
    expect(page.get_by_test_id("disposition")).to_contain_text("Jadwalkan dan siapkan perangkat perekaman.")


def test_kepala_desa_submits_follows_and_sees_the_return_reason(page, base_url, login_page, live_db, make_live_user):
    from webapp.requests import services
    from webapp.requests.models import VillageRequest

    login_page(Role.KEPALA_DESA, desa_code="63.06.10.2009")
    page.get_by_role("link", name="Permohonan").first.click()
    page.get_by_role("button", name="Catat surat permohonan").click()
    letter_number = f"470/KADES/{wita_today():%d%m}/{page.url[-4:]}"
    fill_letter(page, letter_number)
    page.get_by_role("button", name="Simpan surat").click()
    expect(page.get_by_role("heading", name=re.compile("Permohonan PMH-"))).to_contain_text("Baru")

    # one resident typed inline (htmx row), with the NIK checked while typing
    page.get_by_role("button", name="Tambah warga").click()
    page.get_by_label("Nama warga").fill("Galuh Norhayati")
    page.get_by_label("NIK warga").fill("63061045019")
    expect(page.locator(".nik-feedback")).to_contain_text("16 digit")
    page.get_by_label("NIK warga").fill(make_nik("63.06.10", date(1990, 1, 5), "P", 12))
    page.get_by_label("Jenis kelamin warga").select_option("P")
    page.get_by_label("Tanggal lahir warga").fill("1990-01-05")
    page.locator('input[name="services"][value="KTP_EL:rusak"]').check()
    page.get_by_role("button", name="Simpan warga").click()
    expect(page.locator("#resident-rows")).to_contain_text("Galuh Norhayati")
    expect(page.locator("#resident-rows")).to_contain_text("6306••••••••0012")

    req = VillageRequest.query.filter_by(letter_number=letter_number).one()
    assert req.submitted_via == "desa"
    services.return_request(req, reason="Lampirkan fotokopi KK warga.", actor=make_live_user(Role.KEPALA_DINAS))
    live_db.session.commit()

    page.reload()
    expect(page.get_by_test_id("return-reason")).to_contain_text("Lampirkan fotokopi KK warga.")
    page.get_by_role("button", name="Kirim ulang ke Kepala Dinas").click()
    expect(page.get_by_text("Permohonan dikirim ulang ke Kepala Dinas.")).to_be_visible()
    page.get_by_role("link", name="Permohonan").first.click()
    # their own letter, once; other tests in this session may have added more letters for Loksado,
    # but never one of another village
    expect(page.locator("#rows tr", has_text=letter_number)).to_have_count(1)
    others = VillageRequest.query.filter(VillageRequest.desa_code != "63.06.10.2009").all()
    for other in others:
        expect(page.locator("#rows")).not_to_contain_text(other.letter_number)
