"""Factories for the intake tests (integration and browser): a trip on site with its team and
blank stock, visits at the desk, and register records. Built through the trips services (the
real departure and arrival); visits are made directly (the trip-day flow has its own tests)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.integration.trip_factories import disposed_request, office_user, stock
from webapp.auth.roles import Role
from webapp.core.db import utcnow
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.layanan.catalog import EQUIPMENT_KINDS

TRIP_STOCK = {"BLANGKO_KIA": 3, "BLANGKO_KTP": 3, "KERTAS_AKTA": 3, "KERTAS_KK": 3}


def trip_on_site(*, team=(), siak_online: bool = True, trip_stock: dict | None = None, kabid=None, bus="BUS-01"):
    """A trip today that has departed and arrived, carrying `trip_stock`; committed. A second trip
    on the same day needs its own bus (BUSES in the configuration)."""
    from webapp.requirements.services import get_template, seed_templates
    from webapp.trips import services as trips
    from webapp.trips.services import MemberChoice, TripPlan

    if get_template("KIA", "5_17") is None:
        seed_templates()
    trip_stock = dict(TRIP_STOCK if trip_stock is None else trip_stock)
    kabid = kabid or office_user(Role.KABID_DAFDUK)
    for code, quantity in trip_stock.items():
        stock(code, quantity + 5)
    request = disposed_request(requested_date=wita_today(), divisions=("dafduk", "capil"))
    team = list(team) or [office_user(Role.PETUGAS)]
    trip = trips.schedule_trip(TripPlan(
        start_date=wita_today(), end_date=wita_today(), node_code=bus, request_ids=[request.id],
        members=[MemberChoice(u.id, "operator") for u in team], stock={c: q for c, q in trip_stock.items() if q},
        accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    trips.record_departure(trip, actor=kabid)
    trips.record_arrival(trip, actor=kabid)
    if siak_online:
        trips.set_siak_link(trip, True, actor=kabid)
    db.session.commit()
    return trip


_QUEUE = {"n": 0}


def visit_at_desk(trip, *, name="Aluh Masitah", nik="6306104101900001", no_kk=None, sex="P",
                  birth_date=date(1990, 1, 1), status="dipanggil"):
    """A resident called to the desk (queue number, step 5 started); committed."""
    from webapp.field.models import Visit
    _QUEUE["n"] += 1
    visit = Visit(trip_id=trip.id, walk_in=True, desa_code="63.06.10.2009", name=name, nik=nik, no_kk=no_kk,
                  sex=sex, birth_date=birth_date, queue_number=_QUEUE["n"], status=status,
                  arrived_at=utcnow(), called_at=utcnow() if status == "dipanggil" else None)
    db.session.add(visit)
    db.session.commit()
    return visit


def register_family(*, no_kk="6306100101100001", people=None):
    """A current register snapshot holding one family; returns {name: Person}; committed."""
    from webapp.quality import services as quality
    from webapp.quality.models import Person

    snapshot = uuid.uuid4()
    people = people or [
        ("SITI AMINAH", "6306104101900001", "P", date(1990, 1, 1), "KAWIN", "ISTRI"),
        ("AHMAD FAUZI", "6306100101880002", "L", date(1988, 1, 1), "KAWIN", "KEPALA KELUARGA"),
        ("NUR HALIZA", "6306104506190003", "P", wita_today().replace(year=wita_today().year - 6) - timedelta(days=30),
         "BELUM KAWIN", "ANAK"),
    ]
    found = {}
    for row_no, (name, nik, sex, born, marital, role) in enumerate(people, start=1):
        person = Person(snapshot_id=snapshot, row_no=row_no, person_key=quality.person_key(nik, name, born),
                        nik=nik, no_kk=no_kk, name=name, sex=sex, birth_place="KANDANGAN", birth_date=born,
                        marital_status=marital, family_role=role, address="JL. LOKSADO NO. 5", rt="001", rw="002",
                        desa_code="63.06.10.2009")
        db.session.add(person)
        found[name] = person
    state = quality.register_state()
    state.current_snapshot_id = snapshot
    state.persons = len(found)
    db.session.commit()
    return found
