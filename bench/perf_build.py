"""The performance suite's database: the regency's register and a year of service in it.

    build_database(url, scale=1.0)        # used by bench/perf_suite.py; a test runs it at a tiny scale

At scale 1.0: 239,471 residents (webapp.synthetic) imported and scanned through the real pipeline
(`importer.import_file`, as `flask quality import`), the demo users, requirement templates and
stock; then a year of service written straight into the tables (Core bulk inserts, rows shaped as
the services write them): 2,000 village letters of 30 residents each (the residents taken from
the register, one requested service each) with their disposition, 400 trips of five letters
with their team, 60,000 visits and 60,000 applications — finished on site, on the receipt path
(a receipt per visit; received at the office, taken by the operator, issued, printed, collected),
postponed or rejected — and the status history of every letter, trip, visit, application and
receipt. Older trips' applications are collected; the last weeks' are still in the office's
queue. The history is written behind the ORM, so the SOP steps are then measured as `flask
reports remeasure` does (`remeasure_all`), and the planner's statistics refreshed (ANALYZE).

`content_key()` names a build: the scale, the seed, this file and the migrations. The suite keeps
a built SQLite file under /tmp/perf-suite/ and the PostgreSQL database with a `perf_suite_build`
row holding the key, and reuses them while the key holds.
"""
from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HSS_RESIDENTS = 239_471
LETTERS, PER_LETTER, PER_TRIP = 2_000, 30, 5          # 2,000 letters × 30 = 60,000 applications
SERVICES = (("KTP_EL", "baru"), ("KK", "baru"), ("KIA", "5_17"), ("AKTA_LAHIR", "umum"),
            ("KTP_EL", "rusak"), ("KK", "perubahan"))
BUILD_VERSION = 1


@dataclass(frozen=True)
class Sizes:
    residents: int
    letters: int
    trips: int
    applications: int


