"""What a new user tripped over in the office flow (issue 12), page by page: list rows that read
on a phone, labelled date filters, one letterhead on every printable page, pre-trip reasons
written out, newborns not flagged for being missing from the register, near spellings in the
resident lookup, the disposition inbox against its 5-minute standard, and audit entries named
by the numbers people use."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.integration.trip_factories import disposed_request, office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.quality import importer, precheck
from webapp.quality.models import Person
from webapp.synthetic import generate_register, write_siak_csv

TD = re.compile(r"<td\b([^>]*)>")


def _row_cells(page: str) -> list[str]:
    """The attributes of every body cell of every striped list table on the page."""
    cells = []
    for table in re.findall(r'<table class="striped[^"]*"[^>]*>(.*?)</table>', page, re.S):
        body = table.split("</thead>", 1)[-1]
        cells += TD.findall(body)
    return cells


# --- 5. lists on a phone: every data cell carries its column name -----------------------------

@pytest.mark.parametrize("role, path", [
    (Role.KABID_DAFDUK, "/permohonan/"), (Role.KABID_DAFDUK, "/perjalanan/?when=semua"),
    (Role.KEPALA_DINAS, "/permohonan/disposisi"), (Role.OPERATOR, "/kualitas/kasus"),
    (Role.ADMIN, "/admin/audit/"), (Role.ADMIN, "/inventaris/stok"), (Role.ADMIN, "/inventaris/stok/mutasi"),
    (Role.ADMIN, "/inventaris/peralatan"), (Role.ADMIN, "/admin/pengguna"),
])
def test_every_list_cell_names_its_column_for_the_phone_layout(client, login_as, role, path):
    _scheduled_trip()                       # rows on the request, trip, inbox and audit pages
    login_as(role)
    page = client.get(path).get_data(as_text=True)
    cells = _row_cells(page)
    assert cells, f"{path}: no list rows"
    unlabelled = [c for c in cells if "data-label=" not in c and "colspan=" not in c and "no-print" not in c
                  and "row-actions" not in c]
    if path == "/permohonan/disposisi":      # the action button's column has no heading
        unlabelled = [c for c in unlabelled if c.strip()]
    assert unlabelled == [], f"{path}: cells without data-label: {unlabelled[:3]}"


def test_date_filters_have_visible_labels(client, login_as):
    login_as(Role.ADMIN)
    requests_page = client.get("/permohonan/").get_data(as_text=True)
    audit_page = client.get("/admin/audit/").get_data(as_text=True)
    for page, names in ((requests_page, ("Tanggal pelayanan dari", "Tanggal pelayanan sampai")),
                        (audit_page, ("Dari tanggal", "Sampai tanggal"))):
        for name in names:
            assert re.search(r'<label class="filter-field"><span>' + name + r'</span>\s*<input type="date"', page), name


# --- 6. one letterhead on every printable page ------------------------------------------------

def _scheduled_trip():
    """A disposed request with a trip for it, and a new letter still in the Kepala Dinas's
    inbox (through the services), committed."""
    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.requests import services as rs
    from webapp.trips import services as trip_services
    from webapp.trips.services import MemberChoice, TripPlan

    req = disposed_request()
    new = office_user(Role.KEPALA_DINAS)
    rs.register_request(rs.LetterData(
        letter_number="140/900/DS-LKS/2026", letter_date=wita_today(), desa_code="63.06.10.2009",
        signatory_name="Anang", signatory_title="Kepala Desa", requested_date=wita_today() + timedelta(days=9),
        location="Balai Desa"), actor=new)
    day = wita_today() + timedelta(days=20)
    trip = trip_services.schedule_trip(TripPlan(start_date=day, end_date=day, request_ids=[req.id],
                                                members=[MemberChoice(office_user(Role.PETUGAS).id, "perekaman")],
                                                accepted_missing=frozenset(EQUIPMENT_KINDS)),
                                       actor=office_user(Role.KABID_DAFDUK))
    db.session.commit()
    return req, trip


def test_every_printable_page_carries_the_shared_letterhead(client, login_as):
    req, trip = _scheduled_trip()
    login_as(Role.KABID_DAFDUK)
    for path in (f"/perjalanan/{trip.id}/surat-tugas", f"/perjalanan/{trip.id}/daftar-persiapan",
                 f"/permohonan/{req.id}/berkas"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('data-testid="letterhead"') == 1, path
        for line in ("PEMERINTAH KABUPATEN HULU SUNGAI SELATAN", "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
                     "Kandangan"):
            assert line in page, (path, line)
        assert "data-print" in page, path


# --- 8. pre-trip reasons as text; newborns are expected to be missing from the register --------

def test_the_reasons_of_a_flag_are_written_out_not_hidden_in_a_tooltip(client, login_as):
    req = disposed_request()                 # the register is empty: listed NIKs are "not found"
    login_as(Role.KABID_DAFDUK)
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert 'data-testid="flag-reasons"' in page and "NIK tidak ditemukan di database" in page
    assert not re.search(r'<span class="badge[^"]*"[^>]*data-flag="[a-z]+"[^>]*title=', page)
    assert "<details class=\"flag-details\"" not in page      # nothing to open first


def _check(**resident):
    defaults = dict(key=1, name="Galuh Rahmah", nik=None, sex="P", birth_date=wita_today() - timedelta(days=20),
                    services=("AKTA_LAHIR",))
    return precheck.check_residents([precheck.ResidentInput(**{**defaults, **resident})])[1]


def test_a_newborn_without_a_nik_applying_for_an_akta_kelahiran_is_not_flagged(app):
    check = _check()
    assert check.level == "ok" and check.reasons == []
    assert check.notes == ["Belum punya NIK: wajar untuk permohonan akta kelahiran"]


def test_a_newborn_with_a_new_nik_the_register_does_not_know_yet_is_not_flagged(app):
    born = wita_today() - timedelta(days=40)
    nik = f"630610{born.day + 40:02d}{born:%m%y}0007"
    check = _check(nik=nik, birth_date=born)
    assert check.level == "ok" and not check.register_issue
    assert "NIK tidak ditemukan di database" not in check.reasons and len(check.notes) == 1


def test_without_the_akta_kelahiran_a_missing_nik_still_needs_a_look(app):
    check = _check(services=("KIA",))
    assert check.level == "warning"
    assert check.reasons == ["Tanpa NIK: data tidak dapat dicocokkan dengan database"]


def test_an_older_child_with_a_nik_missing_from_the_register_is_still_flagged(app):
    check = _check(nik="6306104512150003", birth_date=date(2015, 12, 5))
    assert check.level == "warning" and "NIK tidak ditemukan di database" in check.reasons


def test_the_request_page_shows_the_newborn_note_and_no_warning(client, login_as):
    req = disposed_request(residents=[
        ("Galuh Rahmah", None, "P", wita_today() - timedelta(days=10), [("AKTA_LAHIR", "baru")]),
    ])
    login_as(Role.KABID_DAFDUK)
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert 'data-flag="ok"' in page and 'data-flag="warning"' not in page
    assert "wajar untuk permohonan akta kelahiran" in page


# --- 10. the resident lookup finds near spellings ---------------------------------------------

@pytest.fixture
def register_with_aisyahs(app, tmp_path):
    """A small register with the three spellings of the issue, and one unrelated name."""
    base = generate_register(120, seed=12).records
    extra = [replace(base[i], name=name) for i, name in
             enumerate(("SITI ASIAH", "AISYAH", "SITI AISYAH", "BUDI SANTOSO"))]
    path = tmp_path / "siak.csv"
    write_siak_csv([*base[4:], *extra], path)
    assert importer.import_file(path, scan=False).status == "selesai"


def test_name_search_finds_the_near_spellings_of_siti_aisah(client, login_as, register_with_aisyahs):
    login_as(Role.OPERATOR)
    resp = client.post_form("/kualitas/penduduk", {"query": "siti aisah"}, token_from="/kualitas/penduduk")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    results = page.split("<table", 1)[1]
    for name in ("SITI ASIAH", "AISYAH", "SITI AISYAH"):
        assert f">{name}</a>" in results, name
    assert "BUDI SANTOSO" not in results
    assert 'data-testid="near-match"' in results       # told apart from what was typed


def test_the_exact_spelling_comes_before_the_near_ones(app, register_with_aisyahs):
    from webapp.quality.register import search_register
    search = search_register("siti aisyah")
    names = [p.name for p in search.results]
    assert names[0] == "SITI AISYAH" and search.results[0].id not in search.near
    assert "AISYAH" in names and search.results[names.index("AISYAH")].id in search.near


def test_the_import_stores_a_name_key_for_every_row_and_the_lookup_uses_its_index(app, register_with_aisyahs):
    from webapp.quality import services
    from webapp.quality.name_search import candidates_statement, name_search_key, refresh_name_keys
    rows = db.session.execute(db.select(Person.name, Person.name_key).where(
        Person.snapshot_id == services.current_snapshot_id())).all()
    assert rows and all(key == name_search_key(name) for name, key in rows)
    assert name_search_key("Siti Aisyah") == name_search_key("AISAH") == name_search_key("H. SITI AISAH")
    assert refresh_name_keys() == 0                      # nothing stale after an import
    if db.engine.dialect.name == "sqlite":
        stmt = candidates_statement(name_search_key("siti aisah"), services.current_snapshot_id())
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r) for r in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_person_name_key" in plan, plan            # index lookups, not a register scan


def test_stale_name_keys_are_recomputed_by_the_cli(app, register_with_aisyahs):
    from webapp.quality.name_search import near_spellings
    db.session.execute(db.update(Person).values(name_key=None))       # e.g. the normalisation changed
    db.session.commit()
    assert near_spellings("siti aisah") == []
    result = app.test_cli_runner().invoke(args=["quality", "name-keys"])
    assert result.exit_code == 0 and "rows updated" in result.output, result.output
    db.session.expire_all()
    assert {p.name for p in near_spellings("siti aisah")} >= {"SITI ASIAH", "AISYAH", "SITI AISYAH"}


# --- 11. the inbox against the 5-minute standard; the audit log in people's numbers -----------

def test_the_inbox_shows_how_long_each_letter_waited_and_marks_the_late_ones(client, login_as):
    from webapp.requests import services as rs
    kadis = login_as(Role.KEPALA_DINAS)
    req = rs.register_request(rs.LetterData(
        letter_number="140/901/DS-LKS/2026", letter_date=wita_today(), desa_code="63.06.10.2009",
        signatory_name="Anang", signatory_title="Kepala Desa", requested_date=wita_today() + timedelta(days=9),
        location="Balai Desa"), actor=kadis)
    db.session.commit()
    page = client.get("/permohonan/disposisi").get_data(as_text=True)
    assert req.number in page and 'data-testid="waited"' in page
    assert "Lewat standar" not in page                  # registered just now: within 5 minutes

    waits = rs.inbox_waits([req], now=rs.waiting_since(req) + timedelta(minutes=7))
    assert waits[req.id].late and waits[req.id].waited == timedelta(minutes=7)
    assert not rs.inbox_waits([req], now=rs.waiting_since(req) + timedelta(minutes=4))[req.id].late


def test_a_letter_past_the_standard_says_so_in_words(client, login_as, monkeypatch):
    from webapp.requests import services as rs
    req = disposed_request()
    kadis = login_as(Role.KEPALA_DINAS)
    late = rs.register_request(rs.LetterData(
        letter_number="140/902/DS-LKS/2026", letter_date=wita_today(), desa_code="63.06.10.2009",
        signatory_name="Anang", signatory_title="Kepala Desa", requested_date=wita_today() + timedelta(days=9),
        location="Balai Desa"), actor=kadis)
    db.session.commit()
    real = rs.inbox_waits
    monkeypatch.setattr(rs, "inbox_waits", lambda items, now=None: real(items, now=rs.utcnow() + timedelta(hours=1)))
    page = client.get("/permohonan/disposisi").get_data(as_text=True)
    row = page.split(late.number, 1)[1].split("</tr>", 1)[0]
    assert "Lewat standar 5 menit" in row and "1 jam" in row
    assert req.number not in page                        # disposed: out of the inbox


def test_the_audit_log_names_records_by_their_numbers_and_villages(client, login_as):
    from webapp.core.audit import AuditEntry
    req = disposed_request(desa_code="63.06.10.2009")
    login_as(Role.ADMIN)
    page = client.get("/admin/audit/?entity_type=request").get_data(as_text=True)
    refs = re.findall(r'data-testid="audit-ref">(.*?)</small>', page, re.S)
    assert refs and all(req.number in r and "Loksado" in r for r in refs)
    shown = re.sub(r"<[^>]+>", " ", page.split("<tbody", 1)[1])       # the text, not the links
    entry = AuditEntry.query.filter_by(entity_type="request").first()
    assert entry.entity_id not in shown                               # no raw UUID to read
    disposition_page = client.get("/admin/audit/?entity_type=disposition").get_data(as_text=True)
    assert req.number in disposition_page.split("<tbody", 1)[1]       # a child record: its request


def test_audit_references_are_read_in_one_query_per_kind_of_record(app):
    from webapp.audit import services
    from webapp.core.audit import AuditEntry
    from webapp.wilayah.services import village_label
    for _ in range(3):
        disposed_request()
    village_label("63.06.10.2009")                           # the region names are cached once
    entries = AuditEntry.query.all()
    kinds = {e.entity_type for e in entries if e.entity_type in services._RESOLVERS}
    statements = []
    from sqlalchemy import event
    listener = lambda *args: statements.append(args[2])      # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        refs = services.references(entries)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert refs
    assert len(statements) <= 2 * len(kinds), statements        # a child kind reads itself, then its parents
