"""The kabid schedules a trip in the browser, prints the surat tugas and records the departure."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.layanan.catalog import EQUIPMENT_KINDS

pytestmark = pytest.mark.e2e


def test_kabid_schedules_prints_and_departs(page, base_url, login_page, live_db):
    req = disposed_request(desa_code="63.06.10.2010")
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat Uji E2E")
    extra = office_user(Role.OPERATOR, full_name="Fitri Handayani Uji E2E")
    laptop = equipment("laptop", name="Laptop Lenovo ThinkPad E2E")
    for code in ("BLANGKO_KTP", "BLANGKO_KIA", "KERTAS_AKTA", "KERTAS_KK", "PITA_PRINTER_KARTU", "KERTAS_STRUK"):
        stock(code, 40)
    day = wita_today()
    page.on("dialog", lambda dialog: dialog.accept())

    login_page(Role.KABID_DAFDUK)
    page.get_by_role("link", name="Perjalanan").first.click()
    expect(page.get_by_role("heading", name="Perjalanan")).to_be_visible()
    page.get_by_role("button", name="Jadwalkan perjalanan").click()   # the list page's link-button
    expect(page.get_by_role("heading", name="Jadwalkan perjalanan")).to_be_visible()
    page.get_by_label(re.compile(req.number)).check()
    expect(page.locator("#stock_BLANGKO_KTP")).to_have_value("2")        # recomputed from the resident list
    page.get_by_label("Tanggal berangkat", exact=True).fill(day.isoformat())
    page.locator("#end_date").fill(day.isoformat())
    rows = page.locator("#member-rows tr")
    rows.nth(0).locator("select[name=member_user]").select_option(label="Rahmat Hidayat Uji E2E (Petugas Lapangan)")
    rows.nth(0).locator("select[name=member_task]").select_option("perekaman")
    page.get_by_role("button", name="Tambah petugas").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator("select[name=member_user]").select_option(label="Fitri Handayani Uji E2E (Operator)")
    page.get_by_role("button", name="Tambah petugas").click()
    expect(rows).to_have_count(3)
    rows.nth(2).get_by_role("button", name="Hapus").click()               # a row added by mistake
    expect(rows).to_have_count(2)
    page.get_by_label(re.compile(re.escape(laptop.inventory_number))).check()
    kit = page.get_by_test_id("kit-check")
    expect(kit).to_contain_text("Belum dipilih")
    expect(kit).not_to_contain_text("Laptop")                            # the laptop now covers its kind
    page.get_by_test_id("equipment-ack").check()                         # knowingly short of the rest
    page.locator("#stock_BLANGKO_KTP").fill("3")
    page.get_by_role("button", name="Jadwalkan perjalanan").click()

    expect(page.get_by_role("heading", name=re.compile(r"Perjalanan TRP-"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"dijadwalkan; 1 permohonan"))).to_be_visible()
    expect(page.get_by_test_id("team")).to_contain_text("Rahmat Hidayat Uji E2E")
    expect(page.get_by_test_id("team")).to_contain_text("Fitri Handayani Uji E2E")
    expect(page.get_by_test_id("equipment")).to_contain_text(laptop.inventory_number)
    expect(page.get_by_test_id("stock")).to_contain_text("Blangko KTP-el")

    page.get_by_role("button", name="Surat tugas").click()
    expect(page.get_by_role("heading", name="SURAT TUGAS")).to_be_visible()
    expect(page.locator("article.letter")).to_contain_text("MENUGASKAN")
    expect(page.locator("article.letter")).to_contain_text(req.letter_number)
    expect(page.get_by_role("button", name="Cetak")).to_be_visible()
    page.go_back()

    page.get_by_test_id("depart").click()
    expect(page.get_by_text(re.compile("Keberangkatan TRP-.* tercatat"))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Berangkat")
    expect(page.get_by_test_id("timeline")).to_contain_text("berjalan sejak")


def test_double_booking_is_explained_in_the_browser(page, login_page, live_db):
    from webapp.trips import services
    from webapp.trips.services import MemberChoice, TripPlan

    officer = office_user(Role.PETUGAS, full_name="Jumberi Uji Bentrok")
    kabid = office_user(Role.KABID_DAFDUK)
    day = wita_today() + timedelta(days=40)
    first = services.schedule_trip(TripPlan(start_date=day, end_date=day + timedelta(days=1), node_code="BUS-01",
                                            request_ids=[disposed_request().id],
                                            members=[MemberChoice(officer.id, "operator")],
                                            accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    req = disposed_request(desa_code="63.06.10.2001")
    login_page(Role.KABID_DAFDUK)
    page.goto(page.url.rstrip("/") + "/perjalanan/baru")
    page.get_by_label(re.compile(req.number)).check()
    page.get_by_label("Tanggal berangkat", exact=True).fill((day + timedelta(days=1)).isoformat())
    page.locator("#end_date").fill((day + timedelta(days=1)).isoformat())
    page.locator("select[name=member_user]").first.select_option(label="Jumberi Uji Bentrok (Petugas Lapangan)")
    page.get_by_role("button", name="Jadwalkan perjalanan").click()
    expect(page.get_by_text(f"Jumberi Uji Bentrok sudah bertugas pada perjalanan {first.number}")).to_be_visible()
    expect(page.get_by_label(re.compile(req.number))).to_be_checked()       # what was chosen stays
