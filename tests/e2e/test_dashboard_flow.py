"""Browser: the mutu baku dashboard on the demo data (`flask demo load` on a live server of its own).

Every figure the page shows — cases, median, 90th percentile, share within the standard, cases
over it — is checked against a value worked out here from the status_history rows themselves:
read with sqlite3 from the server's file and measured by this module's own walk through each
entity's rows (the SOP rule: from entering the start status, the first end after it, counted
from the latest start before that end, on the office's clock), not by the app's service. Then
the month and desa filters (htmx), the slow cases of a step and the page a case links to, and
filter values the form cannot send, answered next to their fields."""
from __future__ import annotations

import math
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from webapp.admin.demo import DEMO_PASSWORD
from webapp.core.timefmt import format_duration

pytestmark = pytest.mark.e2e

WITA = ZoneInfo("Asia/Makassar")
LOKSADO = "63.06.10.2009"
# key on the page: (entity in status_history, start status, end status, the SOP's standard)
STEPS = {
    "disposisi": ("request", "baru", "didisposisi", timedelta(minutes=5)),
    "penugasan": ("request", "didisposisi", "dijadwalkan", timedelta(minutes=10)),
    "tiba": ("trip", "berangkat", "tiba", timedelta(hours=2)),
    "pelayanan": ("visit", "dipanggil", "selesai", timedelta(minutes=20)),
    "penyelesaian": ("application", "diproses", "terbit", timedelta(minutes=5)),
    "aturan-1-jam": ("application", "di_kantor", "terbit", timedelta(hours=1)),
}
# The entities of a desa: the letter's village, a trip's letters, the visitor's, the visit's.
IN_DESA = {
    "request": "SELECT id FROM village_request WHERE desa_code = ?",
    "trip": "SELECT tr.trip_id FROM trip_request tr JOIN village_request r ON r.id = tr.request_id WHERE r.desa_code = ?",
    "visit": "SELECT id FROM visit WHERE desa_code = ?",
    "application": "SELECT a.id FROM application a JOIN visit v ON v.id = a.visit_id WHERE v.desa_code = ?",
}
US = timedelta(microseconds=1)


def measured(database, key: str, *, month: str | None = None,
             desa: str | None = None) -> list[tuple[str, timedelta, datetime]]:
    """(entity, duration, end) of every ended case of the step, from the raw rows."""
    entity_type, start, end, _standard = STEPS[key]
    with sqlite3.connect(database) as con:
        rows = con.execute("SELECT entity_id, id, to_status, at, clock_offset_s FROM status_history "
                           "WHERE entity_type = ?", (entity_type,)).fetchall()
        keep = {r[0] for r in con.execute(IN_DESA[entity_type], (desa,))} if desa else None
    events: dict[str, list] = {}
    for entity, row_id, status, at, offset in rows:
        moment = datetime.fromisoformat(at).replace(tzinfo=timezone.utc) + timedelta(seconds=offset or 0)
        events.setdefault(entity, []).append((moment, row_id, status))
    found = []
    for entity, moves in events.items():
        if keep is not None and entity not in keep:
            continue
        moves.sort()
        statuses = [status for _m, _id, status in moves]
        if start not in statuses:
            continue
        first = statuses.index(start)
        stop = next((i for i in range(first + 1, len(moves)) if statuses[i] == end), None)
        if stop is None:
            continue
        begin = max(i for i in range(stop) if statuses[i] == start)
        if month and moves[stop][0].astimezone(WITA).strftime("%Y-%m") != month:
            continue
        found.append((entity, moves[stop][0] - moves[begin][0], moves[stop][0]))
    return found


