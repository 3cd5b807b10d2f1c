"""Benchmark: the register import pipeline at regency scale on SQLite.

    .venv/bin/python bench/bench_import.py               # 239,471 residents (HSS)
    .venv/bin/python bench/bench_import.py -n 20000 --json

Steps: generate the synthetic register (webapp.synthetic), write it as CSV and XLSX to
a temporary directory, then on a fresh SQLite file:
  1. import the CSV through the real pipeline (run_import, no scan) — "import CSV";
  2. scan the register (rules + duplicates + case opening) — "scan";
  3. import the XLSX as a re-import (new snapshot, swap, old snapshot purged, carry-over) —
     "import XLSX";
  4. pre-trip check of single residents against the register (p50/p95 per resident);
  5. a file of 100,000 unreadable rows: its time, and that the register is unchanged.
Peak memory is the process' peak RSS (ru_maxrss): it only grows.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HSS_RESIDENTS = 239_471


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=HSS_RESIDENTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--checks", type=int, default=300, help="residents for the pre-trip check timing")
    args = parser.parse_args()

    from webapp import create_app
    from webapp.extensions import db
    from webapp.quality import importer, precheck, services
    from webapp.quality.models import Person
    from webapp.synthetic import generate_register, write_siak_csv, write_siak_xlsx
    from webapp.wilayah.services import load_regions

    figures: dict = {"residents": args.n, "cpus": os.cpu_count()}
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        register = generate_register(args.n, seed=args.seed)
        csv_path, xlsx_path = tmp / "register.csv", tmp / "register.xlsx"
        write_siak_csv(register.records, csv_path)
        write_siak_xlsx(register.records, xlsx_path)
        figures["generate_and_write_s"] = round(time.perf_counter() - started, 1)
        figures["csv_mb"] = round(csv_path.stat().st_size / 2**20, 1)
        figures["xlsx_mb"] = round(xlsx_path.stat().st_size / 2**20, 1)
        say(f"generated {args.n:,} residents; CSV {figures['csv_mb']} MB, XLSX {figures['xlsx_mb']} MB")

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
                          "UPLOAD_FOLDER": str(tmp / "files")})
        with app.app_context():
            db.create_all()
            load_regions()
            db.session.commit()

            outcome = importer.import_file(csv_path, scan=False)
            assert outcome.status == "selesai", outcome
            figures["import_csv_s"] = outcome.import_seconds
            figures["peak_rss_after_csv_mb"] = peak_mb()
            say(f"import CSV : {outcome.import_seconds:6.1f} s  ({outcome.rows_read:,} rows)")

            started = time.perf_counter()
            scan = services.scan_register(None, today=register.as_of)
            figures["scan_s"] = round(time.perf_counter() - started, 1)
            figures["scan_findings"] = scan.findings
            figures["scan_duplicate_pairs"] = scan.duplicate_pairs
            figures["cases_opened"] = scan.cases_opened
            figures["peak_rss_after_scan_mb"] = peak_mb()
            say(f"scan       : {figures['scan_s']:6.1f} s  ({scan.findings:,} findings, "
                f"{scan.duplicate_pairs:,} duplicate pairs, {scan.cases_opened:,} cases opened)")

            outcome = importer.import_file(xlsx_path, scan=False)
            assert outcome.status == "selesai", outcome
            figures["import_xlsx_s"] = outcome.import_seconds
            started = time.perf_counter()
            rescan = services.scan_register(None, today=register.as_of)
            figures["rescan_after_reimport_s"] = round(time.perf_counter() - started, 1)
            figures["rescan_cases_opened"] = rescan.cases_opened
            figures["peak_rss_after_xlsx_mb"] = peak_mb()
            say(f"import XLSX: {outcome.import_seconds:6.1f} s  (re-import; rescan "
                f"{figures['rescan_after_reimport_s']} s opened {rescan.cases_opened} new cases)")

            rng = random.Random(7)
            sample = rng.sample(register.records, min(args.checks, len(register.records)))
            services.duplicate_index()  # built once per process (after a scan it is already cached)
            timings = []
            for r in sample:
                resident = precheck.ResidentInput(key=1, name=r.name, nik=r.nik, no_kk=r.no_kk, sex=r.sex,
                                                  birth_date=r.birth_date)
                t0 = time.perf_counter()
                precheck.check_residents([resident], today=register.as_of)
                timings.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            timings.sort()
            figures["precheck_p50_ms"] = round(statistics.median(timings), 2)
            figures["precheck_p95_ms"] = round(timings[int(len(timings) * 0.95) - 1], 2)
            say(f"pre-trip check, one resident: p50 {figures['precheck_p50_ms']} ms, "
                f"p95 {figures['precheck_p95_ms']} ms ({len(timings)} residents)")

            bad = tmp / "unreadable.csv"
            with open(bad, "w", encoding="utf-8") as fh:
                fh.write("NIK,NO_KK,NAMA_LGKP,JENIS_KLMIN,TMPT_LHR,TGL_LHR,STAT_KWN,STAT_HBKEL,NAMA_LGKP_IBU,"
                         "NAMA_LGKP_AYAH,ALAMAT,NO_RT,NO_RW,KODE_DESA\n")
                for i in range(100_000):
                    fh.write(f"63061{i:011d},x,NAMA {i},X,?,99-99-9999,?,?,,,,,,99.99.99.9999\n")
            before_snapshot = services.current_snapshot_id()
            before_rows = db.session.query(Person).filter_by(snapshot_id=before_snapshot).count()
            outcome = importer.import_file(bad, scan=False)
            after_snapshot = services.current_snapshot_id()
            after_rows = db.session.query(Person).filter_by(snapshot_id=after_snapshot).count()
            unchanged = (before_snapshot == after_snapshot and before_rows == after_rows
                         and db.session.query(Person).count() == before_rows)
            figures["unreadable_100k_s"] = outcome.import_seconds
            figures["unreadable_100k_status"] = outcome.status
            figures["unreadable_100k_rejected"] = outcome.rows_rejected
            figures["unreadable_register_unchanged"] = unchanged
            say(f"100,000 unreadable rows: {outcome.import_seconds} s, status {outcome.status}, "
                f"{outcome.rows_rejected:,} rejected, register unchanged: {unchanged}")
            say(f"  message: {outcome.error}")
        figures["peak_rss_mb"] = peak_mb()
        say(f"peak RSS   : {figures['peak_rss_mb']} MB")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
