"""Browser: the office's reports on the demo data (`flask demo load` on a live server of its own).

The figures the pages show are checked against values worked out here from the raw rows, read with
sqlite3 from the server's file: residents served from the visits' status history (the first
"selesai", on the office's clock, its month in WITA), documents issued from the applications'
history ("selesai_lapangan" or "terbit"), outstanding receipts from the receipt table (status
"aktif", age in days from the WITA day of issue) — not by the app's report service. Then a filter
swapped by htmx, a download, a bad filter value (422, next to its field) and the print view."""
from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from webapp.admin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

WITA = ZoneInfo("Asia/Makassar")
BUCKETS = [(0, 7), (8, 14), (15, 30), (31, None)]


def _login(page, url: str, username: str) -> None:
    page.goto(url + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda u: "/masuk" not in u)


def _moment(at: str, offset) -> datetime:
    return datetime.fromisoformat(at).replace(tzinfo=timezone.utc) + timedelta(seconds=offset or 0)


def _first(rows) -> dict:
    """{entity: (first moment, extra)} from (entity, at, offset, extra) rows."""
    found: dict = {}
    for entity, at, offset, extra in rows:
        moment = _moment(at, offset)
        if entity not in found or moment < found[entity][0]:
            found[entity] = (moment, extra)
    return found


def served_and_issued(database) -> tuple[dict, dict, dict]:
    """Per desa name: {residents served}, {documents issued}; and per month (YYYY-MM) the same pair."""
    with sqlite3.connect(database) as con:
        names = dict(con.execute("SELECT code, name FROM region WHERE level IN ('desa', 'kelurahan')"))
        visits = _first(con.execute(
            "SELECT h.entity_id, h.at, h.clock_offset_s, v.desa_code FROM status_history h "
            "JOIN visit v ON v.id = h.entity_id WHERE h.entity_type = 'visit' AND h.to_status = 'selesai'"))
        documents = _first(con.execute(
            "SELECT h.entity_id, h.at, h.clock_offset_s, v.desa_code FROM status_history h "
            "JOIN application a ON a.id = h.entity_id LEFT JOIN visit v ON v.id = a.visit_id "
            "WHERE h.entity_type = 'application' AND h.to_status IN ('selesai_lapangan', 'terbit')"))
    per_desa: dict = defaultdict(lambda: [0, 0])
    per_month: dict = defaultdict(lambda: [0, 0])
    for index, found in enumerate((visits, documents)):
        for moment, desa in found.values():
            per_desa["Desa " + names[desa]][index] += 1
            per_month[moment.astimezone(WITA).strftime("%Y-%m")][index] += 1
    return dict(per_desa), dict(per_month), {"residents": len(visits), "documents": len(documents)}


def outstanding_receipts(database) -> list[tuple[str, int]]:
    """(number, age in days) of each active receipt, the oldest first."""
    today = datetime.now(WITA).date()
    with sqlite3.connect(database) as con:
        rows = con.execute("SELECT number, issued_at FROM receipt WHERE status = 'aktif'").fetchall()
    found = [(number, _moment(at, 0)) for number, at in rows]
    found.sort(key=lambda r: (r[1], r[0]))
    return [(number, max(0, (today - moment.astimezone(WITA).date()).days)) for number, moment in found]


def _cells(page, table: str, column: str) -> list[str]:
    return [t.strip() for t in page.locator(f'[data-testid="row-{table}"] [data-col="{column}"]').all_text_contents()]


