"""The office side of SOP step 6: files received, the operator queue and its 1-hour rule, taking
an application, the SIAK file exchange (export, result import all-or-nothing, --check, the CLI),
printing against the warehouse, and who may do what."""
from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta

from webapp.core.timefmt import wita_today
import pytest

from tests.integration.office_factories import make_trip, receipted
from tests.integration.trip_factories import office_user, stock
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import history_of
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.documents import queue
from webapp.documents.cli import CommandLineOperator
from webapp.documents.models import SiakFileRun
from webapp.extensions import db
from webapp.intake.models import Application
from webapp.inventory.services import balance

TODAY = wita_today()


def _results_csv(*rows: tuple) -> bytes:
    lines = ["ID_PERMOHONAN;NO_DOKUMEN;TGL_TERBIT;ALASAN_TOLAK"]
    lines += [";".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def operator(app):
    user = office_user(Role.OPERATOR)
    db.session.commit()
    return user


@pytest.fixture
def trip(app):
    trip = make_trip()
    db.session.commit()
    return trip


def _at_office(trip, operator, *, services=(("KIA", "5_17"),), at=None, **kwargs):
    _visit, applications, receipt = receipted(trip, services=services, **kwargs)
    queue.receive_files(applications, operator, at=at)
    db.session.commit()
    return applications, receipt


def _processing(trip, operator, **kwargs):
    applications, receipt = _at_office(trip, operator, **kwargs)
    for application in applications:
        queue.take(application, operator)
    db.session.commit()
    return applications, receipt


# --- files received -----------------------------------------------------------------------------------

def test_receiving_files_moves_receipted_applications_to_the_office_and_starts_the_hour(trip, operator):
    _visit, applications, _receipt = receipted(trip, services=(("KIA", "5_17"), ("KK", "perubahan")))
    moment = utcnow() + timedelta(seconds=1)
    queue.receive_files(applications, operator, at=moment)
    db.session.commit()
    for application in applications:
        assert application.status == "di_kantor"
        assert application.files_received_at == moment
        last = history_of(application)[-1]
        assert (last.from_status, last.to_status, last.at) == ("tanda_terima", "di_kantor", moment)


def test_receiving_refuses_an_application_that_is_not_waiting_for_its_files(trip, operator):
    applications, _ = _at_office(trip, operator)
    with pytest.raises(DomainError):
        queue.receive_files(applications, operator)
    with pytest.raises(DomainError):
        queue.receive_files([], operator)


def test_receive_page_lists_trips_and_receives_some_then_all(client, login, trip, operator):
    _v, first, receipt = receipted(trip, services=(("KIA", "5_17"), ("AKTA_LAHIR", "baru")))
    login(operator)
    page = client.get("/dokumen/terima").get_data(as_text=True)
    assert trip.number in page and receipt.number in page
    assert "6306104512150003" not in page                                  # NIK masked in the list
    resp = client.post_form("/dokumen/terima", {"trip_id": str(trip.id), "action": "selected",
                                                "application_id": str(first[0].id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Application, a.id).status for a in first] == ["di_kantor", "tanda_terima"]
    resp = client.post_form("/dokumen/terima", {"trip_id": str(trip.id), "action": "all"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, first[1].id).status == "di_kantor"
    assert "Tidak ada berkas dari lapangan" in client.get("/dokumen/terima").get_data(as_text=True)


def test_receive_page_with_nothing_checked_answers_422(client, login, trip, operator):
    receipted(trip)
    login(operator)
    resp = client.post_form("/dokumen/terima", {"trip_id": str(trip.id), "action": "selected"})
    assert resp.status_code == 422
    assert "Centang berkas" in resp.get_data(as_text=True)


# --- the queue ------------------------------------------------------------------------------------------

def test_queue_is_oldest_first_with_each_age_against_the_one_hour_rule(client, login, trip, operator):
    now = utcnow()
    late, _ = _at_office(trip, operator, name="Aluh Lama", at=now - timedelta(hours=2))
    recent, _ = _at_office(trip, operator, name="Utuh Baru", at=now - timedelta(minutes=10))
    middle, _ = _at_office(trip, operator, name="Galuh Tengah", at=now - timedelta(minutes=40))
    page = queue.queue_items(queue.QueueFilters(), operator, now=now)
    assert [i.application.id for i in page.items] == [late[0].id, middle[0].id, recent[0].id]
    assert [i.over for i in page.items] == [True, False, False]
    assert page.items[0].age == timedelta(hours=2)
    login(operator)
    html = client.get("/dokumen/antrean").get_data(as_text=True)
    assert html.index("Aluh Lama") < html.index("Galuh Tengah") < html.index("Utuh Baru")
    assert html.count('data-late="true"') == 1 and "Lewat 1 jam" in html
    assert queue.queue_count(operator) == 3
    assert client.get("/dokumen/antrean/jumlah?nav=1").get_data(as_text=True) == "3"


def test_the_clock_stops_when_the_number_is_recorded(trip, operator):
    applications, _ = _processing(trip, operator, at=utcnow() - timedelta(minutes=30))
    application = applications[0]
    queue.record_document_number(application, "6306-KIA-0001", TODAY, actor=operator)
    db.session.commit()
    age, over = queue.one_hour_age(application, now=utcnow() + timedelta(hours=5))
    assert timedelta(minutes=29) < age < timedelta(minutes=31) and not over


def test_queue_filters_by_division_service_and_trip(trip, operator):
    other_trip = make_trip(lead_division="capil")
    kia, _ = _at_office(trip, operator)
    akta, _ = _at_office(other_trip, operator, services=(("AKTA_LAHIR", "baru"),))

    def ids(**filters):
        return [i.application.id for i in queue.queue_items(queue.QueueFilters(**filters), operator).items]

    assert set(ids()) == {kia[0].id, akta[0].id}
    assert ids(division="capil") == [akta[0].id]
    assert ids(service="KIA") == [kia[0].id]
    assert ids(trip=other_trip.number) == [akta[0].id]


def test_take_starts_step_6_and_cannot_happen_twice(trip, operator):
    applications, _ = _at_office(trip, operator)
    application = applications[0]
    queue.take(application, operator)
    db.session.commit()
    assert application.status == "diproses" and application.taken_by_id == operator.id
    assert application.taken_at is not None
    with pytest.raises(DomainError, match="sudah diambil"):
        queue.take(application, office_user(Role.OPERATOR))


def test_take_through_the_queue_page(client, login, trip, operator):
    applications, _ = _at_office(trip, operator)
    login(operator)
    resp = client.post_form(f"/dokumen/antrean/{applications[0].id}/ambil", token_from="/dokumen/antrean")
    assert resp.status_code == 302 and f"/dokumen/antrean/{applications[0].id}" in resp.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Application, applications[0].id).status == "diproses"


def test_kabid_sees_only_their_divisions_services_operator_sees_all(client, login, make_user, trip, operator):
    kia, _ = _at_office(trip, operator)
    akta, _ = _at_office(trip, operator, services=(("AKTA_LAHIR", "baru"),))
    capil = make_user(Role.KABID_CAPIL)
    assert [i.application.id for i in queue.queue_items(queue.QueueFilters(), capil).items] == [akta[0].id]
    assert queue.queue_count(operator) == 2
    login(capil)
    assert client.get(f"/dokumen/antrean/{kia[0].id}").status_code == 404
    assert client.get(f"/dokumen/antrean/{akta[0].id}").status_code == 200
    # a kabid's division filter cannot be widened from the query string
    html = client.get("/dokumen/antrean?division=dafduk").get_data(as_text=True)
    assert str(akta[0].id) in html and str(kia[0].id) not in html


def test_roles_on_the_queue(client, login, make_user, trip, operator):
    applications, _ = _at_office(trip, operator)
    login(make_user(Role.PETUGAS))
    assert client.get("/dokumen/antrean").status_code == 403
    assert client.get("/dokumen/siak").status_code == 403
    client.post_form("/keluar", token_from="/")
    login(make_user(Role.KEPALA_DINAS))
    assert client.get("/dokumen/antrean").status_code == 200
    resp = client.post_form(f"/dokumen/antrean/{applications[0].id}/ambil", token_from="/dokumen/antrean")
    assert resp.status_code == 403
    assert client.get(f"/dokumen/antrean/{applications[0].id}").status_code == 403


def test_the_application_page_shows_the_full_nik_and_audits_the_view(client, login, trip, operator):
    applications, _ = _processing(trip, operator)
    login(operator)
    html = client.get(f"/dokumen/antrean/{applications[0].id}").get_data(as_text=True)
    assert "6306104512150003" in html
    assert AuditEntry.query.filter_by(action="view", entity_type="application",
                                      entity_id=str(applications[0].id)).count() == 1


# --- SIAK export ----------------------------------------------------------------------------------------

def test_export_marks_waiting_applications_processing_and_records_the_run(trip, operator):
    waiting, receipt = _at_office(trip, operator, corrections=[("alamat", "RT 1", "RT 2")])
    taken, _ = _processing(trip, operator, name="Utuh")
    exporter = office_user(Role.OPERATOR)
    outcome = queue.export_ready(actor=exporter)
    db.session.commit()
    assert {a.id for a in outcome.applications} == {waiting[0].id, taken[0].id} and outcome.taken == 1
    assert waiting[0].status == "diproses" and waiting[0].taken_by_id == exporter.id
    assert [f.file_format for f in outcome.files] == ["csv", "json"]
    document = json.loads(outcome.files[1].content)
    row = next(r for r in document["permohonan"] if r["id_permohonan"] == str(waiting[0].id))
    assert row["no_tanda_terima"] == receipt.number and row["nik"] == "6306104512150003"
    assert row["koreksi_data"] == [{"kolom": "alamat", "nilai_register": "RT 1", "nilai_baru": "RT 2"}]
    assert row["kode_layanan"] == "KIA" and row["tgl_lhr"] == "2015-12-05" and row["no_kk"] == "6306100101100001"
    runs = SiakFileRun.query.filter_by(direction="ekspor").all()
    assert len(runs) == 2 and {r.row_count for r in runs} == {2} and {r.outcome for r in runs} == {"dibuat"}
    entries = AuditEntry.query.filter_by(action="export").all()
    assert len(entries) == 2
    assert all("6306104512150003" not in e.summary and "Galuh" not in e.summary for e in entries)


def test_nothing_ready_exports_nothing(app, operator):
    outcome = queue.export_ready(actor=operator)
    assert outcome.files == [] and SiakFileRun.query.count() == 0


def test_export_download_from_the_page(client, login, trip, operator):
    applications, _ = _at_office(trip, operator)
    login(operator)
    resp = client.post_form("/dokumen/siak/ekspor", {"format": "csv"}, token_from="/dokumen/siak")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="siak-ekspor-')
    assert "no-store" in resp.headers["Cache-Control"]
    body = resp.get_data().decode("utf-8-sig")
    assert str(applications[0].id) in body and "6306104512150003" in body
    db.session.expire_all()
    assert db.session.get(Application, applications[0].id).status == "diproses"


# --- SIAK results ---------------------------------------------------------------------------------------

def test_import_applies_numbers_and_rejections(trip, operator):
    (kia,), _ = _processing(trip, operator)
    (akta,), _ = _processing(trip, operator, services=(("AKTA_LAHIR", "baru"),), name="Anak")
    data = _results_csv((kia.id, "6306-KIA-0000123", TODAY.isoformat(), None),
                        (akta.id, None, None, "Data orang tua berbeda dengan register"))
    outcome = queue.import_results(data, filename="hasil.csv", actor=operator)
    db.session.commit()
    assert outcome.ok and (outcome.issued, outcome.rejected) == (1, 1)
    assert kia.status == "terbit" and kia.document_number == "6306-KIA-0000123"
    assert kia.document_issued_on == TODAY and kia.document_recorded_at is not None
    assert akta.status == "ditolak" and akta.reason == "Data orang tua berbeda dengan register"
    run = outcome.run
    assert (run.direction, run.outcome, run.row_count, run.applied_count, run.errors) == \
        ("impor", "diterapkan", 2, 2, [])


def test_import_is_all_or_nothing_each_bad_row_by_line(trip, operator):
    (good,), _ = _processing(trip, operator)
    (waiting,), _ = _at_office(trip, operator, name="Belum diambil")
    unknown = "0190f0f0-0000-7000-8000-000000000001"
    data = _results_csv((good.id, "KIA-1", TODAY.isoformat(), None),          # line 2: fine
                        (unknown, "KIA-2", TODAY.isoformat(), None),          # 3: unknown
                        (good.id, "KIA-1", TODAY.isoformat(), None),          # 4: duplicate
                        (waiting.id, "KIA-3", TODAY.isoformat(), None))       # 5: not diproses
    outcome = queue.import_results(data, filename="hasil.csv", actor=operator)
    db.session.commit()
    lines = {e.line: e.message for e in outcome.errors}
    assert set(lines) == {3, 4, 5}
    assert "tidak dikenal" in lines[3] and "baris ganda" in lines[4] and "bukan \"diproses\"" in lines[5]
    db.session.expire_all()
    assert db.session.get(Application, good.id).status == "diproses"       # nothing applied
    assert db.session.get(Application, good.id).document_number is None
    run = outcome.run
    assert run.outcome == "ditolak" and run.applied_count == 0
    assert [e["line"] for e in run.errors] == [3, 4, 5]


def test_wrong_format_rows_are_reported_by_line(trip, operator):
    (a,), _ = _processing(trip, operator)
    (b,), _ = _processing(trip, operator, name="B")
    (c,), _ = _processing(trip, operator, name="C")
    data = _results_csv((a.id, "KIA-1", "31-02-2026", None),            # 2: no such day
                        (b.id, "KIA-2", TODAY.isoformat(), "ditolak"),  # 3: both
                        (c.id, None, None, None),                        # 4: neither
                        ("bukan-uuid", "X", TODAY.isoformat(), None))   # 5: bad id
    outcome = queue.import_results(data, filename="hasil.csv", actor=operator)
    assert [e.line for e in outcome.errors] == [2, 3, 4, 5]
    assert all(x.status == "diproses" for x in (a, b, c))


def test_missing_column_refuses_the_file_at_the_header(trip, operator):
    (a,), _ = _processing(trip, operator)
    data = f"ID_PERMOHONAN;NO_DOKUMEN\n{a.id};KIA-1\n".encode()
    outcome = queue.import_results(data, filename="hasil.csv", actor=operator)
    assert [e.line for e in outcome.errors] == [1] and "TGL_TERBIT" in outcome.errors[0].message
    assert a.status == "diproses"


def test_check_only_applies_nothing(trip, operator):
    (a,), _ = _processing(trip, operator)
    data = _results_csv((a.id, "KIA-1", TODAY.isoformat(), None))
    outcome = queue.import_results(data, filename="hasil.csv", actor=operator, check_only=True)
    db.session.commit()
    assert outcome.ok and outcome.run.outcome == "dicek" and outcome.applied == 0
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "diproses"


def test_an_export_file_filled_in_comes_back_as_results(trip, operator):
    (a,), _ = _processing(trip, operator)
    exported = queue.export_ready(actor=operator).files
    document = json.loads(exported[1].content)
    document["permohonan"][0].update(no_dokumen="KIA-77", tgl_terbit=TODAY.isoformat())
    outcome = queue.import_results(json.dumps(document).encode(), filename="balik.json", actor=operator)
    assert outcome.ok and a.document_number == "KIA-77"


def test_typing_a_number_by_hand_follows_the_same_rules(client, login, trip, operator):
    (a,), _ = _processing(trip, operator)
    login(operator)
    page = f"/dokumen/antrean/{a.id}"
    future = (TODAY + timedelta(days=3)).isoformat()
    resp = client.post_form(page + "/nomor", {"document_number": "KIA-9", "issued_on": future}, token_from=page)
    assert resp.status_code == 422 and "belum terjadi" in resp.get_data(as_text=True)
    resp = client.post_form(page + "/nomor", {"document_number": "KIA 9 <b>", "issued_on": TODAY.isoformat()},
                            token_from=page)
    assert resp.status_code == 422 and "tidak sah" in resp.get_data(as_text=True)
    resp = client.post_form(page + "/nomor", {"document_number": "6306-KIA-9", "issued_on": TODAY.isoformat()},
                            token_from=page)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, a.id).document_number == "6306-KIA-9"
    assert "6306-KIA-9" in client.get(page).get_data(as_text=True)


def test_rejection_typed_by_hand(client, login, trip, operator):
    (a,), _ = _processing(trip, operator)
    login(operator)
    page = f"/dokumen/antrean/{a.id}"
    assert client.post_form(page + "/tolak", {"reason": ""}, token_from=page).status_code == 422
    assert client.post_form(page + "/tolak", {"reason": "NIK ganda di pusat"}, token_from=page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "ditolak"


def test_upload_refused_keeps_the_run_and_check_applies_nothing(client, login, trip, operator):
    (a,), _ = _processing(trip, operator)
    login(operator)
    bad = _results_csv((a.id, "KIA-1", TODAY.isoformat(), None), ("0190f0f0-0000-7000-8000-00000000000f", "X",
                                                                   TODAY.isoformat(), None))
    import io
    resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(bad), "hasil.csv"), "action": "apply"},
                            token_from="/dokumen/siak", content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-line="3"' in html and "tidak dikenal" in html
    assert SiakFileRun.query.filter_by(outcome="ditolak").count() == 1        # kept despite the 422
    good = _results_csv((a.id, "KIA-1", TODAY.isoformat(), None))
    resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(good), "hasil.csv"), "action": "check"},
                            token_from="/dokumen/siak", content_type="multipart/form-data")
    assert resp.status_code == 200 and "siap diterapkan" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "diproses"
    resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(good), "hasil.csv"), "action": "apply"},
                            token_from="/dokumen/siak", content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "terbit"
    history = client.get("/dokumen/siak/riwayat").get_data(as_text=True)
    assert history.count('data-testid="siak-run"') == 3


