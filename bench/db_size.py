"""Measure: how big the database is with a regency's register in it (for docs/load-model.md).

    .venv/bin/python bench/db_size.py --pg postgresql://postgres@127.0.0.1:5432/test_scaleout_size
    .venv/bin/python bench/db_size.py --sqlite /tmp/size-239k.sqlite
    .venv/bin/python bench/db_size.py -n 20000 --sqlite /tmp/size-20k.sqlite

A fresh database (PostgreSQL: dropped and made again; SQLite: the file replaced), `flask db upgrade`
(every index of the migrations), the region data, then the synthetic register (webapp.synthetic)
imported and scanned through the real pipeline (`importer.import_file`, as `flask quality import`).
Prints the import and scan times, the database's size (pg_database_size / the file after a
checkpoint) and its biggest tables with their indexes, as JSON on the last line."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HSS_RESIDENTS = 239_471


def _fresh_pg(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=HSS_RESIDENTS)
    parser.add_argument("--seed", type=int, default=1)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pg", help="postgresql+psycopg://… (dropped and made again)")
    where.add_argument("--sqlite", help="a file path (replaced)")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import text

    from webapp import create_app
    from webapp.config import _normalise_db_url
    from webapp.extensions import db
    from webapp.quality import importer
    from webapp.synthetic import generate_register, write_siak_csv
    from webapp.wilayah.services import load_regions

    if args.pg:
        url = _normalise_db_url(args.pg)
        _fresh_pg(url)
    else:
        path = Path(args.sqlite).resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    figures: dict = {"residents": args.n, "database": "postgresql" if args.pg else "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        register = generate_register(args.n, seed=args.seed)
        csv_path = tmp / "register.csv"
        write_siak_csv(register.records, csv_path)
        figures["csv_mb"] = round(csv_path.stat().st_size / 2**20, 1)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp / "files"), "TESTING": False})
        with app.app_context():
            upgrade()
            load_regions()
            db.session.commit()
            if args.pg:
                empty = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            else:
                db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                empty = path.stat().st_size
            figures["empty_mb"] = round(empty / 2**20, 1)
            started = time.perf_counter()
            outcome = importer.import_file(csv_path, scan=True, today=register.as_of)
            assert outcome.status == "selesai", outcome
            figures["import_s"] = outcome.import_seconds
            figures["scan_s"] = outcome.scan_seconds
            figures["import_and_scan_wall_s"] = round(time.perf_counter() - started, 1)
            figures["cases_opened"] = getattr(outcome, "cases_opened", None)
            db.session.remove()
            if args.pg:
                db.session.execute(text("ANALYZE"))
                size = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
                rows = db.session.execute(text(
                    "SELECT relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                    "ORDER BY 2 DESC LIMIT 8")).all()
                figures["tables_mb"] = {name: [round(total / 2**20, 1), round(heap / 2**20, 1)]
                                        for name, total, heap in rows}   # [with indexes and TOAST, heap only]
            else:
                db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                size = path.stat().st_size
                try:
                    rows = db.session.execute(text(
                        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 10")).all()
                    figures["objects_mb"] = {name: round(total / 2**20, 1) for name, total in rows}
                except Exception:   # noqa: BLE001 - dbstat is a compile-time option of SQLite
                    pass
            db.session.remove()
            figures["database_mb"] = round(size / 2**20, 1)
            figures["kb_per_resident"] = round((size - empty) / args.n / 1024, 2)
    print(f"{figures['database']}: {args.n:,} residents imported in {figures['import_s']} s, scanned in "
          f"{figures['scan_s']} s; database {figures['database_mb']} MB ({figures['kb_per_resident']} kB per resident)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
