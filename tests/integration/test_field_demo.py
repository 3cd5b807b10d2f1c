"""`flask demo load` holds the field service in every state (issue 8 item 10): a trip on site with
residents in each visit status and applications in every outcome, an earlier finished trip whose
receipts went through the office to every public status and every kind of hand-over, timelines
with believable durations, and loading twice adds nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.admin.demo import DEMO_PASSWORD
from webapp.core.changes import StatusHistory
from webapp.core.timefmt import wita_today
from webapp.demo import run_demo_loaders
from webapp.documents import pickup, queue
from webapp.documents.models import Handover, SiakFileRun
from webapp.documents.public_status import derive_status
from webapp.extensions import db
from webapp.field import services as field
from webapp.field.models import VISIT_LABELS, Visit
from webapp.field.demo import LOKSADO
from webapp.files.models import StoredFile
from webapp.intake.models import (APPLICATION_LABELS, SPTJM, Application, ApplicationFile, ChecklistLine,
                                  DataCorrection, Receipt)
from webapp.inventory.models import StockMovement
from webapp.trips import services as trips
from webapp.trips.models import Trip

COUNTED = (Trip, Visit, Application, ChecklistLine, ApplicationFile, DataCorrection, Receipt, Handover, SiakFileRun,
           StockMovement, StatusHistory, StoredFile)


def _counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


@pytest.fixture
def demo(app):
    run_demo_loaders(lambda line: None)
    return {t.status: t for t in Trip.query.all()}


def test_loading_the_demo_twice_adds_nothing(demo):
    before = _counts()
    run_demo_loaders(lambda line: None)
    assert _counts() == before


def test_the_trip_on_site_has_every_visit_state_and_every_outcome(demo):
    trip = demo["tiba"]
    assert trip.siak_online
    counts = field.trip_counts(trip)
    assert all(counts[status] >= 1 for status in VISIT_LABELS), counts
    visits = Visit.query.filter_by(trip_id=trip.id).all()
    assert any(v.walk_in for v in visits) and any(v.resident_id for v in visits)
    sent_home = next(v for v in visits if v.status == "dipulangkan")
    slip = field.missing_slip(sent_home)
    assert sent_home.sent_home_reason and any(section.items for section in slip.sections)
    done = [v for v in visits if v.status == "selesai"]
    slow = [v for v in done if not field.visit_step5(v).within_standard]   # the others 8–19 minutes
    assert [v.walk_in for v in slow] == [True]          # the late birth with its handwritten SPTJM
    _every_outcome()
    _kia_of_a_six_year_old(trip)
    _late_birth_with_sptjm(trip)


def _every_outcome():
    statuses = {status for (status,) in db.session.execute(select(Application.status).distinct())}
    assert statuses == set(APPLICATION_LABELS)
    on_site = Application.query.filter_by(status="selesai_lapangan").all()
    assert on_site and all(a.document_number and a.printed_at for a in on_site)
    for application in Application.query.filter(Application.status.in_(("ditunda", "ditolak"))):
        assert application.reason
    assert db.session.scalar(select(func.count()).select_from(ChecklistLine).where(ChecklistLine.state == SPTJM)) >= 2
    assert DataCorrection.query.count() >= 1


def _kia_of_a_six_year_old(trip):
    """Finished on site with its photo; the blank (and a spoiled one) debited from the trip."""
    today = wita_today()
    kia = next(a for a in Application.query.filter_by(trip_id=trip.id, service_code="KIA",
                                                      status="selesai_lapangan")
               if 5 <= field.age_on(a.subject_birth_date, today) <= 7)
    photo = next(f for f in kia.files if f.kind == "foto")
    assert db.session.get(StoredFile, photo.file_id).mime_type == "image/png"
    kia_stock = {row.code: row for row in field.stock_lines(trip)}["BLANGKO_KIA"]
    assert kia_stock.used >= 1 and kia_stock.spoiled >= 1


def _late_birth_with_sptjm(trip):
    birth = next(a for a in Application.query.filter_by(service_code="AKTA_LAHIR", trip_id=trip.id))
    assert birth.late and (wita_today() - birth.event_date).days >= 61
    assert birth.receipt_id and any(line.state == SPTJM for line in birth.lines)


def test_the_earlier_trips_receipts_went_through_the_office(demo):
    """Every public status and kind of hand-over, the operator queue, the berita acara."""
    states = {derive_status(r).state for r in Receipt.query.all()}
    assert {"diterima", "diproses", "siap_diambil", "sudah_diambil", "tidak_berlaku", "tindak_lanjut"} <= states
    kinds = {h.receiver_kind: h for h in Handover.query.all()}
    assert set(kinds) == {"sendiri", "keluarga", "aparat_desa"}
    bulk = kinds["aparat_desa"]
    assert bulk.desa_code == LOKSADO and bulk.document_count >= 2 and bulk.receiver_relation
    assert len(pickup.ready_in_desa(LOKSADO)) >= 2          # the kepala desa sees them; a bulk hand-over is possible
    _queue_with_one_over_the_one_hour_rule(demo["selesai"])
    _berita_acara_adds_up(demo["selesai"])


def _queue_with_one_over_the_one_hour_rule(finished):
    items = queue.queue_items(queue.QueueFilters(), None).items
    running = [i for i in items if not i.stopped]
    assert {i.application.status for i in items} == {"di_kantor", "diproses", "terbit"}
    assert sum(i.over for i in running) == 1 and any(not i.over for i in running)
    issued = Application.query.filter(Application.trip_id == finished.id,
                                      Application.files_received_at.isnot(None),
                                      Application.document_recorded_at.isnot(None)).all()
    over = [a for a in issued if a.document_recorded_at - a.files_received_at > timedelta(hours=1)]
    assert len(issued) > 1 and len(over) == 1           # Kaspul's file waited in the tray
    assert {run.direction for run in SiakFileRun.query.all()} == {"ekspor", "impor"}


def _berita_acara_adds_up(trip):
    report = field.berita_acara(trip)
    assert report.residents_served >= 15 and report.applications_total == Application.query.filter_by(
        trip_id=trip.id).count()
    assert all(report.outcome_totals[o] for o in ("selesai_lapangan", "tanda_terima", "ditunda", "ditolak"))
    assert {n.visit.status for n in report.not_served} == {"terdaftar", "dipulangkan", "tidak_hadir"}
    for line in report.stock:
        assert line.issued == line.used + line.spoiled + line.returned and line.outstanding == 0
    timeline = trips.trip_timeline(trip)
    assert timeline.step4.within_standard and timeline.step4.duration > timedelta(hours=1)


def _login(client, username):
    resp = client.post_form("/masuk", {"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 302


def test_the_demo_pages_answer_for_the_team_the_desk_and_the_village(demo, client):
    on_site, finished = demo["tiba"], demo["selesai"]
    _login(client, on_site.members[0].user.username)
    assert client.get(f"/lapangan/{on_site.id}").status_code == 200
    visit = Visit.query.filter_by(trip_id=on_site.id, status="dipulangkan").first()
    assert client.get(f"/lapangan/kunjungan/{visit.id}/kekurangan").status_code == 200
    photo = ApplicationFile.query.filter_by(kind="foto").join(Application).filter(
        Application.trip_id == on_site.id).first()
    assert client.get(f"/berkas/{photo.file_id}").status_code == 200
    client.post_form("/keluar", token_from="/")
    _login(client, "operator")
    assert client.get(f"/lapangan/{finished.id}/berita-acara").status_code == 200
    assert client.get("/dokumen/antrean").status_code == 200
    bulk = Handover.query.filter_by(receiver_kind="aparat_desa").one()
    assert client.get(f"/dokumen/pengambilan/serah-terima/{bulk.id}").status_code == 200
    client.post_form("/keluar", token_from="/")
    _login(client, "kades.loksado")
    page = client.get(f"/dokumen/pengambilan/desa/{LOKSADO}")
    ready = pickup.ready_in_desa(LOKSADO)
    assert page.status_code == 200 and ready[0].subject_name in page.get_data(as_text=True)
