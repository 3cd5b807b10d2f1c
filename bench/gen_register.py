"""Write a synthetic SIAK-style register export for benchmarks and manual tests.

    .venv/bin/python bench/gen_register.py --n 239471 --seed 1 --out /tmp/register.csv
    .venv/bin/python bench/gen_register.py --n 239471 --out /tmp/register.xlsx --coded --region split

With --truth FILE.json the planted duplicates, anomalies and hard negatives are written too
(row numbers: the first data row is 1).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.synthetic import generate_register, write_siak_csv, write_siak_xlsx  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=239_471)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    parser.add_argument("--coded", action="store_true", help="numeric codes instead of labels")
    parser.add_argument("--region", choices=("kode_desa", "split"), default="kode_desa")
    parser.add_argument("--undotted", action="store_true", help="KODE_DESA without dots (6306102001)")
    parser.add_argument("--delimiter", default=",", help="CSV delimiter (e.g. ';')")
    parser.add_argument("--duplicate-rate", type=float, default=0.02)
    parser.add_argument("--anomaly-rate", type=float, default=0.01)
    parser.add_argument("--truth", help="also write the planted truth as JSON here")
    args = parser.parse_args(argv)

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        parser.error("--out must end in .csv or .xlsx")
    started = time.perf_counter()
    register = generate_register(args.n, args.seed, duplicate_rate=args.duplicate_rate,
                                 anomaly_rate=args.anomaly_rate)
    generated = time.perf_counter()
    if out.suffix.lower() == ".csv":
        write_siak_csv(register.records, out, coded=args.coded, region_style=args.region,
                       delimiter=args.delimiter, dotted=not args.undotted)
    else:
        write_siak_xlsx(register.records, out, coded=args.coded, region_style=args.region,
                        dotted=not args.undotted)
    written = time.perf_counter()
    if args.truth:
        truth = register.truth
        Path(args.truth).write_text(json.dumps({
            "seed": args.seed, "n": len(register.records), "as_of": register.as_of.isoformat(),
            "duplicate_pairs": [[*sorted(pair), variant] for pair, variant in sorted(
                truth.duplicate_pairs.items(), key=lambda item: sorted(item[0]))],
            "hard_negatives": [[*sorted(pair), kind] for pair, kind in sorted(
                truth.hard_negatives.items(), key=lambda item: sorted(item[0]))],
            "anomalies": {str(ref): sorted(codes) for ref, codes in sorted(truth.anomalies.items())},
        }, indent=1), encoding="utf-8")
    print(f"{len(register.records):,} rows -> {out} (generated {generated - started:.1f} s, "
          f"written {written - generated:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