def test_the_services_report_shows_the_demo_history(page, demo_server):
    url, app, database = demo_server
    per_desa, per_month, total = served_and_issued(database)
    assert total["residents"] and total["documents"], "the demo serves residents and issues documents"

    _login(page, url, "kadis")
    page.locator(".main-nav").get_by_role("link", name="Laporan").click()
    expect(page.get_by_role("heading", name="Laporan", exact=True)).to_be_visible()
    for key in ("layanan", "perjalanan", "tanda-terima", "blangko", "kasus-kualitas"):
        expect(page.get_by_test_id(f"report-link-{key}")).to_be_visible()
    page.get_by_test_id("report-link-layanan").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Warga dilayani dan dokumen terbit", exact=True)).to_be_visible()

    shown = dict(zip(_cells(page, "services", "desa"),
                     zip(map(int, _cells(page, "services", "residents")), map(int, _cells(page, "services", "documents")))))
    assert shown == {desa: tuple(v) for desa, v in per_desa.items()}
    total_row = page.get_by_test_id("total-services")
    expect(total_row.locator('[data-col="residents"]')).to_have_text(str(total["residents"]))
    expect(total_row.locator('[data-col="documents"]')).to_have_text(str(total["documents"]))

    # Per month (the form swaps the table by htmx), then one month only.
    with page.expect_response(lambda r: "by=month" in r.url):
        page.locator('select[name="by"]').select_option("month")
    expect(page).to_have_url(re.compile("by=month"))
    expect(page.get_by_test_id("row-services")).to_have_count(len(per_month))
    assert list(zip(map(int, _cells(page, "services", "residents")), map(int, _cells(page, "services", "documents")))) \
        == [tuple(per_month[m]) for m in sorted(per_month)]
    month = max(per_month)
    with page.expect_response(lambda r: "from=" + month in r.url):
        page.locator('input[name="from"]').fill(month)
    with page.expect_response(lambda r: "to=" + month in r.url):
        page.locator('input[name="to"]').fill(month)
    expect(page.get_by_test_id("row-services")).to_have_count(1)
    expect(page.locator('[data-testid="row-services"] [data-col="residents"]')).to_have_text(str(per_month[month][0]))

    # The download holds the same figures, under an Indonesian name.
    href = page.get_by_test_id("download-csv").get_attribute("href")
    answer = page.request.get(url + href)
    assert answer.status == 200
    assert f'filename="laporan-layanan-{month}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.body().decode("utf-8-sig")), delimiter=";"))
    assert ["Jumlah", str(per_month[month][0]), str(per_month[month][1])] in rows

    # Printed: no menu, no filters, no buttons; the table stays.
    expect(page.get_by_test_id("print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("report-filters")).to_be_hidden()
    expect(page.get_by_test_id("report-actions")).to_be_hidden()
    expect(page.locator(".main-nav")).to_be_hidden()
    expect(page.get_by_test_id("table-services")).to_be_visible()
    page.emulate_media(media="screen")


def test_the_outstanding_receipts_report_by_age(page, demo_server):
    url, app, database = demo_server
    receipts = outstanding_receipts(database)
    assert receipts, "the demo leaves receipts not handed over yet"
    counts = [sum(1 for _n, age in receipts if age >= lo and (hi is None or age <= hi)) for lo, hi in BUCKETS]

    _login(page, url, "kabid.dafduk")
    page.goto(url + "/laporan/")
    page.get_by_test_id("report-link-tanda-terima").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Tanda terima belum diserahkan", exact=True)).to_be_visible()
    assert list(map(int, _cells(page, "ages", "receipts"))) == counts
    expect(page.get_by_test_id("total-ages").locator('[data-col="receipts"]')).to_have_text(str(len(receipts)))
    assert _cells(page, "receipts", "number") == [n for n, _age in receipts]
    assert list(map(int, _cells(page, "receipts", "age_days"))) == [age for _n, age in receipts]
    expect(page.get_by_test_id("table-receipts")).not_to_contain_text(re.compile(r"\b\d{16}\b"))   # no NIK


def test_every_report_has_figures_and_a_bad_filter_is_answered_next_to_its_field(page, demo_server):
    url, _app, _database = demo_server
    _login(page, url, "viewer")
    for key in ("perjalanan", "blangko", "kasus-kualitas"):
        answer = page.goto(f"{url}/laporan/{key}")
        assert answer.status == 200
        expect(page.get_by_test_id("report-empty")).to_have_count(0)
    answer = page.goto(url + "/laporan/layanan?from=2026-13&service=SIM")
    assert answer.status == 422
    expect(page.get_by_test_id("filter-error-from")).to_contain_text("2026-13")
    expect(page.get_by_test_id("filter-error-service")).to_contain_text("Layanan tidak dikenal")
    with page.expect_response(lambda r: "from=2026-11" in r.url):
        page.locator('input[name="from"]').fill("2026-11")
    expect(page.get_by_test_id("filter-error-from")).to_have_text("")       # the answer clears the message
