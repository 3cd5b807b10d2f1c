"""Factories for the receipt, public status and pick-up tests (integration and browser): a trip
on site with its team, a resident's visit, applications with checklist lines and a scan, a
receipt issued through webapp.intake.receipts, and the applications moved along their workflow
with change_status (as the intake, the operator queue and the SIAK import do)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from webapp.auth.roles import Role
from webapp.core.changes import change_status
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.field.models import CALLED, VISIT_WORKFLOW, WAITING, Visit
from webapp.intake import receipts
from webapp.intake.models import (APPLICATION_WORKFLOW, AT_OFFICE, COLLECTED, DRAFT, ISSUED, MISSING, PRESENT,
                                  PROCESSING, READY, RECEIPTED, REJECTED, SPTJM, Application, ApplicationFile,
                                  ChecklistLine)
from webapp.trips.models import ARRIVED, Trip, TripMember

from tests.integration.trip_factories import office_user

LOKSADO = "63.06.10.2009"
_N = {"n": 0}

# The path of an application after its receipt, in workflow order.
OFFICE_PATH = (AT_OFFICE, PROCESSING, ISSUED, READY, COLLECTED)


def _next() -> int:
    _N["n"] += 1
    return _N["n"]


def field_trip(*, members=(), desa_code: str = LOKSADO) -> Trip:
    """A trip on site (status "tiba") with these users on its team, on a bus of its own (other
    browser tests in the same live database book BUS-01 today)."""
    n = _next()
    trip = Trip(number=f"TRP-UJI-{n:05d}-{uuid.uuid4().hex[:4]}", start_date=wita_today(), end_date=wita_today(),
                bus=f"Bus uji R{n}", node_code=f"UJI-R{n:04d}", lead_division="dafduk", status=ARRIVED,
                meeting_point=desa_code)
    db.session.add(trip)
    for position, user in enumerate(members):
        trip.members.append(TripMember(user_id=user.id, task="perekaman", division="dafduk", position=position))
    db.session.flush()
    return trip


def visit_on(trip: Trip, *, name: str = "Aluh Masitah", nik: str | None = "6306104101900001",
             birth_date: date | None = date(1990, 1, 1), desa_code: str = LOKSADO, actor=None) -> Visit:
    """A resident called to the desk (queue number, "dipanggil")."""
    actor = actor or office_user(Role.OPERATOR)
    visit = Visit(trip_id=trip.id, walk_in=True, desa_code=desa_code, name=name, nik=nik, sex="P",
                  birth_date=birth_date, queue_number=_next())
    db.session.add(visit)
    change_status(visit, WAITING, actor=actor, workflow=VISIT_WORKFLOW)
    change_status(visit, CALLED, actor=actor, workflow=VISIT_WORKFLOW)
    db.session.flush()
    return visit


def draft_application(visit: Visit, service: str = "KTP_EL", subtype: str = "baru", *, subject_name: str | None = None,
                      relation: str = "sendiri", actor=None) -> Application:
    """An application in "draf" with three checklist lines (present, SPTJM, missing) and a scan."""
    actor = actor or office_user(Role.OPERATOR)
    application = Application(visit_id=visit.id, trip_id=visit.trip_id, service_code=service, subtype_code=subtype,
                              relation=relation, subject_name=subject_name or visit.name,
                              subject_nik=visit.nik, subject_birth_date=visit.birth_date, status=None)
    application.lines = [
        ChecklistLine(position=1, text="Kartu Keluarga (asli)", state=PRESENT),
        ChecklistLine(position=2, text="Buku nikah / akta perkawinan", state=SPTJM, sptjm_allowed=True),
        ChecklistLine(position=3, text="Surat keterangan pindah", state=MISSING),
    ]
    db.session.add(application)
    change_status(application, DRAFT, actor=actor, workflow=APPLICATION_WORKFLOW)
    db.session.flush()
    application.files.append(ApplicationFile(file_id=uuid.uuid4(), kind="scan", line_id=application.lines[0].id))
    db.session.flush()
    return application


def receipt_for(visit: Visit, applications: list[Application] | None = None, *, collect_at: str = "kantor",
                actor=None):
    """A receipt issued for the applications (one KTP-el by default), moved to "tanda_terima"."""
    actor = actor or office_user(Role.OPERATOR)
    applications = applications or [draft_application(visit, actor=actor)]
    receipt = receipts.issue_receipt(visit, applications, collect_at=collect_at, actor=actor)
    for application in applications:
        change_status(application, RECEIPTED, actor=actor, workflow=APPLICATION_WORKFLOW)
    db.session.flush()
    return receipt


def advance(application: Application, to_status: str, *, actor=None) -> Application:
    """Move a receipted application along the office path up to `to_status` (or reject it
    from "diproses" when `to_status` is "ditolak")."""
    actor = actor or office_user(Role.OPERATOR)
    target = PROCESSING if to_status == REJECTED else to_status
    start = OFFICE_PATH.index(application.status) + 1 if application.status in OFFICE_PATH else 0
    for status in OFFICE_PATH[start:OFFICE_PATH.index(target) + 1]:
        change_status(application, status, actor=actor, workflow=APPLICATION_WORKFLOW)
    if to_status == REJECTED:
        application.reason = "Ditolak SIAK: data ganda"
        change_status(application, REJECTED, actor=actor, workflow=APPLICATION_WORKFLOW)
    if to_status == READY:
        application.document_number = f"6306-KTP-{_next():06d}"
    db.session.flush()
    return application


def ready_receipt(*, name: str = "Aluh Masitah", birth_date: date = date(1990, 1, 1), desa_code: str = LOKSADO,
                  services=(("KTP_EL", "baru"),), collect_at: str = "kantor", ready: int | None = None, actor=None):
    """A receipt whose applications are "siap_diambil" (the first `ready` of them; all by default);
    committed."""
    actor = actor or office_user(Role.OPERATOR)
    trip = field_trip(desa_code=desa_code)
    visit = visit_on(trip, name=name, birth_date=birth_date, desa_code=desa_code, actor=actor)
    applications = [draft_application(visit, code, sub, actor=actor) for code, sub in services]
    receipt = receipt_for(visit, applications, collect_at=collect_at, actor=actor)
    for index, application in enumerate(applications):
        advance(application, READY if ready is None or index < ready else PROCESSING, actor=actor)
    db.session.commit()
    return receipt


def days_from_today(days: int) -> date:
    return wita_today() + timedelta(days=days)
