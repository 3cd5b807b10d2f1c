"""Benchmark: page response times and sizes at the regency's scale, on SQLite.

    .venv/bin/python bench/bench_pages.py            # 239,471 residents, demo requests and trips
    .venv/bin/python bench/bench_pages.py -n 20000

Builds a fresh SQLite file: the demo data (users, requests, trips), then the synthetic register
of N residents imported and scanned through the real pipeline (thousands of open cases). Then,
logged in through the login form as the demo users, it requests the pages the office uses most
through the WSGI app (no network) and prints, per page, the median and p95 time of the server
side and the size of the HTML. The first request of a page is reported apart ("cold"): it builds
per-process caches (the duplicate index behind the pre-trip check).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=239_471)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from webapp import create_app
    from webapp.demo import run_demo_loaders
    from webapp.extensions import db
    from webapp.quality import importer
    from webapp.quality.models import Person, QualityCase
    from webapp.synthetic import generate_register, write_siak_csv
    from webapp.requests.models import VillageRequest
    from webapp.trips.models import Trip

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'pages.sqlite'}"
        app = create_app()
        with app.app_context():
            db.create_all()
            run_demo_loaders(lambda line: None)
            csv_path = tmp / "register.csv"
            write_siak_csv(generate_register(args.n, seed=7).records, csv_path)
            started = time.perf_counter()
            outcome = importer.import_file(csv_path, scan=True)
            print(f"register: {outcome.rows_read:,} residents imported and scanned in "
                  f"{time.perf_counter() - started:.1f} s; {QualityCase.query.count():,} cases")
            request = VillageRequest.query.filter_by(letter_number="140/031/DS-LKS/2026").one()
            trip = Trip.query.order_by(Trip.number).first()
            case = QualityCase.query.filter_by(kind="ganda", status="terbuka").order_by(
                QualityCase.created_at.desc()).first()
            person = db.session.execute(db.select(Person).where(Person.nik.isnot(None)).limit(1)).scalar()
            ids = dict(request=request.id, trip=trip.id, case=case.id, person=person.id, nik=person.nik,
                       name=person.name.split()[0])

        def client_for(username: str):
            client = app.test_client()
            page = client.get("/masuk").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            assert client.post("/masuk", data={"csrf_token": token, "username": username,
                                               "password": "pecel-demo-2026"}).status_code == 302
            return client

        def token_of(client) -> str:
            return re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)

        pages = [
            ("kadis", "GET", "/", None),
            ("kadis", "GET", "/permohonan/", None),
            ("kadis", "GET", "/permohonan/disposisi", None),
            ("kabid.dafduk", "GET", f"/permohonan/{ids['request']}", None),
            ("kabid.dafduk", "GET", f"/perjalanan/{ids['trip']}", None),
            ("kabid.dafduk", "GET", f"/perjalanan/{ids['trip']}/daftar-persiapan", None),
            ("operator", "GET", "/kualitas/kasus", None),
            ("operator", "GET", "/kualitas/kasus?status=terbuka&jenis=ganda&hal=3", None),
            ("operator", "GET", f"/kualitas/kasus/{ids['case']}/tinjau", None),
            ("operator", "POST", "/kualitas/penduduk", {"query": ids["nik"]}),
            ("operator", "POST", "/kualitas/penduduk", {"query": ids["name"]}),
            ("operator", "GET", f"/kualitas/penduduk/{ids['person']}", None),
        ]
        clients: dict = {}
        print(f"{'page':<62} {'cold':>8} {'p50':>8} {'p95':>8} {'HTML':>8}")
        for user, method, path, data in pages:
            client = clients.setdefault(user, client_for(user))
            timings, size = [], 0
            for _ in range(args.repeat + 1):
                body = dict(data or {}, csrf_token=token_of(client)) if method == "POST" else None
                started = time.perf_counter()
                resp = client.open(path, method=method, data=body)
                timings.append((time.perf_counter() - started) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
                size = len(resp.get_data())
            cold, warm = timings[0], sorted(timings[1:])
            p95 = warm[min(len(warm) - 1, int(round(0.95 * (len(warm) - 1))))]
            short = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", path)
            label = f"{method} {short}" + (" (NIK)" if data and data["query"] == ids["nik"] else
                                               " (name)" if data else "")
            print(f"{label:<62} {cold:7.0f}ms {statistics.median(warm):7.0f}ms {p95:7.0f}ms {size / 1024:6.1f}kB")


if __name__ == "__main__":
    main()
