"""Benchmark: the mutu baku dashboard (webapp/reports) on a year of the regency's history.

    .venv/bin/python bench/bench_mutu_baku.py                      # SQLite in a temporary folder
    .venv/bin/python bench/bench_mutu_baku.py --db postgresql://postgres@127.0.0.1:5432/bench_mutu
    .venv/bin/python bench/bench_mutu_baku.py --keep /tmp/mutu.sqlite   # keep (and reuse) the file
    .venv/bin/python bench/bench_mutu_baku.py --db postgresql://… --no-build   # time a database built before

Builds a year of service written straight into the tables: 2,000 letters with their resident
lists (30 residents, one requested service each), 400 trips of five letters each, 60,000 visits
and 60,000 applications on the receipt path, and their status history (about 670,000 rows; a
tenth of the trips' bus rows carry a clock offset, as rows pushed from a bus do). Durations are
drawn around each step's standard, a share of them over it. The history is written behind the
ORM, so the steps are then measured as the migration does (`remeasure_all`, timed: the one-off
cost of filling `sop_step_measure` at the regency's scale).

Then times, in the app's own process with a warm connection, the dashboard's services
(`reports.services.dashboard`) unfiltered, for one month, one trip, one desa and one service,
and the first page of the slow cases of the busiest step: median and max of five runs each, wall
time and this process's CPU time (on a shared machine the wall time includes waiting for it).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LETTERS, TRIPS, PER_TRIP_LETTERS, VISITS_PER_TRIP = 2_000, 400, 5, 150
SERVICES = ("KTP_EL", "KK", "KIA", "AKTA_LAHIR", "AKTA_MATI", "PEREKAMAN")
DESA = ("63.06.10.2009", "63.06.10.2010", "63.06.10.2004", "63.06.10.2008", "63.06.02.2008", "63.06.08.2001")
START = datetime(2025, 12, 1, 0, 0, tzinfo=timezone.utc)
RUNS = 5


def _drawn(rng: random.Random, standard_min: float, over_share: float) -> timedelta:
    if rng.random() < over_share:
        return timedelta(minutes=standard_min * rng.uniform(1.05, 4.0))
    return timedelta(minutes=standard_min * rng.uniform(0.2, 1.0))


def build(app, seed: int = 6306) -> int:
    from webapp.core.changes import StatusHistory
    from webapp.extensions import db
    from webapp.field.models import Visit
    from webapp.intake.models import Application
    from webapp.requests.models import RequestedService, RequestResident, VillageRequest
    from webapp.trips.models import Trip, TripRequest

    rng = random.Random(seed)
    history: list[dict] = []

    def moved(entity_type: str, entity_id, steps: list[tuple[str | None, str, datetime]], offset=None) -> None:
        for before, after, at in steps:
            history.append({"id": uuid.uuid4(), "entity_type": entity_type, "entity_id": entity_id,
                            "from_status": before, "to_status": after, "actor_name": "bench", "at": at,
                            "node": "OFFICE" if offset is None else "BUS-01", "clock_offset_s": offset})

    with app.app_context():
        db.create_all()
        letters, residents, services, trips, links, visits, applications = [], [], [], [], [], [], []
        letter_times = []
        for n in range(LETTERS):
            rid = uuid.uuid4()
            at = START + timedelta(days=rng.uniform(0, 330))
            desa = DESA[n % len(DESA)]
            letters.append({"id": rid, "number": f"PMH-BENCH-{n:06d}", "letter_number": f"140/{n}/BENCH",
                            "letter_date": at.date(), "desa_code": desa, "signatory_name": "Kepala Desa",
                            "signatory_title": "Kepala Desa", "requested_date": at.date() + timedelta(days=14),
                            "location": "Balai Desa", "notes": "", "status": "berangkat", "submitted_via": "kantor"})
            for r in range(30):
                resident = uuid.uuid4()
                residents.append({"id": resident, "request_id": rid, "position": r, "name": f"Warga {n}-{r}",
                                  "sex": "L", "birth_date": date(1990, 1, 1), "note": ""})
                services.append({"id": uuid.uuid4(), "resident_id": resident,
                                 "service_code": SERVICES[(n + r) % len(SERVICES)], "subtype_code": "baru"})
            disposed = at + _drawn(rng, 5, 0.3)
            scheduled = disposed + _drawn(rng, 10, 0.2)
            moved("request", rid, [(None, "baru", at), ("baru", "didisposisi", disposed),
                                   ("didisposisi", "dijadwalkan", scheduled)])
            letter_times.append((rid, desa, scheduled))
        letter_times.sort(key=lambda item: item[2])
        for t in range(TRIPS):
            tid = uuid.uuid4()
            group = letter_times[t * PER_TRIP_LETTERS:(t + 1) * PER_TRIP_LETTERS]
            scheduled = group[-1][2]
            departed = scheduled + timedelta(days=7, hours=rng.uniform(-1, 1))
            offset = rng.choice([None] * 9 + [rng.uniform(-7200, 7200)])
            arrived = departed + _drawn(rng, 120, 0.15)
            trips.append({"id": tid, "number": f"PJL-BENCH-{t:05d}", "start_date": departed.date(),
                          "end_date": departed.date(), "bus": "Bus 1", "node_code": "BUS-01",
                          "lead_division": "dafduk", "status": "selesai"})
            for position, (rid, _desa, _at) in enumerate(group):
                links.append({"id": uuid.uuid4(), "trip_id": tid, "request_id": rid, "position": position})
                moved("request", rid, [("dijadwalkan", "berangkat", departed)])
            moved("trip", tid, [(None, "dijadwalkan", scheduled), ("dijadwalkan", "berangkat", departed)])
            moved("trip", tid, [("berangkat", "tiba", arrived - timedelta(seconds=offset or 0))], offset)
            clock = arrived
            for v in range(VISITS_PER_TRIP):
                vid, aid = uuid.uuid4(), uuid.uuid4()
                desa = group[v % len(group)][1]
                visits.append({"id": vid, "trip_id": tid, "request_id": group[v % len(group)][0], "walk_in": False,
                               "desa_code": desa, "name": f"Warga {t}-{v}", "status": "selesai",
                               "flag_level": "ok", "flag_reasons": []})
                service = SERVICES[v % len(SERVICES)]
                applications.append({"id": aid, "visit_id": vid, "trip_id": tid, "service_code": service,
                                     "subtype_code": "baru", "status": "diambil", "relation": "sendiri",
                                     "subject_name": f"Warga {t}-{v}", "late": False, "spoiled_count": 0})
                called = clock + timedelta(minutes=rng.uniform(1, 4))
                done = called + _drawn(rng, 20, 0.1)
                clock = done
                shift = -(offset or 0)
                moved("visit", vid, [(None, "terdaftar", called - timedelta(hours=1) + timedelta(seconds=shift)),
                                     ("terdaftar", "menunggu", called - timedelta(minutes=30) + timedelta(seconds=shift)),
                                     ("menunggu", "dipanggil", called + timedelta(seconds=shift)),
                                     ("dipanggil", "selesai", done + timedelta(seconds=shift))], offset)
                moved("application", aid, [(None, "draf", called + timedelta(seconds=shift)),
                                           ("draf", "tanda_terima", done + timedelta(seconds=shift))], offset)
                received = departed + timedelta(days=2, minutes=rng.uniform(0, 240))
                taken = received + _drawn(rng, 40, 0.1)
                issued = taken + _drawn(rng, 5, 0.2)
                moved("application", aid, [("tanda_terima", "di_kantor", received), ("di_kantor", "diproses", taken),
                                           ("diproses", "terbit", issued),
                                           ("terbit", "siap_diambil", issued + timedelta(minutes=30)),
                                           ("siap_diambil", "diambil", issued + timedelta(days=3))])
        for model, rows in ((VillageRequest, letters), (RequestResident, residents), (RequestedService, services),
                            (Trip, trips), (TripRequest, links), (Visit, visits), (Application, applications),
                            (StatusHistory, history)):
            for start in range(0, len(rows), 20_000):
                db.session.execute(model.__table__.insert(), rows[start:start + 20_000])
            db.session.commit()
        # Written behind the ORM: measured as the migration and `flask reports remeasure` do.
        from webapp.reports.upkeep import remeasure_all
        start = time.perf_counter()
        counts = remeasure_all(db.session.connection())
        db.session.commit()
        print(f"remeasure_all: {sum(counts.values())} steps measured in {time.perf_counter() - start:.1f} s {counts}")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":     # as autovacuum leaves it: index-only scans possible
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(db.text("VACUUM ANALYZE"))
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        return len(history)


def timed(label: str, call) -> None:
    """Wall time and this process's CPU time (SQLite runs in it; PostgreSQL's work is its own)."""
    walls, cpus = [], []
    result = None
    for _ in range(RUNS):
        start, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(f"  {label:<30} wall median {statistics.median(walls):7.1f} ms  max {max(walls):7.1f} ms"
          f"   cpu median {statistics.median(cpus):7.1f} ms   {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--keep", help="a SQLite file to build once and reuse")
    parser.add_argument("--no-build", action="store_true", help="with --db: the database is already built")
    args = parser.parse_args()

    from webapp import create_app
    folder = Path(tempfile.mkdtemp(prefix="bench-mutu-"))
    os.environ.setdefault("INSTANCE_PATH", str(folder / "instance"))
    path = Path(args.keep) if args.keep else folder / "mutu.sqlite"
    url = args.db or f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(folder / "files"), "SERVER_NAME": None,
                      "AGENT_TICKET_KEY_FILE": str(folder / "agent.pem")})
    fresh = (args.db and not args.no_build) or (not args.db and (not path.exists() or path.stat().st_size == 0))
    if fresh:
        if args.db:
            from webapp.extensions import db
            with app.app_context():
                db.drop_all()
        start = time.perf_counter()
        rows = build(app)
        print(f"built {rows} status history rows in {time.perf_counter() - start:.0f} s ({url.split('@')[-1]})")

    from webapp.extensions import db
    from webapp.reports import services
    from webapp.reports.steps import measure
    from webapp.wilayah.models import Region
    from webapp.wilayah.services import load_regions
    with app.app_context():
        if db.session.scalar(db.select(db.func.count()).select_from(Region)) == 0:
            load_regions()              # the desa filter checks its code against the region list
            db.session.commit()
    with app.test_request_context():
        trip = db.session.execute(db.select(db.text("number")).select_from(db.text("trip")).limit(1)).scalar()

        def figures(args: dict):
            def run():
                filters = services.parse_filters(args)
                board = services.dashboard(filters)
                db.session.rollback()
                return sum(s.count for s in board.steps)
            return run

        def slow():
            filters = services.parse_filters({})
            page = services.slow_cases(measure("pelayanan"), filters)
            db.session.rollback()
            return page.total

        print(f"mutu baku dashboard ({db.engine.dialect.name}), {RUNS} runs each; the last column: cases counted")
        timed("unfiltered (a year)", figures({}))
        timed("one month", figures({"month": "2026-06"}))
        timed("one trip", figures({"trip": trip}))
        timed("one desa", figures({"desa": DESA[0]}))
        timed("one service", figures({"service": "KIA"}))
        timed("one month and one service", figures({"month": "2026-06", "service": "KIA"}))
        timed("slow cases of step 5, page 1", slow)


if __name__ == "__main__":
    main()
