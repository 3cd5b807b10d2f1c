"""Factories for the trip tests (integration and browser): a disposed village request with its
resident list, equipment items and stock in the warehouse. Imported by the test_trips_* modules;
built through the other domains' own services so the tests exercise the real modules."""
from __future__ import annotations

from datetime import date, timedelta

from webapp.auth import services as auth_services
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today
from webapp.extensions import db

PASSWORD = "rahasia-uji-123"
_N = {"n": 0}


def _next() -> int:
    _N["n"] += 1
    return _N["n"]


def office_user(role: Role, full_name: str | None = None, **kwargs):
    n = _next()
    return auth_services.create_user(username=f"trip.{role.value.replace('_', '')}.{n}.{id(_N)}",
                                     full_name=full_name or f"Uji {role.value} {n}", role=role.value,
                                     password=PASSWORD, must_change_password=False, **kwargs)


def disposed_request(*, desa_code: str = "63.06.10.2009", divisions=("dafduk",), requested_date: date | None = None,
                     residents=None, kadis=None):
    """A letter registered, its residents listed and disposed by the Kepala Dinas; committed."""
    from webapp.requests import services as rs
    from webapp.requests.models import RequestedService, RequestResident

    kadis = kadis or office_user(Role.KEPALA_DINAS)
    requested_date = requested_date or wita_today() + timedelta(days=10)
    n = _next()
    req = rs.register_request(rs.LetterData(
        letter_number=f"140/{n:03d}/DS-LKS/2026", letter_date=wita_today() - timedelta(days=3), desa_code=desa_code,
        signatory_name="Anang Sarkani", signatory_title="Kepala Desa", requested_date=requested_date,
        location="Balai Desa"), actor=kadis)
    residents = residents if residents is not None else [
        ("Aluh Masitah", "6306104101900001", "P", date(1990, 1, 1), [("KTP_EL", "baru"), ("KK", "perubahan")]),
        ("Utuh Basrun", "6306100505050002", "L", date(2005, 5, 5), [("PEREKAMAN", "perekaman")]),
        ("Galuh Rahmah", "6306104512150003", "P", date(2015, 12, 5), [("AKTA_LAHIR", "baru"), ("KIA", "5_17")]),
    ]
    for position, (name, nik, sex, birth, services) in enumerate(residents):
        resident = RequestResident(request=req, position=position, name=name, nik=nik, sex=sex, birth_date=birth)
        for code, sub in services:
            resident.services.append(RequestedService(service_code=code, subtype_code=sub))
        db.session.add(resident)
    rs.dispose_request(req, divisions=list(divisions), instruction="Segera jadwalkan.", due_date=None,
                       actor=kadis)
    db.session.commit()
    return req


def equipment(kind: str = "laptop", *, name: str | None = None, in_service: bool = True, number: str | None = None):
    from webapp.inventory import services as inv
    n = _next()
    return inv.create_equipment(inventory_number=number or f"INV-{kind.upper()}-{n:04d}", kind=kind,
                                name=name or f"{kind.title()} uji {n}",
                                condition="baik" if in_service else "rusak_berat", in_service=in_service)


def stock(code: str, quantity: int, actor=None):
    """Receive blank stock into the warehouse through the inventory ledger."""
    from webapp.inventory import services as inv
    actor = actor or office_user(Role.ADMIN)
    inv.receive(code, quantity, actor=actor, reason="Penerimaan uji")
    db.session.commit()


def departed_trip(*, members, requests=None, stock_qty=None, kabid=None, arrived: bool = False):
    """A trip of today, scheduled through the trips service for these requests (one disposed
    request with the default three residents if none) and team [(user, task), …], with blank
    stock taken from the warehouse (received first), and departed (and on site if `arrived`);
    committed. Each trip gets a bus of its own, so trips of several tests never double-book."""
    from flask import current_app

    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.trips import services as trips
    from webapp.trips.services import MemberChoice, TripPlan

    requests = requests if requests is not None else [disposed_request()]
    kabid = kabid or office_user(Role.KABID_DAFDUK if requests[0].lead_division == "dafduk" else Role.KABID_CAPIL)
    for code, qty in (stock_qty or {}).items():
        stock(code, qty)
    bus = f"UJI-{_next():04d}"
    current_app.config["BUSES"] = f"{current_app.config.get('BUSES') or 'BUS-01=Bus Ketupat Pecel 01'};{bus}=Bus uji {bus}"
    trip = trips.schedule_trip(TripPlan(start_date=wita_today(), end_date=wita_today(), node_code=bus,
                                        request_ids=[r.id for r in requests],
                                        members=[MemberChoice(u.id, task) for u, task in members],
                                        stock=dict(stock_qty or {}), accepted_missing=frozenset(EQUIPMENT_KINDS)),
                               actor=kabid)
    trips.record_departure(trip, actor=kabid)
    if arrived:
        trips.record_arrival(trip, actor=kabid)
    db.session.commit()
    return trip
