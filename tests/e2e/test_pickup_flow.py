"""A receipt from the bus to the pick-up desk in the browser: the printed receipt with its QR,
the public status page before and after, the desk finding the receipt from the scanner's text,
and the hand-over that closes it."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.receipt_factories import advance, field_trip, receipt_for, visit_on
from webapp.auth.roles import Role
from webapp.intake import receipts
from webapp.intake.models import READY

pytestmark = pytest.mark.e2e


def _check_status(page, base_url, receipt) -> str:
    page.goto(base_url + "/status")
    page.get_by_label("Nomor tanda terima").fill(receipt.number)
    page.get_by_label("Kode cek").fill(receipt.check_code.lower())
    page.get_by_role("button", name="Cek status").click()
    result = page.get_by_test_id("status-result")
    expect(result.locator("[data-state]")).to_be_visible()
    return result.inner_text()


def _login(page, base_url, user) -> None:
    page.goto(base_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/masuk" not in url)


def test_receipt_printed_checked_publicly_and_handed_over(page, browser, base_url, login_page, live_db,
                                                          make_live_user):
    officer = login_page(Role.PETUGAS)
    trip = field_trip(members=[officer])
    visit = visit_on(trip, name="Aluh Masitah E2E", actor=officer)
    receipt = receipt_for(visit, actor=officer)
    live_db.session.commit()

    # the officer prints the receipt: number, check code, masked NIK and the QR as inline SVG
    page.goto(f"{base_url}/pelayanan/tanda-terima/{receipt.id}")
    printed = page.get_by_test_id("receipt")
    expect(printed).to_contain_text(receipt.number)
    expect(page.get_by_test_id("receipt-check-code")).to_have_text(receipt.check_code)
    expect(page.get_by_test_id("receipt-nik")).to_have_text("6306••••••••0001")
    expect(page.get_by_test_id("receipt-qr").locator("svg.receipt-qr")).to_be_visible()
    page.get_by_test_id("size-a4").click()
    expect(printed).to_have_attribute("data-size", "a4")

    # the resident checks the status without logging in
    public = browser.new_context().new_page()
    assert "Diterima" in _check_status(public, base_url, receipt)

    for application in receipt.applications:
        advance(application, READY)
    live_db.session.commit()

    # the desk: the scanner types the QR text into the search field and presses Enter
    desk = browser.new_context().new_page()
    _login(desk, base_url, make_live_user(Role.OPERATOR))
    desk.get_by_role("link", name="Pengambilan Dokumen").click()
    search = desk.get_by_label("Nomor tanda terima atau QR")
    search.fill(receipts.qr_payload(receipt))
    search.press("Enter")
    expect(desk.get_by_role("heading", name=f"Tanda terima {receipt.number}")).to_be_visible()
    rows = desk.get_by_test_id("receipt-applications")
    expect(rows).to_contain_text("Siap diambil")
    expect(rows.locator("input[name=applications]")).to_be_checked()
    desk.get_by_label("Pemohon sendiri").check()
    desk.get_by_label("Nama penerima").fill("Aluh Masitah E2E")
    desk.get_by_role("button", name="Serahkan dokumen terpilih").click()
    expect(desk.get_by_text(re.compile(r"Serah terima ST-OFFICE-\d+ tercatat: 1 dokumen"))).to_be_visible()
    expect(desk.get_by_test_id("receipt-status")).to_contain_text("Selesai")
    expect(rows).to_contain_text("Sudah diambil")

    assert "Sudah diambil" in _check_status(public, base_url, receipt)
