import re

import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def test_log_in_navigate_and_log_out(page, base_url, login_page):
    user = login_page(Role.ADMIN, full_name="Admin Uji Asap")
    expect(page.get_by_role("heading", name=re.compile("Selamat datang, Admin Uji Asap"))).to_be_visible()
    page.get_by_role("link", name="Pengguna").first.click()
    expect(page).to_have_url(re.compile(r"/admin/pengguna"))
    expect(page.get_by_role("heading", name="Pengguna")).to_be_visible()
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Log audit")).to_be_visible()
    expect(page.locator("#rows")).to_contain_text(user.username)
    page.locator("summary", has_text="Admin Uji Asap").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/masuk"))
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible()
    page.goto(base_url + "/admin/pengguna")
    expect(page).to_have_url(re.compile(r"/masuk"))


def test_wrong_password_message_in_the_browser(page, base_url, make_live_user):
    user = make_live_user(Role.VIEWER)
    page.goto(base_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Kata sandi").fill("salah-sekali-1")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_text("Nama pengguna atau kata sandi salah.")).to_be_visible()
    expect(page.get_by_label("Nama pengguna")).to_have_value(user.username)


def test_search_as_you_type_updates_rows_with_htmx(page, login_page, make_live_user):
    # the live database is shared by the browser tests: search for a name no other test uses
    make_live_user(Role.PETUGAS, full_name="Masliani Husin Uji Cari")
    login_page(Role.ADMIN)
    page.get_by_role("link", name="Pengguna").first.click()
    page.get_by_placeholder("Cari nama atau nama pengguna").fill("husin uji cari")
    expect(page.locator("#rows")).to_contain_text("Masliani Husin Uji Cari")
    expect(page.locator("#rows tr")).to_have_count(1)


def test_relogin_dialog_keeps_what_was_typed(page, base_url, login_page, live_db):
    user = login_page(Role.ADMIN)
    page.goto(base_url + "/admin/pengguna")
    search = page.get_by_placeholder("Cari nama atau nama pengguna")
    page.context.clear_cookies()  # the session ended while the user was working
    search.fill("ketikan-saya")
    dialog = page.locator("#relogin-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Sesi Anda telah berakhir")
    dialog.get_by_label("Nama pengguna").fill(user.username)
    dialog.get_by_label("Kata sandi").fill("rahasia-uji-123")
    dialog.get_by_role("button", name="Masuk").click()
    expect(page.locator("#relogin-dialog")).to_have_count(0)
    expect(search).to_have_value("ketikan-saya")
    # and work goes on with the renewed session
    with page.expect_response(lambda r: "/admin/pengguna" in r.url and "ketikan-saya2" in r.url) as answer:
        search.fill("ketikan-saya2")
    assert answer.value.status == 200
    expect(page.locator("#rows")).to_contain_text("Tidak ada pengguna yang cocok")
