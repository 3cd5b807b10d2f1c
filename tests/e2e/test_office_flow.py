"""SOP steps 1–3 in one go, as the office works: the village's letter with an imported resident
list → the Kepala Dinas disposes it → the Kabid checks the list against the register, schedules
the trip with team, equipment and blank stock from the request page → the team departs."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.trip_factories import equipment, office_user, stock
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.requests.demo import make_nik

pytestmark = pytest.mark.e2e


def test_letter_to_disposition_to_trip_to_departure(page, base_url, login_page, live_db, tmp_path):
    officer = office_user(Role.PETUGAS, full_name="Husin Petugas Alur")
    operator = office_user(Role.OPERATOR, full_name="Masliani Operator Alur")
    kit = equipment("perekaman_kit", name="Paket perekaman Alur")
    for code in ("BLANGKO_KTP", "BLANGKO_KIA", "KERTAS_AKTA", "KERTAS_KK", "PITA_PRINTER_KARTU", "KERTAS_STRUK"):
        stock(code, 50)
    day = wita_today() + timedelta(days=1)   # departure may be recorded from the day before
    birth_17 = date(wita_today().year - 17, 3, 9)
    letter_number = f"140/ALUR/{tmp_path.name[-6:]}"

    # Step 1: the office enters the paper letter and imports the village's list
    login_page(Role.OPERATOR)
    page.get_by_role("link", name="Permohonan").first.click()
    page.get_by_role("button", name="Catat surat permohonan").click()
    page.locator("#letter_number").fill(letter_number)
    page.locator("#letter_date").fill((wita_today() - timedelta(days=2)).isoformat())
    page.locator("#desa_code").select_option("63.06.10.2004")          # Malinau, Loksado
    page.locator("#signatory_name").fill("Saberi")
    page.locator("#requested_date").fill(day.isoformat())
    page.locator("#location").fill("Balai Desa Malinau")
    page.get_by_role("button", name="Simpan surat").click()
    expect(page.get_by_role("heading", name=re.compile("Permohonan PMH-"))).to_be_visible()
    csv = tmp_path / "warga-malinau.csv"
    csv.write_text("nama,nik,no_kk,jenis_kelamin,tanggal_lahir,layanan,keterangan\n"
                   f"Rusdiansyah,{make_nik('63.06.10', birth_17, 'L', 41)},,L,{birth_17:%d-%m-%Y},"
                   "\"KTP_EL:baru; PEREKAMAN\",\n"
                   "Aluh Nur'aini,,,P,11-05-2024,AKTA_LAHIR,belum punya NIK\n", encoding="utf-8")
    page.locator("#resident_file").set_input_files(str(csv))
    page.get_by_role("button", name="Impor").click()
    expect(page.get_by_text("2 warga diimpor")).to_be_visible()
    request_url = page.url.split("#")[0]

    # Step 2: the Kepala Dinas disposes it to Dafduk
    page.context.clear_cookies()
    login_page(Role.KEPALA_DINAS)
    page.goto(base_url + "/permohonan/disposisi")
    page.locator("tr", has_text=letter_number).get_by_role("button", name="Buka dan disposisikan").click()
    page.locator("#lead_division").select_option("dafduk")
    page.locator("#instruction").fill("Bawa perangkat perekaman.")
    page.locator("#due_date").fill(day.isoformat())
    page.get_by_role("button", name="Disposisikan").click()
    expect(page.get_by_text(re.compile("didisposisi ke Bidang Dafduk"))).to_be_visible()

    # Step 3: the Kabid sees the pre-trip check, schedules from the request page and departs
    page.context.clear_cookies()
    login_page(Role.KABID_DAFDUK)
    page.goto(request_url)
    expect(page.locator("#cek-kualitas")).to_contain_text("Pemeriksaan pra-perjalanan")
    expect(page.locator("#resident-table")).to_contain_text("Perlu dicek")   # not in the (empty) register
    page.get_by_role("button", name="Jadwalkan perjalanan").click()
    expect(page.get_by_role("heading", name="Jadwalkan perjalanan")).to_be_visible()
    expect(page.get_by_label(re.compile(re.escape(letter_number))).first).to_be_checked()
    page.get_by_label("Tanggal berangkat", exact=True).fill(day.isoformat())
    page.locator("#end_date").fill(day.isoformat())
    rows = page.locator("#member-rows tr")
    rows.nth(0).locator("select[name=member_user]").select_option(label="Husin Petugas Alur (Petugas Lapangan)")
    rows.nth(0).locator("select[name=member_task]").select_option("perekaman")
    page.get_by_role("button", name="Tambah petugas").click()
    rows.nth(1).locator("select[name=member_user]").select_option(label="Masliani Operator Alur (Operator)")
    page.get_by_label(re.compile(re.escape(kit.inventory_number))).check()
    expect(page.get_by_test_id("kit-check")).not_to_contain_text("Perangkat perekaman")   # the kit covers it
    page.get_by_test_id("equipment-ack").check()                                         # short of the rest, knowingly
    page.get_by_role("button", name="Jadwalkan perjalanan").click()

    expect(page.get_by_role("heading", name=re.compile(r"Perjalanan TRP-"))).to_be_visible()
    expect(page.get_by_test_id("team")).to_contain_text("Husin Petugas Alur")
    expect(page.get_by_test_id("equipment")).to_contain_text(kit.inventory_number)
    expect(page.get_by_test_id("stock")).to_contain_text("Blangko KTP-el")
    # the adult missing from the (empty) register is flagged; the newborn applying for an akta is not
    expect(page.get_by_test_id("trip-precheck")).to_contain_text("Perlu dicek: 1")
    page.get_by_role("link", name="rincian per warga").click()
    expect(page.get_by_test_id("checklist-precheck")).to_contain_text("1 perlu dicek")
    page.go_back()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("depart").click()
    expect(page.locator("h1 .badge")).to_have_text("Berangkat")

    # the request followed the trip, and its timeline shows steps 2 and 3 against the standard
    page.goto(request_url)
    expect(page.locator("h1")).to_contain_text("berangkat", ignore_case=True)
    expect(page.get_by_test_id("timeline")).to_contain_text("Langkah 3")
