"""What a new user tripped over in the office flow (issue 12), in the browser: the lists read on
a 390 px phone with the status in view, the printables fit A4 with the letterhead, the footer's
English switch works with the catalog scripts/setup compiles, the pre-trip reasons are text on a
touch screen, and the resident lookup finds near spellings without a CSP violation."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.extensions import db

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Every Content-Security-Policy violation the page meets, even one the console does not show.
CSP_PROBE = ("window.__cspViolations = [];"
             "document.addEventListener('securitypolicyviolation', function (e) {"
             "  window.__cspViolations.push(e.violatedDirective + ' ' + (e.sample || e.blockedURI)); });")


_TRIPS = {"n": 0}


def _trip_for(requests, *, members=(), items=(), stock_qty=None):
    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.trips import services
    from webapp.trips.services import MemberChoice, TripPlan

    _TRIPS["n"] += 1                                     # one bus: each trip on its own days
    day = wita_today() + timedelta(days=200 + 3 * _TRIPS["n"])
    trip = services.schedule_trip(TripPlan(
        start_date=day, end_date=day + timedelta(days=1), request_ids=[r.id for r in requests],
        members=[MemberChoice(user.id, task) for user, task in members], equipment_ids=[i.id for i in items],
        stock=dict(stock_qty or {}), accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=office_user(Role.KABID_DAFDUK))
    db.session.commit()
    return trip


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width} px wide on a {PHONE['width']} px phone"


def _cell_in_view(page, cell) -> None:
    expect(cell).to_be_visible()
    box = cell.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_lists_fit_a_phone_with_the_status_in_view_and_labelled_date_filters(page, base_url, login_page, live_db):
    req = disposed_request(desa_code="63.06.10.2011")
    trip = _trip_for([req], members=[(office_user(Role.PETUGAS), "perekaman")])
    page.set_viewport_size(PHONE)

    login_page(Role.KABID_DAFDUK)
    page.goto(base_url + "/permohonan/")
    _fits_the_phone(page)
    row = page.locator("#rows tr", has_text=req.number)
    _cell_in_view(page, row.locator('td[data-label="Status"]'))
    expect(row.locator('td[data-label="Status"]')).to_contain_text("Dijadwalkan")
    for name in ("Tanggal pelayanan dari", "Tanggal pelayanan sampai"):
        expect(page.get_by_text(name, exact=True)).to_be_visible()      # a visible label, not aria only
        expect(page.get_by_label(name)).to_have_attribute("type", "date")
    page.get_by_label("Tanggal pelayanan dari").fill((wita_today() + timedelta(days=1)).isoformat())
    expect(page.locator("#rows")).to_contain_text(req.number)
    _fits_the_phone(page)

    page.goto(base_url + "/perjalanan/?when=semua")
    _fits_the_phone(page)
    trip_row = page.locator("#rows tr", has_text=trip.number)
    _cell_in_view(page, trip_row.locator('td[data-label="Status"]'))
    expect(trip_row.locator('td[data-label="Status"]')).to_contain_text("Dijadwalkan")

    page.goto(base_url + "/permohonan/" + str(req.id))                 # the resident list too
    _fits_the_phone(page)
    _cell_in_view(page, page.locator("#resident-rows tr").first.locator('td[data-label="Cek data"]'))


def test_office_lists_of_every_kind_fit_a_phone(page, base_url, login_page, live_db):
    disposed_request()
    equipment("laptop", name="Laptop dengan-nama-panjang-tanpa-spasi-yang-tidak-boleh-melebar-keluar-kartu")
    page.set_viewport_size(PHONE)
    login_page(Role.ADMIN)
    for path in ("/admin/audit/", "/inventaris/stok", "/inventaris/stok/mutasi", "/inventaris/peralatan",
                 "/admin/pengguna", "/admin/syarat/", "/admin/pengaturan/"):
        page.goto(base_url + path)
        _fits_the_phone(page)
        if path != "/admin/syarat/":                           # no templates yet: no table there
            expect(page.locator("table.striped tbody tr").first).to_be_visible()
    page.goto(base_url + "/admin/audit/")
    for name in ("Dari tanggal", "Sampai tanggal"):
        expect(page.get_by_text(name, exact=True)).to_be_visible()
        expect(page.get_by_label(name)).to_have_attribute("type", "date")


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_printables_fit_a4_with_the_letterhead(page, base_url, login_page, live_db):
    loksado = disposed_request(desa_code="63.06.10.2009")
    haratai = disposed_request(desa_code="63.06.10.2010")
    team = [(office_user(Role.PETUGAS, full_name="Rahmat Hidayat Cetak"), "perekaman"),
            (office_user(Role.OPERATOR, full_name="Fitri Handayani Cetak"), "operator"),
            (office_user(Role.PETUGAS, full_name="Siti Aisyah Cetak"), "verifikator")]
    items = [equipment(kind) for kind in ("laptop", "printer", "printer_struk", "scanner", "genset", "modem",
                                          "kamera", "perekaman_kit")]
    stock("BLANGKO_KTP", 20)
    trip = _trip_for([loksado, haratai], members=team, items=items, stock_qty={"BLANGKO_KTP": 3})

    login_page(Role.KABID_DAFDUK)
    for path in (f"/perjalanan/{trip.id}/surat-tugas", f"/perjalanan/{trip.id}/daftar-persiapan",
                 f"/permohonan/{loksado.id}/berkas"):
        page.goto(base_url + path)
        expect(page.get_by_test_id("letterhead")).to_contain_text("PEMERINTAH KABUPATEN HULU SUNGAI SELATAN")
        expect(page.get_by_test_id("letterhead")).to_contain_text("DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL")
        expect(page.get_by_test_id("letterhead")).to_contain_text("Kandangan")
        expect(page.get_by_role("button", name="Cetak")).to_be_visible()
        pdf = page.pdf(format="A4")                  # honours the print stylesheet's @page
        assert _pdf_pages(pdf) == 1, f"{path} prints on {_pdf_pages(pdf)} A4 pages"

    page.goto(base_url + f"/perjalanan/{trip.id}/surat-tugas")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()                # the menu never prints
    expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    expect(page.locator(".signature")).to_contain_text("KEPALA DINAS")
    page.emulate_media(media="screen")


def test_the_footer_switches_the_page_to_english(page, base_url):
    """Works only with the .mo that scripts/setup compiles (the .po alone translates nothing)."""
    page.goto(base_url + "/masuk")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.locator("footer")).to_contain_text("Population and Civil Registration Office")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()


def test_pre_trip_reasons_are_text_on_a_touch_screen_and_on_paper(page, base_url, login_page, live_db):
    req = disposed_request(residents=[
        ("Aluh Masitah Uji", "6306104101900001", "P", wita_today() - timedelta(days=36 * 365),
         [("KTP_EL", "baru")]),
        ("Galuh Rahmah Uji", None, "P", wita_today() - timedelta(days=12), [("AKTA_LAHIR", "baru")]),
    ])
    trip = _trip_for([req], members=[(office_user(Role.PETUGAS), "perekaman")])
    page.set_viewport_size(PHONE)
    login_page(Role.KABID_DAFDUK)
    page.goto(base_url + f"/permohonan/{req.id}")
    first, newborn = page.locator("#resident-rows tr").nth(0), page.locator("#resident-rows tr").nth(1)
    expect(first.locator("[data-flag]")).to_have_text("Perlu dicek")
    expect(first.get_by_test_id("flag-reasons")).to_be_visible()      # no tap, no hover needed
    expect(first.get_by_test_id("flag-reasons")).to_contain_text("NIK tidak ditemukan di database")
    assert page.locator("[data-flag][title]").count() == 0
    expect(newborn.locator("[data-flag]")).to_have_text("OK")
    expect(newborn.get_by_test_id("flag-note")).to_contain_text("wajar untuk permohonan akta kelahiran")

    page.goto(base_url + f"/perjalanan/{trip.id}/daftar-persiapan")
    page.emulate_media(media="print")
    expect(page.locator("article.letter").get_by_test_id("flag-reasons").first).to_be_visible()
    expect(page.locator("article.letter")).to_contain_text("NIK tidak ditemukan di database")
    page.emulate_media(media="screen")


def test_lookup_finds_near_spellings_without_csp_violations(page, base_url, login_page, live_db, tmp_path):
    from webapp.quality import importer
    from webapp.synthetic import generate_register, write_siak_csv

    base = generate_register(150, seed=23).records
    spelled = [replace(base[i], name=name) for i, name in enumerate(("SITI ASIAH", "AISYAH"))]
    path = tmp_path / "siak.csv"
    write_siak_csv([*base[2:], *spelled], path)
    assert importer.import_file(path, scan=False).status == "selesai"

    page.add_init_script(CSP_PROBE)
    login_page(Role.OPERATOR)
    page.get_by_role("link", name="Cari Penduduk").click()
    page.get_by_label("NIK, No. KK, atau nama").fill("siti aisah")
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_test_id("search-count")).to_contain_text("ditemukan")
    results = page.locator("#person-search table")
    expect(results.get_by_role("link", name="SITI ASIAH", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="AISYAH", exact=True)).to_be_visible()
    expect(results.get_by_test_id("near-match").first).to_have_text("ejaan mirip")
    results.get_by_role("link", name="SITI ASIAH", exact=True).click()
    expect(page.get_by_role("heading", name="SITI ASIAH")).to_be_visible()
    page.get_by_role("button", name="tampilkan NIK").click()
    expect(page.locator("#person-nik")).not_to_contain_text("••••")
    page.set_viewport_size(PHONE)
    page.go_back()
    _fits_the_phone(page)
    assert page.evaluate("window.__cspViolations") == []