def _rank_value(values: list[int], p: Fraction) -> timedelta:
    """The p-th quantile, interpolated between the closest ranks, of whole microseconds."""
    position = (len(values) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return timedelta(microseconds=round(values[low] + (values[high] - values[low]) * (position - low)))


def expected_row(app, database, key: str, **filters) -> dict:
    standard = STEPS[key][3]
    durations = sorted(d // US for _e, d, _end in measured(database, key, **filters))
    within = sum(1 for d in durations if d <= standard // US)
    with app.test_request_context():
        if not durations:
            return {"count": 0, "median": "—", "p90": "—", "within": "—", "over": "0"}
        return {"count": len(durations),
                "median": format_duration(_rank_value(durations, Fraction(1, 2))),
                "p90": format_duration(_rank_value(durations, Fraction(9, 10))),
                "within": f"{math.floor(Fraction(100 * within, len(durations)) + Fraction(1, 2))}% "
                          f"({within} dari {len(durations)})",
                "over": f"{len(durations) - within} kasus" if len(durations) > within else "0"}


def check_figures(page, app, database, **filters) -> dict:
    table = {}
    for key in STEPS:
        want = table[key] = expected_row(app, database, key, **filters)
        row = page.locator(f'[data-testid="mutu-row"][data-step="{key}"]')
        expect(row.get_by_test_id("count")).to_have_text(re.compile(rf"^{want['count']} "))
        expect(row.get_by_test_id("median")).to_have_text(want["median"])
        expect(row.get_by_test_id("p90")).to_have_text(want["p90"])
        expect(row.get_by_test_id("within")).to_have_text(re.compile(r"\s+".join(map(re.escape, want["within"].split()))))
        expect(row.get_by_test_id("over")).to_have_text(want["over"])
    return table


def _login(page, url: str, username: str) -> None:
    page.goto(url + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda u: "/masuk" not in u)


def test_the_dashboard_shows_the_demo_history_step_by_step(page, demo_server):
    url, app, database = demo_server
    every = {key: measured(database, key) for key in STEPS}
    assert all(every.values()), "the demo gives every step some figures"
    assert any(d > STEPS[k][3] for k, found in every.items() for _e, d, _end in found), "and some over the standard"

    _login(page, url, "kadis")
    page.locator(".main-nav").get_by_role("link", name="Mutu Baku").click()
    expect(page.get_by_role("heading", name="Mutu baku layanan")).to_be_visible()
    table = check_figures(page, app, database)
    expect(page.get_by_test_id("share-bar")).to_have_count(len(STEPS))
    for key, value in zip(STEPS, page.get_by_test_id("share-value").all_text_contents()):
        assert value == table[key]["within"].split()[0]

    # The month the earliest demo step ended in (the figures of that month only), then one desa.
    month = min(end.astimezone(WITA).strftime("%Y-%m") for found in every.values() for _e, _d, end in found)
    with page.expect_response(lambda r: "/laporan/mutu-baku?" in r.url and "month=" + month in r.url):
        page.locator('input[name="month"]').fill(month)
    expect(page).to_have_url(re.compile(f"month={month}"))     # the filtered view has its own address
    check_figures(page, app, database, month=month)
    with page.expect_response(lambda r: "desa=" + LOKSADO in r.url):
        page.locator('select[name="desa"]').select_option(LOKSADO)
    check_figures(page, app, database, month=month, desa=LOKSADO)


def test_the_slow_cases_of_a_step_lead_to_the_case(page, demo_server):
    url, app, database = demo_server
    key = max(STEPS, key=lambda k: sum(1 for _e, d, _end in measured(database, k) if d > STEPS[k][3]))
    standard = STEPS[key][3]
    slow = sorted((d for _e, d, _end in measured(database, key) if d > standard), reverse=True)
    assert slow
    _login(page, url, "kabid.dafduk")
    page.goto(url + "/laporan/mutu-baku")
    page.locator(f'[data-testid="mutu-row"][data-step="{key}"]').get_by_test_id("slow-link").click()
    expect(page.get_by_test_id("slow-case")).to_have_count(len(slow))
    with app.test_request_context():
        shown = [format_duration(d) for d in slow]
    expect(page.get_by_test_id("slow-duration")).to_have_text(shown)       # the slowest first
    first = page.get_by_test_id("slow-case").first.get_by_role("link").first
    title = first.text_content()
    first.click()
    expect(page).not_to_have_url(re.compile("/laporan/"))
    expect(page.locator("main")).to_contain_text(title.split(":")[-1].strip())
    page.go_back()
    page.get_by_test_id("back-to-dashboard").click()
    expect(page.get_by_role("heading", name="Mutu baku layanan")).to_be_visible()


def test_a_filter_value_the_form_cannot_send_is_answered_next_to_its_field(page, demo_server):
    url, app, database = demo_server
    _login(page, url, "viewer")
    answer = page.goto(url + "/laporan/mutu-baku?month=2026-13&trip=PJL-TIDAK-ADA&desa=99.99.99&service=SIM")
    assert answer.status == 200
    expect(page.get_by_test_id("filter-error-month")).to_contain_text("2026-13")
    expect(page.get_by_test_id("filter-error-trip")).to_contain_text("Perjalanan tidak ditemukan")
    expect(page.get_by_test_id("filter-error-desa")).to_contain_text("Desa tidak dikenal")
    expect(page.get_by_test_id("filter-error-service")).to_contain_text("Layanan tidak dikenal")
    check_figures(page, app, database)                            # shown without the filters it could not read
    with page.expect_response(lambda r: "desa=" + LOKSADO in r.url):
        page.locator('select[name="desa"]').select_option(LOKSADO)
    expect(page.get_by_test_id("filter-error-month")).to_have_text("")      # the answer clears the messages
    expect(page.get_by_test_id("filter-error-desa")).to_have_text("")
    check_figures(page, app, database, desa=LOKSADO)
    cases = page.goto(url + "/laporan/mutu-baku/pelayanan/lambat?month=kemarin&page=abc")
    assert cases.status == 200
    expect(page.get_by_test_id("filter-error-month")).to_contain_text("kemarin")