def test_upload_of_a_picture_or_an_empty_file_is_refused_next_to_the_field(client, login, operator):
    import io
    login(operator)
    for content, name in ((b"\x89PNG\r\n\x1a\n" + b"0" * 100, "foto.csv"), (b"", "kosong.csv")):
        resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(content), name), "action": "apply"},
                                token_from="/dokumen/siak", content_type="multipart/form-data")
        assert resp.status_code == 422
        assert 'class="field-error"' in resp.get_data(as_text=True)
    assert SiakFileRun.query.count() == 0


# --- the CLI --------------------------------------------------------------------------------------------

def test_cli_export_writes_both_files_privately_and_prints_paths_and_count(app, trip, operator, tmp_path):
    applications, _ = _at_office(trip, operator)
    out = tmp_path / "ekspor"
    result = app.test_cli_runner().invoke(args=["siak", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".csv", ".json"]
    for f in files:
        assert str(f) in result.output
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert "1 permohonan diekspor" in result.output
    assert "6306104512150003" not in result.output
    db.session.expire_all()
    assert db.session.get(Application, applications[0].id).status == "diproses"


def test_cli_import_errors_exit_1_and_check_applies_nothing(app, trip, operator, tmp_path):
    (a,), _ = _processing(trip, operator)
    runner = app.test_cli_runner()
    bad = tmp_path / "hasil.csv"
    bad.write_bytes(_results_csv((a.id, "KIA-1", "2026-13-01", None), (a.id, "KIA-1", TODAY.isoformat(), None)))
    result = runner.invoke(args=["siak", "import", str(bad)])
    assert result.exit_code == 1
    assert "baris 2:" in result.output and "baris 3:" in result.output and "Tidak ada yang diterapkan" in result.output
    good = tmp_path / "hasil.json"
    good.write_text(json.dumps({"hasil": [{"id_permohonan": str(a.id), "no_dokumen": "KIA-5",
                                           "tgl_terbit": TODAY.isoformat()}]}))
    result = runner.invoke(args=["siak", "import", str(good), "--json", "--check"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "diproses"
    result = runner.invoke(args=["siak", "import", str(good), "--json"])
    assert result.exit_code == 0 and "1 dokumen terbit" in result.output
    db.session.expire_all()
    assert db.session.get(Application, a.id).document_number == "KIA-5"
    assert [r.outcome for r in SiakFileRun.query.order_by(SiakFileRun.at)] == ["ditolak", "dicek", "diterapkan"]


def test_cli_import_of_a_file_that_is_no_result_file(app, tmp_path):
    picture = tmp_path / "foto.csv"
    picture.write_bytes(b"%PDF-1.4 ...")
    result = app.test_cli_runner().invoke(args=["siak", "import", str(picture)])
    assert result.exit_code == 1 and "bukan CSV atau JSON" in result.output


# --- printing -------------------------------------------------------------------------------------------

def _issued(trip, operator, **kwargs):
    applications, receipt = _processing(trip, operator, **kwargs)
    for application in applications:
        queue.record_siak_result(application, document_number="DOC-1", issued_on=TODAY, actor=operator)
    db.session.commit()
    return applications


def test_printing_debits_the_warehouse_and_makes_the_document_ready(trip, operator):
    stock("BLANGKO_KIA", 5)
    (a,) = _issued(trip, operator)
    queue.record_printing(a, spoiled=1, actor=operator)
    db.session.commit()
    assert balance("BLANGKO_KIA") == 3
    assert a.status == "siap_diambil" and a.printed_at is not None
    assert (a.stock_code, a.spoiled_count) == ("BLANGKO_KIA", 1)


def test_printing_refuses_beyond_the_balance_and_names_the_field(client, login, trip, operator):
    stock("BLANGKO_KIA", 1)
    (a,) = _issued(trip, operator)
    with pytest.raises(DomainError) as refused:
        queue.record_printing(a, spoiled=1, actor=operator)
    assert refused.value.field == "quantity"
    db.session.rollback()
    login(operator)
    page = f"/dokumen/antrean/{a.id}"
    resp = client.post_form(page + "/cetak", {"stock_code": "BLANGKO_KIA", "spoiled": "3"}, token_from=page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "tidak cukup" in html and 'id="stock_code-error"' in html
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "terbit" and balance("BLANGKO_KIA") == 1
    resp = client.post_form(page + "/cetak", {"stock_code": "BLANGKO_KTP", "spoiled": "0"}, token_from=page)
    assert resp.status_code == 422 and "dicetak pada" in resp.get_data(as_text=True)


def test_printing_several_at_once_is_all_or_nothing(client, login, trip, operator):
    stock("BLANGKO_KIA", 1)
    first = _issued(trip, operator)
    second = _issued(trip, operator, name="Kedua")
    login(operator)
    ids = [str(first[0].id), str(second[0].id)]
    resp = client.post_form("/dokumen/antrean/cetak", {"application_id": ids}, token_from="/dokumen/antrean")
    assert resp.status_code == 422 and "tidak cukup" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert balance("BLANGKO_KIA") == 1
    assert {db.session.get(Application, i).status for i in [first[0].id, second[0].id]} == {"terbit"}
    stock("BLANGKO_KIA", 1)
    resp = client.post_form("/dokumen/antrean/cetak", {"application_id": ids}, token_from="/dokumen/antrean")
    assert resp.status_code == 302
    db.session.expire_all()
    assert balance("BLANGKO_KIA") == 0
    assert {db.session.get(Application, i).status for i in [first[0].id, second[0].id]} == {"siap_diambil"}


def test_printing_needs_an_issued_document(trip, operator):
    (a,), _ = _processing(trip, operator)
    with pytest.raises(DomainError, match="sudah terbit"):
        queue.record_printing(a, actor=operator)


def test_the_command_line_operator_is_recorded_as_system(trip, operator):
    (a,), _ = _at_office(trip, operator)
    queue.export_ready(actor=CommandLineOperator())
    assert history_of(a)[-1].actor_name == "system"


def test_a_result_file_over_the_limits_is_refused_next_to_the_field(app, client, login, operator):
    import io
    login(operator)
    big = b"ID_PERMOHONAN;NO_DOKUMEN;TGL_TERBIT;ALASAN_TOLAK\n" + b"x;y;z;\n" * 400_000     # 2.8 MB
    resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(big), "hasil.csv"), "action": "apply"},
                            token_from="/dokumen/siak", content_type="multipart/form-data")
    assert resp.status_code == 422 and "Ukuran berkas maksimal 2 MB." in resp.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024            # the hard request ceiling, made small for the test
    resp = client.post_form("/dokumen/siak/hasil", {"file": (io.BytesIO(big), "hasil.csv"), "action": "apply"},
                            token_from="/dokumen/siak", content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413 and 'id="file-error"' in body and "Ukuran berkas maksimal 2 MB." in body
    assert SiakFileRun.query.count() == 0


def test_a_service_without_a_blank_is_finished_without_a_debit(trip, operator):
    (a,) = _issued(trip, operator, services=(("PEREKAMAN", "perekaman"),))
    before = balance("BLANGKO_KTP")
    with pytest.raises(DomainError):
        queue.record_printing(a, stock_code="BLANGKO_KTP", actor=operator)
    queue.record_printing(a, actor=operator)
    assert a.status == "siap_diambil" and a.stock_code is None and balance("BLANGKO_KTP") == before
