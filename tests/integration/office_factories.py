"""Factories for the office side (operator queue, SIAK files): a trip, a visit and its
applications with a receipt, as the bus leaves them (status "tanda_terima"). Built straight
on the models and webapp.intake.receipts.issue_receipt, not through the intake pages."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from webapp.auth.roles import Role
from webapp.core.changes import change_status
from webapp.core.db import utcnow
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.field.models import DONE, Visit
from webapp.intake.models import (APPLICATION_WORKFLOW, DRAFT, RECEIPTED, Application, DataCorrection)
from webapp.intake.receipts import issue_receipt
from webapp.trips.models import Trip

_N = count(1)


def field_officer():
    from tests.integration.trip_factories import office_user
    return office_user(Role.PETUGAS)


def make_trip(*, status: str = "selesai", lead_division: str = "dafduk", start: date | None = None) -> Trip:
    n = next(_N)
    start = start or wita_today() - timedelta(days=1)
    trip = Trip(number=f"TRP-UJI-{n:05d}-{id(_N) % 1000:03d}", start_date=start, end_date=start, bus="Bus Ketupat 1",
                node_code=f"UJI-O{n:04d}", lead_division=lead_division, status=status)
    db.session.add(trip)
    db.session.flush()
    return trip


def receipted(trip: Trip, *, officer=None, services=(("KIA", "5_17"),), name: str = "Galuh Rahmah",
              nik: str | None = "6306104512150003", no_kk: str | None = "6306100101100001",
              birth_date: date | None = date(2015, 12, 5), desa_code: str = "63.06.10.2009",
              corrections=(), commit: bool = True):
    """One visit with one application per (service, subtype), all on one receipt, "tanda_terima"."""
    officer = officer or field_officer()
    visit = Visit(trip_id=trip.id, name=name, nik=nik, no_kk=no_kk, sex="P", birth_date=birth_date,
                  desa_code=desa_code, status=DONE)
    db.session.add(visit)
    db.session.flush()
    applications = []
    for code, sub in services:
        application = Application(visit_id=visit.id, trip_id=trip.id, service_code=code, subtype_code=sub,
                                  subject_name=name, subject_nik=nik, subject_no_kk=no_kk, subject_sex="P",
                                  subject_birth_date=birth_date, subject_birth_place="Kandangan",
                                  subject_address="Jl. Loksado RT 01", created_by_id=officer.id)
        db.session.add(application)
        change_status(application, DRAFT, actor=officer, workflow=APPLICATION_WORKFLOW)
        applications.append(application)
    db.session.flush()
    receipt = issue_receipt(visit, applications, collect_at="kantor", actor=officer)
    for application in applications:
        application.closed_at = utcnow()
        change_status(application, RECEIPTED, actor=officer, workflow=APPLICATION_WORKFLOW)
    for field, old, new in corrections:
        db.session.add(DataCorrection(application_id=applications[0].id, field=field, register_value=old,
                                      new_value=new, actor_id=officer.id))
    db.session.flush()
    if commit:
        db.session.commit()
    return visit, applications, receipt
