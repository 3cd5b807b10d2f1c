import os
import re

import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def test_admin_registers_equipment_and_receives_stock(page, login_page, live_db):
    from webapp.inventory import services
    before = services.balance("BLANGKO_KTP")
    number = f"KP/LT/2026/{os.getpid() % 1000:03d}"

    login_page(Role.ADMIN)
    page.get_by_role("navigation").get_by_role("link", name="Peralatan & Stok").click()
    expect(page.get_by_role("heading", name="Peralatan", exact=True)).to_be_visible()
    page.get_by_role("button", name="Tambah peralatan").click()

    # A wrong inventory number is explained next to the field; what was typed stays.
    page.get_by_label("Nomor inventaris").fill("KP LT 2026")
    page.get_by_label("Jenis").select_option(label="Laptop")
    page.get_by_label("Merek / model").fill("Lenovo ThinkPad E14 Gen 5")
    page.get_by_label("Nomor seri").fill("PF4AB123")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Nomor inventaris hanya boleh")).to_be_visible()
    expect(page.get_by_label("Merek / model")).to_have_value("Lenovo ThinkPad E14 Gen 5")

    page.get_by_label("Nomor inventaris").fill(number)
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text(f"Peralatan {number} dicatat.")).to_be_visible()

    page.get_by_placeholder("Cari nomor inventaris, merek, nomor seri").fill("PF4AB123")
    expect(page.locator("#rows tr")).to_have_count(1)
    expect(page.locator("#rows")).to_contain_text(number)

    page.get_by_role("link", name="Saldo stok").click()
    page.get_by_role("button", name="Terima stok").click()
    page.get_by_label("Jenis stok").select_option("BLANGKO_KTP")
    page.get_by_label("Jumlah diterima").fill("lima ratus")
    page.get_by_label("Dasar penerimaan").fill("Distribusi blangko dari Ditjen Dukcapil, BA No. 470/0201/Dukcapil/2026")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Jumlah harus bilangan bulat")).to_be_visible()
    expect(page.get_by_label("Dasar penerimaan")).to_have_value(re.compile("BA No. 470/0201"))

    page.get_by_label("Jumlah diterima").fill("500")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Penerimaan 500 keping Blangko KTP-el dicatat.")).to_be_visible()
    expected = f"{before + 500:,}".replace(",", ".")
    expect(page.get_by_test_id("balance-BLANGKO_KTP")).to_contain_text(expected)

    page.get_by_role("link", name="Riwayat mutasi").click()
    expect(page.locator("#rows")).to_contain_text("BA No. 470/0201/Dukcapil/2026")
