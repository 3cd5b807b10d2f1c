"""Benchmark of the duplicate detector on a synthetic register with planted duplicates.

    .venv/bin/python bench/bench_duplicates.py --n 239471 --seed 1               # one change each
    .venv/bin/python bench/bench_duplicates.py --n 239471 --seed 1 --changes 2   # two changes each

Prints: generation time, full pairwise pass time, peak memory, pairs and groups found,
precision overall, recall overall and per variant (one change each) or per change and per
pair of changes (two changes each: a change's recall counts every pair it is part of), false
matches among the planted hard negatives, and the latency of checking one record against the
register (DuplicateIndex.candidates). `--markdown` prints the tables of docs/performance.md.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.quality.duplicates import DuplicateConfig, DuplicateIndex, group_pairs  # noqa: E402
from webapp.synthetic import (  # noqa: E402
    CHANGE_PAIRS,
    CHANGES,
    HARD_NEGATIVE_KINDS,
    VARIANTS,
    add_second_change,
    generate_register,
)


def _true_groups(duplicate_pairs: dict[frozenset, str]) -> dict:
    """ref -> id of its true person (connected components of the planted pairs)."""
    parent: dict = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for pair in duplicate_pairs:
        a, b = sorted(pair)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    return {ref: root(ref) for ref in parent}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class _Tally:
    """Found / planted per label."""

    def __init__(self) -> None:
        self.found: Counter = Counter()
        self.total: Counter = Counter()

    def add(self, label: str, found: bool) -> None:
        self.total[label] += 1
        self.found[label] += found

    def recall(self, label: str) -> float:
        return self.found[label] / max(1, self.total[label])

    def line(self, label: str, width: int = 30, prefix: str = "") -> str:
        return (f"  {prefix + label:<{width}} recall {self.recall(label):.4f}  "
                f"({self.found[label]}/{self.total[label]})")

    def row(self, label: str) -> str:
        return f"| {label.replace('+', ' + ')} | {self.recall(label):.4f} | {self.found[label]:,} / {self.total[label]:,} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=239_471)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changes", type=int, choices=(1, 2), default=1,
                        help="changes per planted duplicate: 1 (one of the variants) or 2 (a pair of changes)")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="measure Python heap peak with tracemalloc (slows the pass down)")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N misses and false pairs")
    parser.add_argument("--second-change", action="store_true",
                        help="old stress test: every planted duplicate gets one more random change on top")
    parser.add_argument("--markdown", action="store_true", help="also print the result tables as Markdown")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    register = generate_register(args.n, args.seed, duplicate_changes=args.changes)
    records = register.records
    second_change = add_second_change(register, args.seed) if args.second_change else {}
    print(f"register: {len(records):,} records, seed {args.seed}, {args.changes} change(s) per duplicate, "
          f"generated in {time.perf_counter() - started:.1f} s; planted duplicate pairs "
          f"{len(register.duplicate_pairs):,}, hard negatives {len(register.truth.hard_negatives):,}")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.tracemalloc:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    index = DuplicateIndex(records, DuplicateConfig())
    built = time.perf_counter()
    pairs = index.pairs()
    finished, cpu_finished = time.perf_counter(), time.process_time()
    groups = group_pairs(pairs)
    heap_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"full pass: {finished - started:.2f} s wall, {cpu_finished - cpu_started:.2f} s CPU (index "
          f"{built - started:.2f} s + pairs {finished - built:.2f} s); {len(pairs):,} pairs in "
          f"{len(groups):,} groups")
    print(f"peak RSS of the process: {rss_peak / 1024:.0f} MiB (before the pass {rss_before / 1024:.0f} MiB)"
          + (f"; Python heap peak during the pass: {heap_peak / 2**20:.0f} MiB" if heap_peak else ""))

    truth_person = _true_groups(register.duplicate_pairs)
    group_of = {ref: i for i, group in enumerate(groups) for ref in group}

    def grouped(pair: frozenset) -> bool:
        a, b = sorted(pair)
        return a in group_of and group_of.get(a) == group_of.get(b)

    correct = [p for p in pairs if p.a in truth_person and truth_person.get(p.a) == truth_person.get(p.b)]
    precision = len(correct) / len(pairs) if pairs else 1.0
    by_kind, by_change, overall = _Tally(), _Tally(), _Tally()
    misses = []
    for pair, kind in register.duplicate_pairs.items():
        found = grouped(pair)
        overall.add("all", found)
        by_kind.add(kind, found)
        if args.changes == 2:
            for change in kind.split("+"):
                by_change.add(change, found)
        if not found:
            misses.append((kind, pair))
    print(f"precision {precision:.4f} ({len(correct):,}/{len(pairs):,} predicted pairs true)   "
          f"recall {overall.recall('all'):.4f} ({overall.found['all']:,}/{overall.total['all']:,})")
    if args.changes == 1:
        for variant in VARIANTS:
            print(by_kind.line(variant))
    else:
        print("per change (every pair it is part of):")
        for change in CHANGES:
            print(by_change.line(change))
        print("per pair of changes:")
        for combo in CHANGE_PAIRS:
            print(by_kind.line(combo, 34))
    negatives = _Tally()
    for pair, kind in register.truth.hard_negatives.items():
        negatives.add(kind, grouped(pair))
    if second_change:
        by_second = _Tally()
        for pair, change in second_change.items():
            by_second.add(change, grouped(pair))
        for change in sorted(by_second.total):
            print(by_second.line(change, prefix="+ "))
    print("hard negatives wrongly grouped: " + ", ".join(
        f"{kind} {negatives.found[kind]}/{negatives.total[kind]}" for kind in HARD_NEGATIVE_KINDS))

    rng = random.Random(args.seed)
    sample = rng.sample(records, min(args.lookups, len(records)))
    latencies = []
    for record in sample:
        t0 = time.perf_counter()
        index.candidates(record)
        latencies.append((time.perf_counter() - t0) * 1000)
    print(f"one-record check over {len(sample):,} records: p50 {_percentile(latencies, 0.5):.2f} ms, "
          f"p95 {_percentile(latencies, 0.95):.2f} ms, p99 {_percentile(latencies, 0.99):.2f} ms, "
          f"max {max(latencies):.2f} ms")

    if args.markdown:
        print("\n| planted | recall | found / planted |\n| --- | --- | --- |")
        labels = VARIANTS if args.changes == 1 else CHANGE_PAIRS
        if args.changes == 2:
            for change in CHANGES:
                print(by_change.row(change))
        for label in labels:
            print(by_kind.row(label))
        print("\n| hard negative | wrongly paired |\n| --- | --- |")
        for kind in HARD_NEGATIVE_KINDS:
            print(f"| {kind} | {negatives.found[kind]} / {negatives.total[kind]:,} |")

    if args.show_misses:
        by_ref = {r.ref: r for r in records}
        details = register.truth.duplicate_details
        print("\nmisses:")
        for kind, pair in misses[: args.show_misses]:
            a, b = sorted(pair)
            print(f"  [{kind}: {details.get(pair, '')}]\n    {_brief(by_ref[a])}\n    {_brief(by_ref[b])}")
        print("\nfalse pairs:")
        for p in [p for p in pairs if p not in correct][: args.show_misses]:
            print(f"  {p.score} {p.reasons}\n    {_brief(by_ref[p.a])}\n    {_brief(by_ref[p.b])}")
    return 0


def _brief(r) -> str:
    return (f"{r.ref} {r.name!r} {r.sex} {r.birth_date} ibu={r.mother_name!r} ayah={r.father_name!r} "
            f"{r.birth_place} {r.desa_code} kk…{(r.no_kk or '')[-4:]} nik…{(r.nik or '')[-4:]}")


if __name__ == "__main__":
    raise SystemExit(main())
