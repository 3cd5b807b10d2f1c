"""Issue 12 in the browser: the bus cannot be booked twice, the equipment check follows the
selection and asks for a confirmation, import errors get the focus, the village head sees the
visit, and a duplicate review shows where two numbers differ."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp.auth.roles import Role
from webapp.core.timefmt import format_date, wita_today
from webapp.layanan.catalog import EQUIPMENT_KINDS

pytestmark = pytest.mark.e2e

# Days of their own, far from the other browser tests' trips (the live database is shared).
DAY0 = wita_today() + timedelta(days=70)


def schedule(kabid, *, start, end, requests, officer, meeting_point=""):
    from webapp.extensions import db
    from webapp.trips import services
    from webapp.trips.services import MemberChoice, TripPlan
    trip = services.schedule_trip(TripPlan(
        start_date=start, end_date=end, node_code="BUS-01", meeting_point=meeting_point,
        request_ids=[r.id for r in requests], members=[MemberChoice(officer.id, "perekaman")],
        accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    db.session.commit()
    return trip


def open_schedule_form(page, base_url, req, day):
    page.goto(base_url + "/perjalanan/baru")
    page.get_by_label(re.compile(req.number)).check()
    page.get_by_label("Tanggal berangkat", exact=True).fill(day.isoformat())
    page.locator("#end_date").fill(day.isoformat())


def test_the_bus_cannot_be_booked_twice(page, base_url, login_page, live_db):
    kabid = office_user(Role.KABID_DAFDUK)
    first = schedule(kabid, start=DAY0, end=DAY0 + timedelta(days=1), requests=[disposed_request()],
                     officer=office_user(Role.PETUGAS))
    req = disposed_request(desa_code="63.06.10.2001")
    login_page(Role.KABID_DAFDUK)
    open_schedule_form(page, base_url, req, DAY0)
    expect(page.locator("select#node_code")).to_have_value("BUS-01")          # a choice, not free text
    page.locator("select[name=member_user]").first.select_option(index=1)
    page.get_by_test_id("equipment-ack").check()
    page.get_by_role("button", name="Jadwalkan perjalanan").click()
    message = f"Bus Ketupat Pecel 01 sudah dipakai pada perjalanan {first.number}"
    expect(page.locator("#node_code-error")).to_contain_text(message)         # next to the bus
    expect(page.locator("#node_code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(re.compile(req.number))).to_be_checked()          # what was chosen stays


def test_missing_equipment_shows_live_and_needs_the_confirmation(page, base_url, login_page, live_db):
    req = disposed_request(desa_code="63.06.10.2002")   # needs a card printer and a recording kit, among others
    office_user(Role.PETUGAS, full_name="Petugas Uji Perlengkapan")
    kit = equipment("perekaman_kit", name="Perekaman Uji E2E")
    for code in ("BLANGKO_KTP", "BLANGKO_KIA", "KERTAS_AKTA", "KERTAS_KK", "PITA_PRINTER_KARTU", "KERTAS_STRUK"):
        stock(code, 40)                                                       # the blanks are in the warehouse
    login_page(Role.KABID_DAFDUK)
    open_schedule_form(page, base_url, req, DAY0 + timedelta(days=5))
    page.locator("select[name=member_user]").first.select_option(label="Petugas Uji Perlengkapan (Petugas Lapangan)")
    check = page.get_by_test_id("kit-check")
    expect(check).to_contain_text("Belum dipilih untuk kebutuhan warga:")
    expect(check).to_contain_text("Perangkat perekaman KTP-el")
    page.get_by_label(re.compile(re.escape(kit.inventory_number))).check()
    expect(check).not_to_contain_text("Perangkat perekaman KTP-el")         # follows the selection
    expect(check).to_contain_text("Printer kartu")

    page.get_by_role("button", name="Jadwalkan perjalanan").click()         # without the confirmation
    expect(page.locator("#equipment-ack-error")).to_contain_text("Perlengkapan yang dibutuhkan warga belum dipilih")
    expect(page.get_by_label(re.compile(re.escape(kit.inventory_number)))).to_be_checked()
    page.get_by_label(re.compile("Saya tahu perlengkapan ini kurang: .*Printer kartu")).check()
    page.get_by_role("button", name="Jadwalkan perjalanan").click()
    expect(page.get_by_role("heading", name=re.compile(r"Perjalanan TRP-"))).to_be_visible()
    expect(page.get_by_test_id("equipment")).to_contain_text(kit.inventory_number)


def test_import_errors_are_summed_up_and_get_the_focus(page, base_url, login_page, live_db, tmp_path):
    from webapp.extensions import db
    from webapp.requests import services as requests
    operator = login_page(Role.OPERATOR)
    req = requests.register_request(requests.LetterData(
        letter_number="140/912/DS-LKS/2026", letter_date=wita_today() - timedelta(days=1), desa_code="63.06.10.2009",
        signatory_name="Anang Sarkani", signatory_title="Kepala Desa", requested_date=DAY0,
        location="Balai Desa"), actor=operator)
    db.session.commit()
    csv = tmp_path / "daftar-warga.csv"
    csv.write_text("nama;nik;no_kk;jenis_kelamin;tanggal_lahir;layanan;keterangan\n"
                   "Anang;630610120409;;L;12-04-2009;KTP_EL:baru;\n"
                   "Aluh;;;P;30-02-2015;KIA:5_17;\n"
                   "Utuh;;;L;01-01-1990;PASPOR;\n", encoding="utf-8")
    page.goto(base_url + f"/permohonan/{req.id}")
    page.get_by_label("Berkas daftar warga").set_input_files(str(csv))
    page.get_by_role("button", name="Impor", exact=True).click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("3 baris bermasalah, tidak ada yang diimpor.")
    problems = page.locator("#import-problems")
    expect(problems).to_be_focused()
    expect(problems).to_be_in_viewport()
    expect(page.get_by_test_id("import-problems")).to_contain_text("PASPOR")


def test_the_village_head_sees_when_the_bus_comes(page, base_url, login_page, live_db):
    from webapp.requirements.services import seed_templates
    from webapp.extensions import db
    seed_templates()
    db.session.commit()
    kabid = office_user(Role.KABID_DAFDUK)
    req = disposed_request(desa_code="63.06.10.2009")
    officer = office_user(Role.PETUGAS, full_name="Petugas Rahasia Tim")
    start = DAY0 + timedelta(days=10)
    schedule(kabid, start=start, end=start, requests=[req], officer=officer,
             meeting_point="Balai Desa Loksado, pukul 08.00 WITA")
    login_page(Role.KEPALA_DESA)
    page.goto(base_url + f"/permohonan/{req.id}")
    visit = page.get_by_test_id("visit")
    expect(visit).to_contain_text("Jadwal kunjungan bus")
    expect(page.get_by_test_id("visit-date")).to_have_text(format_date(start, True))
    expect(page.get_by_test_id("visit-meeting-point")).to_have_text("Balai Desa Loksado, pukul 08.00 WITA")
    expect(page.get_by_test_id("what-to-bring")).to_contain_text("Kartu Keluarga")
    expect(page.locator("main")).not_to_contain_text("Petugas Rahasia Tim")  # no team


def test_duplicate_review_marks_the_differing_digits_and_ganda_moves_the_case(page, base_url, login_page,
                                                                             live_db, tmp_path):
    from webapp.extensions import db
    from webapp.quality import importer, services as quality
    from webapp.quality.models import QualityCase
    from webapp.synthetic import generate_register, write_siak_csv
    path = tmp_path / "siak.csv"
    write_siak_csv(generate_register(300, seed=21).records, path)
    assert importer.import_file(path).status == "selesai"
    case = (QualityCase.query.filter_by(kind="ganda", status="terbuka").order_by(QualityCase.number).first())
    persons = quality.persons_by_keys(case.person_keys[:2])
    first, second = (persons[k] for k in case.person_keys[:2])
    first.no_kk, second.no_kk = "6306101203900001", "6306101207900001"
    db.session.commit()

    login_page(Role.OPERATOR)
    page.goto(base_url + f"/kualitas/kasus/{case.id}/tinjau")
    expect(page.get_by_test_id("diff-no_kk-a")).to_have_text("6306•••••3••0001")
    expect(page.get_by_test_id("diff-no_kk-b")).to_have_text("6306•••••7••0001")
    expect(page.get_by_test_id("diff-no_kk-a").locator("mark")).to_have_text("3")
    expect(page.locator("main")).not_to_contain_text("6306101203900001")
    expect(page.get_by_test_id("decision-effect")).to_contain_text("menunggu pengajuan")
    page.get_by_label("Ganda — satu orang, satu rekaman dipertahankan").check()
    page.locator("input[name=kept_person_key]").first.check()             # keep record 1
    page.get_by_label("Alasan").fill("Orang yang sama: dicek dengan KK di kantor desa.")
    page.get_by_role("button", name="Simpan keputusan").click()
    expect(page.locator("#flash")).to_contain_text("Langkah berikutnya")
    expect(page.get_by_test_id("case-status")).to_have_text("Ganda, menunggu pengajuan")
    expect(page.get_by_test_id("next-step")).to_contain_text("Ajukan ke pusat")
    expect(page.get_by_role("button", name="Ajukan ke pusat")).to_be_visible()

