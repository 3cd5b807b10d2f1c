"""Benchmark: the resident name search ("Cari Penduduk") at the regency's scale, SQLite and PostgreSQL.

    nice -n 10 .venv/bin/python bench/bench_search.py                 # 239,471 residents, both databases
    .venv/bin/python bench/bench_search.py -n 20000 --only sqlite
    BENCH_SEARCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/bench_search  (the default)

Builds (or reuses, when it already holds a register of N rows) the synthetic register imported
through the real pipeline (no scan): a SQLite file in /tmp/bench_search/ and the PostgreSQL
database `bench_search` (created if missing). Then it times `register.search_register` — the
service behind the page: the text-index token/prefix search, then the near spellings, the 50
Person rows loaded — for queries taken from the register: a full name, one middle token, a prefix
of a token (4–5 letters), and a misspelt full name (two letters swapped). Prints p50 / p95 / max
per kind and database, and the import time when it built the register.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HSS_RESIDENTS = 239_471
SQLITE_FILE = Path("/tmp/bench_search/search.sqlite")
PG_URL = os.environ.get("BENCH_SEARCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_search")


def ensure_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build(app, n: int, seed: int) -> str:
    from webapp.extensions import db
    from webapp.quality import importer, services
    from webapp.quality.models import Person
    from webapp.synthetic import generate_register, write_siak_csv
    with app.app_context():
        db.create_all()
        current = services.current_snapshot_id()
        if current is not None and db.session.query(Person).filter(Person.snapshot_id == current).count() >= n * 0.99:
            return "reused"
        db.session.remove()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "register.csv"
            write_siak_csv(generate_register(n, seed=seed).records, path)
            started = time.perf_counter()
            outcome = importer.import_file(path, scan=False)
            assert outcome.status == "selesai", outcome
            return f"imported {outcome.rows_read:,} rows in {time.perf_counter() - started:.1f} s"


def misspell(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def make_queries(app, count: int, seed: int) -> list[tuple[str, str]]:
    from sqlalchemy import select
    from webapp.extensions import db
    from webapp.quality import services
    from webapp.quality.models import Person
    rng = random.Random(seed)
    with app.app_context():
        names = db.session.execute(select(Person.name).where(
            Person.snapshot_id == services.current_snapshot_id()).order_by(Person.row_no)).scalars().all()
    per_kind = max(1, count // 4)
    queries: list[tuple[str, str]] = []
    picks = [n for n in rng.sample(names, min(len(names), per_kind * 8)) if len(n.split()) >= 2]
    for name in picks[:per_kind]:
        queries.append(("full name", name.title()))
    for name in picks[per_kind:2 * per_kind]:
        tokens = name.split()
        queries.append(("middle token", rng.choice(tokens[1:]).lower()))
    for name in picks[2 * per_kind:3 * per_kind]:
        token = max(name.split(), key=len)
        queries.append(("prefix", token[:rng.choice((4, 5))].lower()))
    for name in picks[3 * per_kind:4 * per_kind]:
        tokens = name.split()
        j = max(range(len(tokens)), key=lambda k: len(tokens[k]))
        tokens[j] = misspell(tokens[j], rng)
        queries.append(("misspelt", " ".join(tokens).lower()))
    rng.shuffle(queries)
    return queries


def run(app, queries, warmup: int = 10) -> dict[str, list[float]]:
    from webapp.extensions import db
    from webapp.quality.register import search_register
    times: dict[str, list[float]] = {}
    with app.app_context():
        for _kind, q in queries[:warmup]:
            search_register(q)
        db.session.remove()
        for kind, q in queries:
            started = time.perf_counter()
            search = search_register(q)
            elapsed = (time.perf_counter() - started) * 1000
            times.setdefault(kind, []).append(elapsed)
            times.setdefault("all", []).append(elapsed)
            assert search.results or kind == "misspelt", (kind, q)
            db.session.remove()      # a request's session: nothing cached between searches
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=HSS_RESIDENTS)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()

    from webapp import create_app
    targets = []
    if args.only in (None, "sqlite"):
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        targets.append(("sqlite", f"sqlite:///{SQLITE_FILE}"))
    if args.only in (None, "postgresql"):
        ensure_pg_database(PG_URL)
        targets.append(("postgresql", PG_URL))
    for label, url in targets:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(SQLITE_FILE.parent / "files")})
        print(f"{label}: register {build(app, args.n, args.seed)}", flush=True)
        queries = make_queries(app, args.queries, args.seed)
        times = run(app, queries)
        print(f"{label}: {len(queries)} searches at {args.n:,} residents (ms)")
        print(f"  {'kind':<14}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}")
        for kind in ("full name", "middle token", "prefix", "misspelt", "all"):
            values = times.get(kind, [])
            if values:
                print(f"  {kind:<14}{len(values):>5}{statistics.median(values):>9.2f}{pct(values, 0.95):>9.2f}"
                      f"{max(values):>9.2f}", flush=True)
        with app.app_context():
            from webapp.extensions import db
            db.engine.dispose()


if __name__ == "__main__":
    main()