def sizes(scale: float) -> Sizes:
    residents = max(1_000, round(HSS_RESIDENTS * scale))
    letters = max(PER_TRIP * 2, round(LETTERS * scale) // PER_TRIP * PER_TRIP)
    return Sizes(residents, letters, letters // PER_TRIP, letters * PER_LETTER)


def content_key(scale: float, seed: int) -> str:
    """Changes when the build would: its parameters, this file, the migrations, the generator."""
    digest = hashlib.sha256(f"{BUILD_VERSION}:{scale}:{seed}".encode())
    sources = [Path(__file__)] + sorted((REPO / "migrations" / "versions").glob("*.py")) + \
        sorted((REPO / "webapp" / "synthetic").glob("*.py"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _drawn(rng: random.Random, standard_min: float, over_share: float) -> timedelta:
    """A duration around an SOP standard: mostly within, `over_share` of them over it."""
    if rng.random() < over_share:
        return timedelta(minutes=standard_min * rng.uniform(1.05, 4.0))
    return timedelta(minutes=standard_min * rng.uniform(0.2, 1.0))


def build_database(app, *, scale: float = 1.0, seed: int = 6306, key: str = "",
                   say=lambda line: None) -> dict:
    """Build everything into the (empty or fresh) database of `app`; returns the row counts."""
    from flask_migrate import upgrade

    from webapp.admin.demo import load_regions_and_users
    from webapp.core.uow import unit_of_work
    from webapp.extensions import db
    from webapp.inventory.demo import load_inventory
    from webapp.quality import importer
    from webapp.requirements.demo import load_requirement_templates
    from webapp.synthetic import generate_register, write_siak_csv

    size = sizes(scale)
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        for loader in (load_regions_and_users, load_requirement_templates, load_inventory):
            with unit_of_work():
                loader()
        folder = Path(app.config["UPLOAD_FOLDER"]).parent
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / f"register-{size.residents}.csv"
        register = generate_register(size.residents, seed=seed)
        write_siak_csv(register.records, csv_path)
        del register
        outcome = importer.import_file(csv_path, scan=True, keep_source=False)
        assert outcome.status == "selesai", outcome
        csv_path.unlink(missing_ok=True)
        say(f"register: {outcome.rows_read:,} residents imported and scanned in "
            f"{time.perf_counter() - started:.0f} s")
        db.session.remove()

        step = time.perf_counter()
        history = _write_service_year(db, size, seed)
        say(f"service year: {size.letters:,} letters, {size.trips:,} trips, {size.applications:,} applications, "
            f"{history:,} status history rows written in {time.perf_counter() - step:.0f} s")

        from webapp.reports.upkeep import remeasure_all
        step = time.perf_counter()
        measured = remeasure_all(db.session.connection())
        db.session.commit()
        say(f"remeasure_all: {sum(measured.values()):,} steps measured in {time.perf_counter() - step:.0f} s")
        db.session.execute(db.text("CREATE TABLE IF NOT EXISTS perf_suite_build (key VARCHAR(40) NOT NULL)"))
        db.session.execute(db.text("DELETE FROM perf_suite_build"))
        db.session.execute(db.text("INSERT INTO perf_suite_build (key) VALUES (:k)"), {"k": key or "-"})
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(db.text("VACUUM ANALYZE"))
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        counts = row_counts(db)
        db.session.remove()
        db.engine.dispose()
    say(f"built in {time.perf_counter() - started:.0f} s: {counts}")
    return counts


def row_counts(db) -> dict:
    tables = ("person", "village_request", "request_resident", "trip", "visit", "application", "receipt",
              "status_history", "sop_step_measure", "quality_case")
    counts = {}
    for table in tables:
        counts[table] = db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar_one()
    return counts


def _write_service_year(db, size: Sizes, seed: int) -> int:
    from sqlalchemy import select

    from webapp.auth.models import User
    from webapp.core.changes import StatusHistory
    from webapp.core.timefmt import wita_today
    from webapp.field.models import Visit
    from webapp.intake.models import Application, Receipt
    from webapp.quality import services as quality
    from webapp.quality.models import Person
    from webapp.requests.models import Disposition, RequestedService, RequestResident, VillageRequest
    from webapp.trips.models import Trip, TripMember, TripRequest

    rng = random.Random(seed)
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    petugas, operator, kadis = users["petugas"], users["operator"], users["kadis"]
    kabid = users["kabid.dafduk"]
    snapshot = quality.current_snapshot_id()
    people = db.session.execute(select(Person.person_key, Person.nik, Person.no_kk, Person.name, Person.sex,
                                       Person.birth_date, Person.birth_place, Person.desa_code)
                                .where(Person.snapshot_id == snapshot, Person.nik.isnot(None),
                                       Person.birth_date.isnot(None))).all()
    by_desa: dict[str, list] = defaultdict(list)
    for person in people:
        by_desa[person.desa_code].append(person)
    villages = sorted(d for d, found in by_desa.items() if len(found) >= PER_LETTER)
    today = wita_today()
    end = datetime(today.year, today.month, today.day, tzinfo=timezone.utc) - timedelta(days=2)
    start = end - timedelta(days=365)

    def actor(user) -> dict:
        return {"actor_id": user.id, "actor_name": user.username}

    history: list[dict] = []

    def moved(entity_type: str, entity_id, steps, who, node: str = "OFFICE", offset=None) -> None:
        for before, after, at in steps:
            history.append({"id": uuid.uuid4(), "entity_type": entity_type, "entity_id": entity_id,
                            "from_status": before, "to_status": after, "at": at, "node": node,
                            "clock_offset_s": offset, "note": None, **actor(who)})

    letters, dispositions, residents, services, letter_times = [], [], [], [], []
    for n in range(size.letters):
        rid = uuid.uuid4()
        desa = villages[n % len(villages)]
        at = start + timedelta(days=rng.uniform(0, 330))
        chosen = rng.sample(by_desa[desa], PER_LETTER)
        letters.append({"id": rid, "number": f"PMH-BENCH-{n + 1:06d}", "letter_number": f"140/{n + 1}/PERF/2026",
                        "letter_date": at.date() - timedelta(days=2), "desa_code": desa,
                        "signatory_name": "Kepala Desa", "signatory_title": "Kepala Desa",
                        "requested_date": at.date() + timedelta(days=14), "location": "Balai Desa", "notes": "",
                        "status": "berangkat", "lead_division": "dafduk", "disposed_to": "dafduk",
                        "submitted_by_id": operator.id, "submitted_via": "kantor", "created_at": at,
                        "updated_at": at})
        disposed = at + _drawn(rng, 5, 0.3)
        dispositions.append({"id": uuid.uuid4(), "request_id": rid, "divisions": "dafduk",
                             "instruction": "Segera dijadwalkan", "due_date": None, "actor_id": kadis.id,
                             "actor_name": kadis.username, "at": disposed})
        members = []
        for position, person in enumerate(chosen):
            resident = uuid.uuid4()
            service = SERVICES[(n + position) % len(SERVICES)]
            residents.append({"id": resident, "request_id": rid, "position": position, "name": person.name.title(),
                              "nik": person.nik, "no_kk": person.no_kk, "sex": person.sex,
                              "birth_date": person.birth_date, "phone": None, "note": "", "created_at": at,
                              "updated_at": at})
            services.append({"id": uuid.uuid4(), "resident_id": resident, "service_code": service[0],
                             "subtype_code": service[1]})
            members.append((resident, person, service))
        scheduled = disposed + _drawn(rng, 10, 0.2)
        moved("request", rid, [(None, "baru", at)], operator)
        moved("request", rid, [("baru", "didisposisi", disposed)], kadis)
        moved("request", rid, [("didisposisi", "dijadwalkan", scheduled)], kabid)
        letter_times.append((rid, desa, scheduled, members))
    letter_times.sort(key=lambda item: item[2])

    trips, links, team, visits, applications, receipts = [], [], [], [], [], []
    recent = end - timedelta(days=21)
    receipt_no = 0
    for t in range(size.trips):
        tid = uuid.uuid4()
        group = letter_times[t * PER_TRIP:(t + 1) * PER_TRIP]
        scheduled = group[-1][2]
        departed = min(scheduled + timedelta(days=7, hours=rng.uniform(-1, 1)), end - timedelta(days=1))
        offset = rng.choice([None] * 9 + [round(rng.uniform(-7200, 7200), 1)])
        shift = timedelta(seconds=-(offset or 0))           # the bus's clock
        arrived = departed + _drawn(rng, 120, 0.15)
        trip_row = {"id": tid, "number": f"PJL-BENCH-{t + 1:05d}", "start_date": departed.date(),
                    "end_date": departed.date(), "bus": "Bus Ketupat Pecel 1", "node_code": "BUS-01",
                    "lead_division": "dafduk", "status": "selesai", "created_by_id": kabid.id,
                    "departed_at": departed, "arrived_at": arrived, "siak_online": True, "created_at": scheduled,
                    "updated_at": scheduled}
        trips.append(trip_row)
        for position, user, task in ((0, petugas, "koordinator"), (1, operator, "operator")):
            team.append({"id": uuid.uuid4(), "trip_id": tid, "user_id": user.id, "task": task, "division": "dafduk",
                         "added_by_id": kabid.id, "position": position})
        for position, (rid, _desa, _at, _members) in enumerate(group):
            links.append({"id": uuid.uuid4(), "trip_id": tid, "request_id": rid, "position": position})
            moved("request", rid, [("dijadwalkan", "berangkat", departed)], petugas)
        moved("trip", tid, [(None, "dijadwalkan", scheduled)], kabid)
        moved("trip", tid, [("dijadwalkan", "berangkat", departed)], petugas)
        moved("trip", tid, [("berangkat", "tiba", arrived + shift)], petugas, "BUS-01", offset)
        clock, queue = arrived, 0
        for rid, desa, _at, members in group:
            for resident, person, (service, subtype) in members:
                queue += 1
                vid, aid = uuid.uuid4(), uuid.uuid4()
                came = clock + timedelta(minutes=rng.uniform(0, 3))
                called = came + timedelta(minutes=rng.uniform(1, 30))
                done = called + _drawn(rng, 20, 0.1)
                clock = called
                visits.append({"id": vid, "trip_id": tid, "request_id": rid, "resident_id": resident,
                               "walk_in": False, "desa_code": desa, "name": person.name.title(), "nik": person.nik,
                               "no_kk": person.no_kk, "sex": person.sex, "birth_date": person.birth_date,
                               "person_key": person.person_key, "queue_number": queue, "status": "selesai",
                               "flag_level": "ok", "flag_reasons": [], "arrived_at": came + shift,
                               "called_at": called + shift, "closed_at": done + shift, "called_by_id": petugas.id,
                               "node": "BUS-01", "created_at": came + shift, "updated_at": done + shift})
                moved("visit", vid, [(None, "terdaftar", arrived - timedelta(minutes=30) + shift),
                                     ("terdaftar", "menunggu", came + shift), ("menunggu", "dipanggil", called + shift),
                                     ("dipanggil", "selesai", done + shift)], petugas, "BUS-01", offset)
                app = {"id": aid, "visit_id": vid, "trip_id": tid, "service_code": service, "subtype_code": subtype,
                       "status": "draf", "relation": "sendiri", "subject_name": person.name, "subject_nik": person.nik,
                       "subject_no_kk": person.no_kk, "subject_sex": person.sex,
                       "subject_birth_date": person.birth_date, "subject_birth_place": person.birth_place,
                       "subject_address": None, "subject_married": None, "person_key": person.person_key,
                       "late": False, "spoiled_count": 0, "created_by_id": petugas.id, "node": "BUS-01",
                       "requirements_complete_at": done - timedelta(minutes=2) + shift, "closed_at": done + shift,
                       "created_at": called + shift, "updated_at": done + shift}
                moved("application", aid, [(None, "draf", called + shift)], petugas, "BUS-01", offset)
                roll = rng.random()
                number = f"6306-{service}-{departed:%Y%m%d}-{len(applications) + 1:06d}"
                if roll < 0.30:                                       # (a) finished on site
                    app.update(status="selesai_lapangan", document_number=number, document_issued_on=done.date(),
                               document_recorded_at=done + shift, printed_at=done + shift,
                               stock_code="BLANGKO_KIA" if service == "KIA" else None)
                    moved("application", aid, [("draf", "selesai_lapangan", done + shift)], petugas, "BUS-01",
                          offset)
                elif roll < 0.33 or roll > 0.98:                      # (c) postponed / rejected
                    status = "ditunda" if roll < 0.33 else "ditolak"
                    app.update(status=status, reason="Berkas belum lengkap" if status == "ditunda" else "Tidak memenuhi syarat")
                    moved("application", aid, [("draf", status, done + shift)], petugas, "BUS-01", offset)
                else:                                                 # (b) the receipt path
                    receipt_no += 1
                    receipt_id = uuid.uuid4()
                    received = departed + timedelta(days=2, minutes=rng.uniform(0, 240))
                    taken = received + _drawn(rng, 40, 0.1)
                    issued = taken + _drawn(rng, 5, 0.2)
                    ready = issued + timedelta(minutes=30)
                    collected = issued + timedelta(days=rng.uniform(1, 20))
                    # Recent trips: still in the pipeline; the further back, the further along.
                    if departed < recent:
                        path = ["di_kantor", "diproses", "terbit", "siap_diambil", "diambil"]
                        if collected > end:
                            path = path[:4]
                    else:
                        path = ["di_kantor", "diproses", "terbit", "siap_diambil", "diambil"][:rng.randint(0, 4)]
                    times = {"di_kantor": received, "diproses": taken, "terbit": issued, "siap_diambil": ready,
                             "diambil": collected}
                    receipts.append({"id": receipt_id, "number": f"KP-BUS01-{receipt_no:06d}",
                                     "check_code": f"{rng.getrandbits(40):010X}"[:8], "visit_id": vid, "trip_id": tid,
                                     "holder_name": person.name.title(), "holder_nik": person.nik,
                                     "holder_birth_date": person.birth_date, "desa_code": desa,
                                     "collect_at": "kantor" if rng.random() < 0.7 else "desa",
                                     "expected_ready_on": (done + timedelta(days=7)).date(),
                                     "status": "selesai" if path[-1:] == ["diambil"] else "aktif",
                                     "issued_at": done + shift, "issued_by_id": petugas.id, "print_count": 1,
                                     "closed_at": collected if path[-1:] == ["diambil"] else None, "node": "BUS-01"})
                    moved("receipt", receipt_id, [(None, "aktif", done + shift)], petugas, "BUS-01", offset)
                    moved("application", aid, [("draf", "tanda_terima", done + shift)], petugas, "BUS-01", offset)
                    app.update(status="tanda_terima", receipt_id=receipt_id)
                    before = "tanda_terima"
                    for status in path:
                        moved("application", aid, [(before, status, times[status])], operator)
                        before = status
                    app["status"] = before
                    if path:
                        app["files_received_at"] = received
                    if "diproses" in path:
                        app.update(taken_at=taken, taken_by_id=operator.id)
                    if "terbit" in path:
                        app.update(document_number=number, document_issued_on=issued.date(),
                                   document_recorded_at=issued)
                    if "siap_diambil" in path:
                        app["printed_at"] = ready
                    if "diambil" in path:
                        moved("receipt", receipt_id, [("aktif", "selesai", collected)], operator)
                applications.append(app)
        finished = clock + timedelta(minutes=30)
        trip_row["finished_at"] = finished
        moved("trip", tid, [("tiba", "selesai", finished + shift)], petugas, "BUS-01", offset)

    for model, rows in ((VillageRequest, letters), (Disposition, dispositions), (RequestResident, residents),
                        (RequestedService, services), (Trip, trips), (TripRequest, links), (TripMember, team),
                        (Visit, visits), (Receipt, receipts), (Application, applications),
                        (StatusHistory, history)):
        # Every row of a batch carries the same keys (executemany needs one shape).
        keys = set().union(*(row.keys() for row in rows)) if rows else set()
        for start_at in range(0, len(rows), 10_000):
            batch = [{k: row.get(k) for k in keys} for row in rows[start_at:start_at + 10_000]]
            db.session.execute(model.__table__.insert(), batch)
        db.session.commit()
    return len(history)


# ---------------------------------------------------------------- per run: a trip of today on site

def prepare_run(app, visits: int, *, tag: str) -> dict:
    """Through the services, as the office does it: letters from several villages listing
    `visits` children of 5–16 who are in the register (each asking for a KIA), disposed; a trip
    of today with the petugas and the operator, departed, on site, SIAK reachable, enough KIA
    blanks; its roster made. The load's intakes take these visits one by one. Returns the trip's
    id and the visits' ids."""
    from sqlalchemy import select

    from webapp.auth.services import find_by_username
    from webapp.core.timefmt import wita_today
    from webapp.core.uow import unit_of_work
    from webapp.extensions import db
    from webapp.field import services as field
    from webapp.field.models import Visit
    from webapp.intake.eligibility import age_on
    from webapp.intake.services import blocking_reasons
    from webapp.inventory import services as inventory
    from webapp.layanan.catalog import EQUIPMENT_KINDS
    from webapp.quality import services as quality
    from webapp.quality.models import Person
    from webapp.requests import services as requests
    from webapp.requests.importer import ResidentRow
    from webapp.trips import services as trips
    from webapp.trips.services import MemberChoice, TripPlan

    today = wita_today()
    young, old = today - timedelta(days=5 * 365 + 30), today - timedelta(days=16 * 365)
    with app.app_context(), unit_of_work():
        users = {name: find_by_username(name) for name in ("admin", "kadis", "operator", "kabid.dafduk", "petugas")}
        taken = set(db.session.execute(select(Visit.nik).where(Visit.nik.isnot(None))).scalars())
        snapshot = quality.current_snapshot_id()
        candidates = db.session.execute(select(Person).where(
            Person.snapshot_id == snapshot, Person.birth_date.between(old, young), Person.nik.isnot(None),
            Person.no_kk.isnot(None)).order_by(Person.row_no)).scalars()
        by_desa: dict[str, list] = defaultdict(list)
        niks, found = set(), 0
        for person in candidates:
            if person.nik in niks or person.nik in taken or not 5 <= age_on(person.birth_date, today) <= 16:
                continue
            if blocking_reasons(person_key=person.person_key, nik=person.nik, name=person.name,
                                birth_date=person.birth_date):
                continue
            niks.add(person.nik)
            by_desa[person.desa_code].append(person)
            found += 1
            if found == visits:
                break
        request_ids = []
        for number, (desa, children) in enumerate(sorted(by_desa.items(), key=lambda item: -len(item[1]))):
            req = requests.register_request(requests.LetterData(
                letter_number=f"470/{number + 1:03d}/PERF-{tag}/2026", letter_date=today - timedelta(days=10),
                desa_code=desa, signatory_name="Kepala Desa", signatory_title="Kepala Desa", requested_date=today,
                location="Balai desa"), actor=users["operator"])
            for row, child in enumerate(children, start=1):
                requests.add_resident(req, ResidentRow(row=row, name=child.name.title(), sex=child.sex,
                                                       birth_date=child.birth_date, services=[("KIA", "5_17")],
                                                       nik=child.nik, no_kk=child.no_kk, phone=None, note=""),
                                      actor=users["operator"])
            requests.dispose_request(req, divisions=["dafduk"], instruction="Perf", due_date=None,
                                     actor=users["kadis"])
            request_ids.append(req.id)
            if len(request_ids) == 5:      # a trip serves a few villages
                break
        count = sum(len(c) for c in sorted(by_desa.values(), key=len, reverse=True)[:5])
        inventory.receive("BLANGKO_KIA", count + 10, actor=users["admin"], reason="Perf")
        trip = trips.schedule_trip(TripPlan(
            start_date=today, end_date=today, node_code="BUS-01", request_ids=request_ids,
            members=[MemberChoice(users["petugas"].id, "koordinator"), MemberChoice(users["operator"].id, "operator")],
            stock={"BLANGKO_KIA": count + 5}, accepted_missing=frozenset(EQUIPMENT_KINDS)),
            actor=users["kabid.dafduk"])
        trips.record_departure(trip, actor=users["petugas"])
        trips.record_arrival(trip, actor=users["petugas"])
        trips.set_siak_link(trip, True, actor=users["petugas"])
        field.ensure_roster(trip, users["petugas"])
        visit_ids = [str(v) for v in db.session.execute(select(Visit.id).where(Visit.trip_id == trip.id)
                                                        .order_by(Visit.name)).scalars()]
        return {"trip": str(trip.id), "visits": visit_ids}
