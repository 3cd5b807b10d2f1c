"""Benchmark of the duplicate detector on a synthetic register with planted duplicates.

    .venv/bin/python bench/bench_duplicates.py --n 239471 --seed 1

Prints: generation time, full pairwise pass time, peak memory, pairs and groups found,
precision and recall overall and per variant, false matches among the planted hard negatives,
and the latency of checking one record against the register (DuplicateIndex.candidates).
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
from webapp.quality.synthetic import VARIANTS, add_second_change, generate_register  # noqa: E402


def _group_of(groups: list[list]) -> dict:
    return {ref: i for i, group in enumerate(groups) for ref in group}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=239_471)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="measure Python heap peak with tracemalloc (slows the pass down)")
    parser.add_argument("--show-misses", type=int, default=0, help="print up to N misses and false pairs")
    parser.add_argument("--second-change", action="store_true",
                        help="stress test: every planted duplicate gets one more change (typo, date digit, ...)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    register = generate_register(args.n, args.seed)
    records = register.records
    second_change = add_second_change(register, args.seed) if args.second_change else {}
    print(f"register: {len(records):,} records, seed {args.seed}, generated in "
          f"{time.perf_counter() - started:.1f} s; planted duplicate pairs "
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
    predicted_group = _group_of(groups)
    correct = [p for p in pairs if p.a in truth_person and truth_person.get(p.a) == truth_person.get(p.b)]
    precision = len(correct) / len(pairs) if pairs else 1.0
    found_by_variant: Counter = Counter()
    total_by_variant: Counter = Counter()
    misses = []
    for pair, variant in register.duplicate_pairs.items():
        a, b = sorted(pair)
        total_by_variant[variant] += 1
        if a in predicted_group and predicted_group.get(a) == predicted_group.get(b):
            found_by_variant[variant] += 1
        else:
            misses.append((variant, a, b))
    recall = sum(found_by_variant.values()) / max(1, sum(total_by_variant.values()))
    print(f"precision {precision:.4f} ({len(correct):,}/{len(pairs):,} predicted pairs true)   "
          f"recall {recall:.4f} ({sum(found_by_variant.values()):,}/{sum(total_by_variant.values()):,})")
    for variant in VARIANTS:
        total = total_by_variant[variant]
        print(f"  {variant:<22} recall {found_by_variant[variant] / max(1, total):.4f}  "
              f"({found_by_variant[variant]}/{total})")
    false_by_kind: Counter = Counter()
    total_by_kind: Counter = Counter()
    for pair, kind in register.truth.hard_negatives.items():
        a, b = sorted(pair)
        total_by_kind[kind] += 1
        if a in predicted_group and predicted_group.get(a) == predicted_group.get(b):
            false_by_kind[kind] += 1
    if second_change:
        found_by_change: Counter = Counter()
        for pair, change in second_change.items():
            a, b = sorted(pair)
            found_by_change[change] += a in predicted_group and predicted_group.get(a) == predicted_group.get(b)
        for change, total in sorted(Counter(second_change.values()).items()):
            print(f"  + {change:<20} recall {found_by_change[change] / total:.4f}  ({found_by_change[change]}/{total})")
    print("hard negatives wrongly grouped: " + ", ".join(
        f"{kind} {false_by_kind[kind]}/{total_by_kind[kind]}" for kind in sorted(total_by_kind)))

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

    if args.show_misses:
        by_ref = {r.ref: r for r in records}
        print("\nmisses:")
        for variant, a, b in misses[: args.show_misses]:
            print(f"  [{variant}] {_brief(by_ref[a])}\n  {' ' * (len(variant) + 2)} {_brief(by_ref[b])}")
        print("\nfalse pairs:")
        for p in [p for p in pairs if p not in correct][: args.show_misses]:
            print(f"  {p.score} {p.reasons}\n    {_brief(by_ref[p.a])}\n    {_brief(by_ref[p.b])}")
    return 0


def _brief(r) -> str:
    return (f"{r.ref} {r.name!r} {r.sex} {r.birth_date} ibu={r.mother_name!r} ayah={r.father_name!r} "
            f"{r.birth_place} {r.nik}")


if __name__ == "__main__":
    raise SystemExit(main())
