"""The periodic reports (/laporan) from records built through the real services — a trip scheduled,
departed and arrived, residents called and served, applications finished on site or issued at the
office, receipts issued and cancelled, blank stock moved through the ledger, quality cases opened,
submitted and resolved — with the status history's times set where a month matters. Each figure
below is worked out by hand from what the fixture builds."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from openpyxl import load_workbook

from tests.integration.receipt_factories import advance, draft_application, receipt_for, visit_on
from tests.integration.trip_factories import departed_trip, disposed_request, office_user, stock
from tests.integration.office_factories import make_trip
from webapp.auth.roles import Role
from webapp.core.changes import StatusHistory, change_status
from webapp.core.timefmt import WITA, wita_today
from webapp.extensions import db
from webapp.field.models import CALLED, DONE, SENT_HOME, VISIT_WORKFLOW
from webapp.intake import receipts as receipt_services
from webapp.intake.models import (APPLICATION_WORKFLOW, AT_OFFICE, FINISHED_ON_SITE, ISSUED, POSTPONED, PROCESSING,
                                  READY, REJECTED)
from webapp.inventory import services as inventory
from webapp.inventory.models import StockMovement
from webapp.quality import services as quality
from webapp.reports import periodic
from webapp.reports.periodic import parse_filters

UTC = timezone.utc
LOKSADO, HARATAI = "63.06.10.2009", "63.06.10.2010"      # both in Kecamatan Loksado
HAMALAU = "63.06.01.2001"                                  # Kecamatan Sungai Raya


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _days_ago(days: int) -> datetime:
    """Noon WITA, `days` days before today."""
    return datetime.combine(wita_today() - timedelta(days=days), time(12, 0), tzinfo=WITA).astimezone(UTC)


def _served(visit, at, actor):
    change_status(visit, DONE, actor=actor, workflow=VISIT_WORKFLOW, at=at)


def _issued_at_office(application, at, actor):
    for status in (AT_OFFICE, PROCESSING):
        change_status(application, status, actor=actor, workflow=APPLICATION_WORKFLOW, at=at - timedelta(hours=1))
    change_status(application, ISSUED, actor=actor, workflow=APPLICATION_WORKFLOW, at=at)


@pytest.fixture
def records(app):
    operator = office_user(Role.OPERATOR)
    petugas = office_user(Role.PETUGAS)
    trip = departed_trip(members=[(petugas, "perekaman")], requests=[disposed_request(desa_code=LOKSADO)],
                         arrived=True, stock_qty={"BLANGKO_KTP": 10, "BLANGKO_KIA": 5})
    cancelled = make_trip(status="dibatalkan", start=date(2026, 10, 5))
    found = {"trip": trip, "cancelled": cancelled}

    # v1 Loksado, served 10 Nov; KTP-el issued at the office 12 Nov, KK still with the office.
    v1 = visit_on(trip, name="Aluh Masitah", desa_code=LOKSADO, actor=operator)
    ktp, kk = draft_application(v1, "KTP_EL", "baru", actor=operator), draft_application(v1, "KK", "perubahan",
                                                                                         actor=operator)
    found["r1"] = receipt_for(v1, [ktp, kk], actor=operator)
    _served(v1, _utc(2026, 11, 10, 2, 0), operator)
    _issued_at_office(ktp, _utc(2026, 11, 12, 3, 0), operator)
    # v2 Loksado, served 31 Oct 16:30 UTC = 1 Nov 00:30 WITA (November); KIA finished on site then.
    v2 = visit_on(trip, name="Galuh Rahmah", desa_code=LOKSADO, actor=operator)
    kia = draft_application(v2, "KIA", "5_17", actor=operator)
    change_status(kia, FINISHED_ON_SITE, actor=operator, workflow=APPLICATION_WORKFLOW, at=_utc(2026, 10, 31, 16, 20))
    _served(v2, _utc(2026, 10, 31, 16, 30), operator)
    # v3 Haratai, served 20 Oct; its akta issued 3 Nov.
    v3 = visit_on(trip, name="Utuh Basrun", desa_code=HARATAI, actor=operator)
    akta = draft_application(v3, "AKTA_LAHIR", "baru", actor=operator)
    found["r3"] = receipt_for(v3, [akta], actor=operator)
    _served(v3, _utc(2026, 10, 20, 3, 0), operator)
    _issued_at_office(akta, _utc(2026, 11, 3, 3, 0), operator)
    # v4 Hamalau (another kecamatan), served 30 Nov 23:50 WITA written on a bus whose clock was
    # 10 minutes behind: 1 Dec 00:00 on the office's clock (December); KTP-el issued 1 Dec.
    v4 = visit_on(trip, name="Saberi", desa_code=HAMALAU, actor=operator)
    ktp4 = draft_application(v4, "KTP_EL", "baru", actor=operator)
    found["r4"] = receipt_for(v4, [ktp4], actor=operator)
    _served(v4, _utc(2026, 11, 30, 15, 50), operator)
    _issued_at_office(ktp4, _utc(2026, 12, 1, 3, 0), operator)
    db.session.flush()
    row = StatusHistory.query.filter_by(entity_id=v4.id, to_status=DONE).one()
    row.clock_offset_s = 600.0
    # v5 Loksado, sent home: not served; its KTP-el postponed.
    v5 = visit_on(trip, name="Mahmud", desa_code=LOKSADO, actor=operator)
    change_status(draft_application(v5, "KTP_EL", "baru", actor=operator), POSTPONED, actor=operator,
                  workflow=APPLICATION_WORKFLOW)
    change_status(v5, SENT_HOME, actor=operator, workflow=VISIT_WORKFLOW)
    # v6 Loksado, served 15 Nov (KK finished on site), called again and served again 5 Dec: once, in November.
    v6 = visit_on(trip, name="Rabiatul Adawiyah", desa_code=LOKSADO, actor=operator)
    change_status(draft_application(v6, "KK", "perubahan", actor=operator), FINISHED_ON_SITE, actor=operator,
                  workflow=APPLICATION_WORKFLOW, at=_utc(2026, 11, 15, 4, 0))
    _served(v6, _utc(2026, 11, 15, 4, 5), operator)
    change_status(v6, CALLED, actor=operator, workflow=VISIT_WORKFLOW, at=_utc(2026, 12, 5, 1, 0))
    _served(v6, _utc(2026, 12, 5, 1, 10), operator)
    # Receipts not served yet: v7's cancelled, v8's 45 days old with its KTP-el ready, v9's closed
    # (its only application rejected by SIAK).
    v7 = visit_on(trip, name="Kaspul Anwar", desa_code=LOKSADO, actor=operator)
    r7 = receipt_for(v7, actor=operator)
    receipt_services.cancel_receipt(r7, "Salah nama pemegang", actor=operator)
    v8 = visit_on(trip, name="=HYPERLINK(\"http://x\")", desa_code=HARATAI, actor=operator)
    found["r8"] = receipt_for(v8, actor=operator)
    advance(found["r8"].applications[0], READY, actor=operator)              # issued on the way: 20 Nov
    db.session.flush()
    StatusHistory.query.filter_by(entity_id=found["r8"].applications[0].id, to_status=ISSUED).one().at = \
        _utc(2026, 11, 20, 2, 0)
    v9 = visit_on(trip, name="Fadli Ramadhan", desa_code=LOKSADO, actor=operator)
    r9 = receipt_for(v9, actor=operator)
    advance(r9.applications[0], REJECTED, actor=operator)
    assert receipt_services.close_receipt_if_done(r9, actor=operator)
    found["r1"].issued_at, found["r3"].issued_at = _days_ago(3), _days_ago(20)
    found["r4"].issued_at, found["r8"].issued_at = _days_ago(10), _days_ago(45)

    # Blank stock: the trip took 10 KTP-el and 5 KIA blanks (received for it first).
    kabid = office_user(Role.KABID_DAFDUK)
    inventory.record_use("BLANGKO_KTP", 2, trip_id=trip.id, actor=kabid, reason="Cetak di lokasi")
    inventory.record_spoiled("BLANGKO_KTP", 1, trip_id=trip.id, actor=kabid, reason="Gagal cetak")
    inventory.return_from_trip("BLANGKO_KIA", 2, trip_id=trip.id, actor=kabid, reason="Sisa perjalanan")
    inventory.record_use("BLANGKO_KIA", 1, trip_id=None, actor=kabid, reason="Cetak di kantor")
    stock("KERTAS_AKTA", 50)
    inventory.adjust("KERTAS_AKTA", -3, actor=kabid, reason="Stok opname")
    db.session.flush()
    october = StockMovement.query.filter_by(stock_code="KERTAS_AKTA", kind="receipt").one()
    october.at = _utc(2026, 10, 15, 2, 0)

    # Quality cases: anomalies opened 3 and 40 days ago (the older one submitted to the centre), a
    # duplicate 10 days ago, and an anomaly already resolved.
    def case(kind, days, **kwargs):
        opened = quality.open_case(actor=operator, summary="Tanggal lahir tidak wajar", kind=kind,
                                   subject_name="Aluh Masitah", subject_nik="6306104101900001",
                                   desa_code=LOKSADO, **kwargs)
        db.session.flush()
        opened.created_at = _days_ago(days)
        return opened
    case("anomali", 3)
    quality.submit_case(case("anomali", 40), reference_number="SR-2026-0001", reference_date=wita_today(),
                        actor=operator)
    case("ganda", 10)
    quality.resolve_case(case("anomali", 60), note="Diperbaiki di SIAK", actor=operator)
    db.session.commit()
    return found


def _report(key: str, args: dict | None = None):
    spec = periodic.REPORTS[key]
    filters = parse_filters(args or {}, spec.fields)
    assert not filters.errors
    return periodic.build_report(key, filters)


def _rows(table) -> list[list]:
    return [list(row) for row in table.rows]


# ---------------------------------------------------------------- residents served, documents issued

def test_residents_served_and_documents_issued_per_desa(records):
    (table,) = _report("layanan").tables
    assert _rows(table) == [["Loksado", "Desa Haratai", 1, 2],          # v3; v3's akta and v8's KTP-el
                            ["Loksado", "Desa Loksado", 3, 3],          # v1, v2, v6 (not v5, sent home)
                            ["Sungai Raya", "Desa Hamalau", 1, 1]]
    assert table.total[-2:] == [5, 6]


def test_per_month_in_wita_on_the_offices_clock(records):
    (table,) = _report("layanan", {"by": "month"}).tables
    assert _rows(table) == [[date(2026, 10, 1), 1, 0], [date(2026, 11, 1), 3, 5], [date(2026, 12, 1), 1, 1]]
    (november,) = _report("layanan", {"from": "2026-11", "to": "2026-11"}).tables
    assert _rows(november) == [["Loksado", "Desa Haratai", 0, 2], ["Loksado", "Desa Loksado", 3, 3]]
    assert november.total[-2:] == [3, 5]
    (december,) = _report("layanan", {"from": "2026-12"}).tables
    assert _rows(december) == [["Sungai Raya", "Desa Hamalau", 1, 1]]


def test_per_kecamatan_and_per_service(records):
    (kecamatan,) = _report("layanan", {"by": "kecamatan"}).tables
    assert _rows(kecamatan) == [["Loksado", 4, 5], ["Sungai Raya", 1, 1]]
    (service,) = _report("layanan", {"by": "service"}).tables
    by_label = {row[0]: row[1:] for row in service.rows}
    from webapp.layanan.catalog import SERVICES
    assert by_label == {str(SERVICES["KTP_EL"].label): [2, 3], str(SERVICES["KK"].label): [2, 1],
                        str(SERVICES["KIA"].label): [1, 1], str(SERVICES["AKTA_LAHIR"].label): [1, 1]}
    assert service.total[-2:] == [5, 6]                 # each resident once in the total
    (kk,) = _report("layanan", {"service": "KK"}).tables
    assert _rows(kk) == [["Loksado", "Desa Loksado", 2, 1]] and kk.total[-2:] == [2, 1]


# ---------------------------------------------------------------- trips

def test_trips_per_month_and_each_trip(records):
    months, trips = _report("perjalanan").tables
    this_month = wita_today().replace(day=1)
    status = {c.key: i for i, c in enumerate(months.columns)}
    rows = {row[0]: row for row in months.rows}
    assert set(rows) == {date(2026, 10, 1), this_month}
    october, current = rows[date(2026, 10, 1)], rows[this_month]
    assert october[1:4] == [1, 0, 0] and october[status["status_dibatalkan"]] == 1
    assert current[1:4] == [1, 1, 5] and current[status["status_tiba"]] == 1
    assert months.total[1:4] == [2, 1, 5]
    by_number = {row[0]: row for row in trips.rows}
    mine = by_number[records["trip"].number]
    assert mine[4] == "Desa Loksado" and mine[5:8] == [1, 5, 6] and mine[8] == "Tiba di lokasi"
    assert by_number[records["cancelled"].number][5:9] == [0, 0, 0, "Dibatalkan"]
    (only_october, _trips) = _report("perjalanan", {"from": "2026-10", "to": "2026-10"}).tables
    assert [row[0] for row in only_october.rows] == [date(2026, 10, 1)]


# ---------------------------------------------------------------- receipts outstanding

def test_receipts_outstanding_by_age(records):
    ages, listing = _report("tanda-terima").tables
    assert _rows(ages) == [["≤ 7 hari", 1, 2], ["8–14 hari", 1, 1], ["15–30 hari", 1, 1], ["> 30 hari", 1, 1]]
    assert ages.total == ["Jumlah", 4, 5]
    numbers = [row[0] for row in listing.rows]
    assert numbers == [records[k].number for k in ("r8", "r3", "r4", "r1")]          # the oldest first
    r8 = listing.rows[0]
    assert r8[4:8] == [1, 1, 45, "> 30 hari"] and r8[1] == wita_today() - timedelta(days=45)
    assert "6306104101900001" not in str(listing.rows)


# ---------------------------------------------------------------- blank stock

def test_blank_stock_used_spoiled_and_remaining(records):
    (table,) = _report("blangko").tables
    rows = {row[0]: row[2:] for row in table.rows}
    #                            received issued used spoiled returned adjusted warehouse out
    assert rows["Blangko KTP-el"] == [10, 10, 2, 1, 0, 0, 0, 7]
    assert rows["Blangko KIA"] == [5, 5, 1, 0, 2, 0, 1, 3]
    assert rows["Kertas akta (security paper)"] == [50, 0, 0, 0, 0, -3, 47, 0]
    (october,) = _report("blangko", {"from": "2026-10", "to": "2026-10"}).tables
    rows = {row[0]: row[2:] for row in october.rows}
    assert rows["Kertas akta (security paper)"] == [50, 0, 0, 0, 0, 0, 47, 0]   # remaining: now
    assert rows["Blangko KTP-el"] == [0, 0, 0, 0, 0, 0, 0, 7]


# ---------------------------------------------------------------- quality cases

def test_open_quality_cases_by_kind_and_age(records):
    kinds, listing = _report("kasus-kualitas").tables
    rows = {row[0]: row[1:] for row in kinds.rows}
    #                       ≤7 8–14 15–30 >30  terbuka diputuskan diajukan  open
    assert rows["Data anomali"] == [1, 0, 0, 1, 1, 0, 1, 2]
    assert rows["Data ganda"] == [0, 1, 0, 0, 1, 0, 0, 1]
    assert kinds.total[1:] == [1, 1, 0, 1, 2, 0, 1, 3]
    assert [row[6] for row in listing.rows] == [40, 10, 3]
    assert "6306104101900001" not in str(listing.rows)


# ---------------------------------------------------------------- filters

def test_bad_filter_values_get_a_message_per_field():
    filters = parse_filters({"from": "2026-13", "to": "kemarin", "by": "rt", "service": "SIM"})
    assert set(filters.errors) == {"from", "to", "by", "service"}
    assert "2026-13" in filters.errors["from"] and filters.start is None and filters.by == "desa"
    backwards = parse_filters({"from": "2026-11", "to": "2026-09"})
    assert set(backwards.errors) == {"to"} and backwards.start == date(2026, 11, 1) and backwards.end is None
    assert parse_filters({"from": "1999-12"}).errors


# ---------------------------------------------------------------- pages and downloads

def test_the_index_links_every_report(records, client, login_as):
    login_as(Role.KEPALA_DINAS)
    text = client.get("/laporan/").get_data(as_text=True)
    for key in periodic.REPORTS:
        assert f'href="/laporan/{key}"' in text
    assert 'href="/laporan/mutu-baku"' in text


def test_the_page_and_its_fragment_show_the_figures(records, client, login_as):
    login_as(Role.VIEWER)
    page = client.get("/laporan/layanan?from=2026-11&to=2026-11")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in text and 'data-testid="report-filters"' in text
    assert 'href="/laporan/layanan/unduh.csv?from=2026-11&amp;to=2026-11"' in text and "data-print" in text
    fragment = client.get("/laporan/layanan?by=kecamatan", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'hx-swap-oob="true"' in body
    assert '<td data-label="Kecamatan" data-col="kecamatan">Sungai Raya</td>' in body
    assert "/laporan/layanan/unduh.xlsx?by=kecamatan" in body


def test_bad_query_arguments_are_422_next_to_the_field_never_500(records, client, login_as):
    login_as(Role.KABID_CAPIL)
    for path in ("/laporan/layanan?from=2026-13&service=SIM", "/laporan/layanan/unduh.csv?from=2026-13&service=SIM",
                 "/laporan/layanan/unduh.xlsx?from=2026-13&service=SIM"):
        for headers in (None, {"HX-Request": "true"}):
            answer = client.get(path, headers=headers)
            text = answer.get_data(as_text=True)
            assert answer.status_code == 422, path
            assert 'id="filter-error-from"' in text and "Bulan “2026-13” tidak dikenal" in text
            assert "Layanan tidak dikenal" in text
    answer = client.get("/laporan/blangko?from=2026-11&to=2026-01&by=%00" + "x" * 500)
    assert answer.status_code == 422 and "Bulan akhir lebih awal" in answer.get_data(as_text=True)
    assert client.get("/laporan/tidak-ada").status_code == 404
    assert client.get("/laporan/layanan/unduh.pdf").status_code == 404
    assert client.get("/laporan/tanda-terima?from=2026-13").status_code == 200       # no period filter there


def test_the_csv_download(records, client, login_as):
    login_as(Role.ADMIN)
    answer = client.get("/laporan/layanan/unduh.csv?from=2026-11&to=2026-11")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="laporan-layanan-2026-11.csv"'
    assert answer.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert ["Loksado", "Desa Loksado", "3", "3"] in rows and ["Jumlah", "", "3", "5"] in rows
    receipts = client.get("/laporan/tanda-terima/unduh.csv")
    assert receipts.headers["Content-Disposition"] == \
        f'attachment; filename="laporan-tanda-terima-{wita_today():%Y-%m-%d}.csv"'
    lines = list(csv.reader(io.StringIO(receipts.data.decode("utf-8-sig")), delimiter=";"))
    holder = next(row for row in lines if row and row[0] == records["r8"].number)
    assert holder[2] == "'=HYPERLINK(\"http://x\")"                   # a name that is a formula: neutralised
    assert "6306104101900001" not in receipts.data.decode("utf-8-sig")


def test_the_xlsx_download(records, client, login_as):
    login_as(Role.KABID_DAFDUK)
    answer = client.get("/laporan/tanda-terima/unduh.xlsx")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="laporan-tanda-terima-{wita_today():%Y-%m-%d}.xlsx"'
    book = load_workbook(io.BytesIO(answer.data))
    ages, listing = book.worksheets
    assert [[c.value for c in row] for row in ages.iter_rows(min_row=6, max_row=10)] == [
        ["≤ 7 hari", 1, 2], ["8–14 hari", 1, 1], ["15–30 hari", 1, 1], ["> 30 hari", 1, 1], ["Jumlah", 4, 5]]
    first = [c for c in listing[6]]
    assert first[0].value == records["r8"].number and first[1].value.date() == wita_today() - timedelta(days=45)
    assert first[2].value == "'=HYPERLINK(\"http://x\")" and first[2].data_type == "s" and first[2].quotePrefix
    assert first[6].value == 45


@pytest.mark.parametrize("role", [Role.PETUGAS, Role.OPERATOR, Role.KEPALA_DESA])
def test_field_officers_and_others_outside_the_readers_get_403(records, client, login_as, role):
    login_as(role)
    for path in ("/laporan/", "/laporan/layanan", "/laporan/tanda-terima/unduh.csv", "/laporan/blangko/unduh.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 403, (role, path)
        assert "Akses ditolak" in answer.get_data(as_text=True)
