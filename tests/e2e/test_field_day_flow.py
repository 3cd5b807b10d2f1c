"""A field officer's trip day in the browser: open the day, record the arrival, check a resident
in, add a walk-in, print a queue ticket, send a resident home and open the missing-items slip."""
import re

import pytest
from playwright.sync_api import expect

from tests.integration.trip_factories import departed_trip
from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def test_officer_runs_the_trip_day(page, base_url, login_page, live_db):
    officer = login_page(Role.PETUGAS, full_name="Siti Hajar Uji Lapangan")
    trip = departed_trip(members=[(officer, "koordinator")])
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(base_url + "/")
    page.get_by_role("link", name="Pelayanan Lapangan").first.click()
    row = page.get_by_test_id("today-trips").locator("tr", has_text=trip.number)
    row.get_by_test_id("open-trip-day").click()
    expect(page.get_by_role("heading", name=re.compile(f"Hari pelayanan {trip.number}"))).to_be_visible()
    expect(page.get_by_test_id("trip-status")).to_have_text("Berangkat")

    page.get_by_test_id("arrive").click()                                   # SOP step 4 ends
    expect(page.get_by_test_id("trip-status")).to_have_text("Tiba di lokasi")
    expect(page.get_by_text("Tim tiba di lokasi.")).to_be_visible()
    expect(page.get_by_test_id("arrived-at")).to_contain_text("WITA")

    aluh = page.get_by_test_id("visit-row").filter(has_text="Aluh Masitah")
    expect(aluh).to_contain_text("6306••••••••0001")                        # masked in the list
    aluh.get_by_test_id("check-in").click()                                # htmx: the row comes back
    expect(aluh.locator(".queue-no")).to_have_text("001")
    expect(aluh).to_contain_text("Menunggu")
    expect(page.locator('[data-count="menunggu"]')).to_have_text("1")       # the counts follow, in the same answer
    expect(aluh.get_by_test_id("serve")).to_have_attribute("href", re.compile(r"/pelayanan/kunjungan/.+/baru"))
    expect(aluh.get_by_test_id("call")).to_be_visible()                     # "Panggil" stays, optional

    page.get_by_test_id("add-walk-in").click()
    expect(page.get_by_role("heading", name="Warga datang langsung")).to_be_visible()
    page.get_by_label("Nama").fill("Idar Bahtiar")
    page.get_by_label("NIK").fill("63061007078")
    expect(page.get_by_test_id("walk-in-check")).to_contain_text("NIK harus 16 digit")   # checked as typed
    page.get_by_label("NIK").fill("6306100707800011")
    page.get_by_label("Jenis kelamin").select_option("L")
    page.get_by_label("Tanggal lahir").fill("1980-07-07")
    page.get_by_label("Telepon").fill("0812 5000 1234")
    expect(page.get_by_test_id("walk-in-flag")).to_contain_text("Perlu dicek")         # register and rules at once
    expect(page.get_by_test_id("walk-in-check")).not_to_contain_text("NIK harus 16 digit")
    page.get_by_test_id("walk-in-save").click()
    expect(page.get_by_text("Idar Bahtiar masuk antrean nomor 002.")).to_be_visible()

    walk_in = page.get_by_test_id("visit-row").filter(has_text="Idar Bahtiar")
    expect(walk_in).to_contain_text("datang langsung")
    walk_in.get_by_test_id("ticket-link").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text("002")
    expect(page.get_by_test_id("queue-ticket")).to_contain_text(trip.number)
    expect(page.get_by_test_id("queue-ticket")).not_to_contain_text("6306100707800011")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print")).to_be_hidden()                     # only the ticket prints
    expect(page.get_by_test_id("ticket-number")).to_be_visible()
    page.emulate_media(media="screen")
    page.go_back()

    page.get_by_test_id("visit-row").filter(has_text="Aluh Masitah").get_by_role("link", name="Aluh Masitah").click()
    page.get_by_test_id("call").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Sedang dilayani")
    page.get_by_text("Kirim pulang", exact=True).first.click()               # opens the details
    page.get_by_test_id("send-home-submit").click()                          # no reason yet
    expect(page.locator("#reason-error")).to_contain_text("Tuliskan alasan")
    page.get_by_label("Alasan dipulangkan").fill("KK asli tidak dibawa")
    page.get_by_test_id("send-home-submit").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Dipulangkan")
    expect(page.get_by_test_id("sent-home-reason")).to_have_text("KK asli tidak dibawa")

    page.get_by_test_id("slip-link").click()
    slip = page.get_by_test_id("missing-slip")
    expect(slip.get_by_role("heading", name="Daftar kekurangan berkas")).to_be_visible()
    expect(page.get_by_test_id("slip-reason")).to_have_text("KK asli tidak dibawa")
    expect(slip).to_contain_text("KTP-el")                                 # what she asked for, and its papers
    expect(page.get_by_test_id("contact-line")).to_contain_text("Siti Hajar Uji Lapangan")
