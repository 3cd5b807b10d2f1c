"""Benchmark: reading a SIAK export and running the anomaly rules at regency scale.

    .venv/bin/python bench/bench_rules.py                 # 239,471 residents (HSS)
    .venv/bin/python bench/bench_rules.py -n 20000 --json

Steps: generate a synthetic register (webapp.synthetic), write it as CSV and XLSX to a
temporary directory, then time read_siak on each file, run_rules on the records read from the
CSV, check_record for single residents against a RegisterIndex (p50/p95), and the equivalent of
``flask quality scan`` (read CSV + rules + duplicate detector). Peak memory is the process'
peak resident set size (VmHWM) after each step: it only grows, so a step's own need is the
increase over the previous figure. Each file is also read (and checked with run_rules) once in a
fresh child process, whose peak RSS is what one import of that file needs on its own.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.quality.rules import RegisterIndex, check_record, count_by_rule, run_rules  # noqa: E402
from webapp.quality.siak import read_siak  # noqa: E402
from webapp.synthetic import (  # noqa: E402
    REFERENCE_DATE,
    generate_register,
    write_siak_csv,
    write_siak_xlsx,
)

HSS_RESIDENTS = 239_471


def peak_mb() -> float:
    """Peak resident set size of this process in MB: VmHWM (reset by exec, unlike ru_maxrss,
    which a child inherits from its parent), else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def timed(figures: dict, name: str):
    gc.collect()
    started = time.perf_counter()
    yield
    figures[name] = {"seconds": round(time.perf_counter() - started, 2),
                     "peak_rss_mb": round(peak_mb(), 1)}
    print(f"  {name:<34} {figures[name]['seconds']:>8.2f} s   peak RSS "
          f"{figures[name]['peak_rss_mb']:>7.1f} MB", flush=True)


def read_all(path: Path) -> tuple[list, int]:
    records, rejected = [], 0
    with read_siak(path) as reader:
        for result in reader:
            if result.record is None:
                rejected += 1
            else:
                records.append(result.record)
    return records, rejected


def measure_alone(path: Path) -> dict:
    """Read one file and run the rules in a fresh interpreter: its own time and peak RSS."""
    output = subprocess.run([sys.executable, __file__, "--measure-file", str(path)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _measure_file(path: Path) -> None:
    baseline = peak_mb()
    started = time.perf_counter()
    records, rejected = read_all(path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    run_rules(records, today=REFERENCE_DATE)
    rules_s = time.perf_counter() - started
    print(json.dumps({"read_s": round(read_s, 2), "rules_s": round(rules_s, 2),
                      "records": len(records), "rejected": rejected,
                      "interpreter_rss_mb": round(baseline, 1),
                      "peak_rss_mb": round(peak_mb(), 1)}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure-file":
        _measure_file(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=HSS_RESIDENTS)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-xlsx", action="store_true", help="skip writing/reading XLSX")
    parser.add_argument("--no-duplicates", action="store_true",
                        help="skip the duplicate detector in the scan figure")
    parser.add_argument("--singles", type=int, default=1000,
                        help="residents checked one by one with check_record")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    figures: dict = {"n": args.n, "seed": args.seed, "python": platform.python_version(),
                     "cpu_count": os.cpu_count(), "machine": platform.machine()}
    print(f"{args.n:,} synthetic residents, seed {args.seed}")
    workdir = Path(tempfile.mkdtemp(prefix="bench_rules_"))
    csv_path, xlsx_path = workdir / "register.csv", workdir / "register.xlsx"

    with timed(figures, "generate"):
        register = generate_register(args.n, seed=args.seed)
    with timed(figures, "write CSV"):
        write_siak_csv(register.records, csv_path)
    figures["csv_mb"] = round(csv_path.stat().st_size / 1e6, 1)
    if not args.no_xlsx:
        with timed(figures, "write XLSX (openpyxl)"):
            write_siak_xlsx(register.records, xlsx_path)
        figures["xlsx_mb"] = round(xlsx_path.stat().st_size / 1e6, 1)
    del register
    gc.collect()

    with timed(figures, "read CSV (read_siak)"):
        records, rejected = read_all(csv_path)
    figures["records"], figures["rejected"] = len(records), rejected

    with timed(figures, "run_rules"):
        findings = run_rules(records, today=REFERENCE_DATE)
    figures["findings"] = len(findings)
    figures["findings_by_rule"] = {k: v for k, v in count_by_rule(findings).items() if v}

    index = RegisterIndex(records)
    sample = random.Random(args.seed).sample(records, min(args.singles, len(records)))
    durations = []
    for record in sample:
        started = time.perf_counter()
        check_record(record, today=REFERENCE_DATE, register=index)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    figures["check_record_ms"] = {
        "p50": round(statistics.median(durations), 3),
        "p95": round(durations[int(0.95 * (len(durations) - 1))], 3),
        "max": round(durations[-1], 3),
    }
    print(f"  {'check_record + register (one)':<34} p50 {figures['check_record_ms']['p50']} ms, "
          f"p95 {figures['check_record_ms']['p95']} ms")
    del findings, index, records
    gc.collect()

    with timed(figures, "scan = read CSV + rules + duplicates"):
        records, _ = read_all(csv_path)
        run_rules(records, today=REFERENCE_DATE)
        if not args.no_duplicates:
            from webapp.quality.duplicates import find_duplicate_pairs, group_pairs

            figures["duplicate_groups"] = len(group_pairs(find_duplicate_pairs(records)))
    del records
    gc.collect()

    if not args.no_xlsx:
        with timed(figures, "read XLSX (read_siak, calamine)"):
            records, rejected = read_all(xlsx_path)
        figures["xlsx_records"], figures["xlsx_rejected"] = len(records), rejected

    for label, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
        if path.exists():
            alone = figures[f"alone {label}"] = measure_alone(path)
            print(f"  {'fresh process: read ' + label + ' + rules':<34} "
                  f"read {alone['read_s']:.2f} s, rules {alone['rules_s']:.2f} s, peak RSS "
                  f"{alone['peak_rss_mb']:.1f} MB (interpreter + imports "
                  f"{alone['interpreter_rss_mb']:.1f} MB)", flush=True)

    figures["peak_rss_mb"] = round(peak_mb(), 1)
    print(f"  {'peak RSS (whole run)':<34} {figures['peak_rss_mb']:>8.1f} MB")
    print(f"  files: CSV {figures['csv_mb']} MB"
          + ("" if args.no_xlsx else f", XLSX {figures['xlsx_mb']} MB") + f" in {workdir}")
    for path in (csv_path, xlsx_path):
        path.unlink(missing_ok=True)
    workdir.rmdir()
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
