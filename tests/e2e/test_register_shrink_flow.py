"""An operator uploads a register export that lacks whole villages: the import stops before the
swap and names what would disappear; "Batalkan" keeps the register, and the same file uploaded
again and confirmed with "Ganti register" replaces it."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role
from webapp.quality import importer, services
from webapp.quality.models import RegisterImport
from webapp.synthetic import generate_register, write_siak_csv
from webapp.wilayah.services import get_region


@pytest.fixture
def small_villages(live_app, monkeypatch):
    """Synthetic villages are small: one counts as vanished from 3 residents (default 50)."""
    monkeypatch.setitem(live_app.config, "QUALITY_IMPORT_SHRINK_MIN_VILLAGE_ROWS", 3)


def test_a_partial_export_is_cancelled_then_confirmed(page, base_url, login_page, live_db, tmp_path,
                                                       small_villages):
    records = generate_register(300, seed=29).records
    full = tmp_path / "register-lengkap.csv"
    write_siak_csv(records, full)
    assert importer.import_file(full, scan=False).status == "selesai"      # the register in use
    live_db.session.commit()
    in_use = services.current_snapshot_id()
    biggest = [code for code, _n in Counter(r.desa_code for r in records).most_common(3)]
    partial = tmp_path / "ekspor-tiga-desa-hilang.csv"
    write_siak_csv([r for r in records if r.desa_code not in biggest], partial)

    login_page(Role.OPERATOR)
    page.goto(base_url + "/kualitas/impor")
    page.get_by_label("Berkas ekspor SIAK (CSV atau XLSX)").set_input_files(str(partial))
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Perlu konfirmasi")
    summary = page.get_by_test_id("shrink-summary")
    expect(summary).to_contain_text("Berkas ini akan memperkecil register")
    expect(page.get_by_test_id("rows-now")).to_have_text("300")
    villages = page.get_by_test_id("vanished-villages")
    for code in biggest:
        expect(villages).to_contain_text(get_region(code).name)

    page.get_by_role("button", name="Batalkan").click()
    expect(page.locator("#flash")).to_contain_text("dibatalkan; register tidak berubah")
    expect(page.get_by_test_id("import-status")).to_have_text("Dibatalkan")
    expect(page.get_by_role("button", name="Ganti register")).to_have_count(0)
    live_db.session.expire_all()
    assert services.current_snapshot_id() == in_use

    page.get_by_role("link", name=re.compile("Impor register")).click()
    page.get_by_label("Berkas ekspor SIAK (CSV atau XLSX)").set_input_files(str(partial))
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Perlu konfirmasi")
    page.get_by_role("button", name="Ganti register").click()
    expect(page.locator("#flash")).to_contain_text("Register akan diganti")
    # Tests run jobs when the asking request commits (JOBS_IMMEDIATE): swapped and scanned.
    expect(page.get_by_test_id("import-status")).to_have_text("Selesai", timeout=60_000)
    live_db.session.expire_all()
    replaced = RegisterImport.query.filter_by(filename=partial.name, status="selesai").one()
    assert services.current_snapshot_id() == replaced.id
    assert services.register_state().persons == sum(1 for r in records if r.desa_code not in biggest)
