"""An operator uploads the register export, watches the import finish, reviews a duplicate
case side by side, decides "bukan ganda", and a re-scan does not raise the pair again."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from webapp.auth.roles import Role
from webapp.jobs.models import JobRun
from webapp.quality import importer
from webapp.quality.models import QualityCase
from webapp.synthetic import generate_register, write_siak_csv


def test_upload_review_and_decide_not_duplicate(page, base_url, login_page, live_db, tmp_path):
    register = generate_register(400, seed=41)
    path = tmp_path / "ekspor-siak-loksado.csv"
    write_siak_csv(register.records, path)

    login_page(Role.OPERATOR)
    page.goto(base_url + "/kualitas/impor")
    page.get_by_label("Berkas ekspor SIAK (CSV atau XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.get_by_role("heading", name=re.compile("Impor ekspor-siak-loksado.csv"))).to_be_visible()
    expect(page.get_by_test_id("import-status")).to_have_text("Selesai", timeout=60_000)
    expect(page.get_by_test_id("rows-read")).to_have_text("400")

    page.get_by_role("button", name="Lihat kasus").click()
    expect(page.get_by_role("heading", name="Kasus kualitas data")).to_be_visible()
    page.get_by_label("Jenis").select_option("ganda")
    expect(page.locator("#results tbody tr").first).to_contain_text("Data ganda")
    page.locator("#results tbody tr").first.get_by_role("link").click()

    number = page.get_by_role("heading", level=1).inner_text().split(" ")[0]
    page.get_by_role("button", name="Tinjau berdampingan").click()
    expect(page.get_by_role("heading", name=re.compile("Tinjau data ganda"))).to_be_visible()
    expect(page.locator("table.side-by-side").first).to_contain_text("Nama ibu")
    page.get_by_label("Bukan ganda — orang yang berbeda").check()
    page.get_by_label("Alasan").fill("Dua orang berbeda: dicek dengan akta kelahiran di kantor desa.")
    page.get_by_role("button", name="Simpan keputusan").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Selesai")
    expect(page.locator("main")).to_contain_text("Bukan data ganda")

    case = QualityCase.query.filter_by(number=number).one()
    keys = set(case.person_keys)
    page.goto(base_url + "/kualitas/kasus")
    page.get_by_role("button", name="Pindai ulang register").click()
    expect(page.locator("#flash")).to_contain_text("Pemindaian register dimulai")
    live_db.session.expire_all()
    # Tests run jobs when the asking request commits (JOBS_IMMEDIATE): the scan is done.
    assert [run.status for run in JobRun.query.filter_by(name=importer.SCAN_JOB)] == ["selesai"]
    same_pair = [c for c in QualityCase.query.filter_by(kind="ganda").all()
                 if len(keys & set(c.person_keys)) >= 2]
    assert [c.number for c in same_pair] == [number]
