"""`generate_register`: a deterministic synthetic population register with the truth kept apart.

Families first (until the register is nearly full), then the hard negatives, the duplicates and
the anomalies are planted, and the people are written out as PersonRecords family by family
(refs are 1-based row numbers). The same (n, seed, options) gives the same register, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from webapp.quality.records import PersonRecord

from .anomalies import ANOMALY_CODES, label_nik_side_effects, plant_anomalies
from .duplicates import CHANGE_PAIRS, VARIANTS, plant_changed_duplicates, plant_duplicates
from .negatives import plant_hard_negatives
from .people import ROLE_ORDER, Population

REFERENCE_DATE = date(2025, 7, 1)  # "today" of the synthetic register: keeps ages deterministic


@dataclass
class SyntheticTruth:
    """What the generator planted; refs are the records' 1-based row numbers."""
    duplicate_pairs: dict[frozenset, str] = field(default_factory=dict)  # {ref_a, ref_b} -> variant or "a+b"
    anomalies: dict[int, set[str]] = field(default_factory=dict)         # ref -> anomaly codes
    hard_negatives: dict[frozenset, str] = field(default_factory=dict)   # {ref_a, ref_b} -> kind
    duplicate_details: dict[frozenset, str] = field(default_factory=dict)  # {ref_a, ref_b} -> what changed


@dataclass
class SyntheticRegister:
    records: list[PersonRecord]
    truth: SyntheticTruth
    seed: int
    as_of: date = REFERENCE_DATE

    @property
    def duplicate_pairs(self) -> dict[frozenset, str]:
        return self.truth.duplicate_pairs

    @property
    def anomalies(self) -> dict[int, set[str]]:
        return self.truth.anomalies


def generate_register(n: int, seed: int = 1, *, duplicate_rate: float = 0.02,
                      anomaly_rate: float = 0.01, as_of: date = REFERENCE_DATE,
                      duplicate_changes: int = 1) -> SyntheticRegister:
    """A register of exactly `n` records with planted duplicates and anomalies (truth apart).

    `duplicate_changes`: 1 — each duplicate differs from its original in one of VARIANTS;
    2 — in a pair of CHANGES (every pair in turn, see CHANGE_PAIRS)."""
    if n < 50:
        raise ValueError("n must be at least 50")
    if duplicate_changes not in (1, 2):
        raise ValueError("duplicate_changes must be 1 or 2")
    kinds = VARIANTS if duplicate_changes == 1 else CHANGE_PAIRS
    population = Population(seed, as_of)
    n_duplicates = round(n * duplicate_rate)
    if duplicate_rate > 0:
        n_duplicates = max(n_duplicates, len(kinds))
    live = 0
    while live < n - n_duplicates:
        before = len(population.families)
        population.add_family()
        live += sum(len(f.members) for f in population.families[before:])
    plant_hard_negatives(population, max(1, n // 1000))
    if duplicate_changes == 1:
        plant_duplicates(population, max(0, n - live))
    else:
        plant_changed_duplicates(population, max(0, n - live))
    if anomaly_rate > 0:
        plant_anomalies(population, max(1, round(n * anomaly_rate / len(ANOMALY_CODES))))
    register = _build(population, seed)
    del register.records[n:]  # the last family may overshoot by a few members
    _drop_truth_beyond(register, n)
    return register


def _build(population: Population, seed: int) -> SyntheticRegister:
    label_nik_side_effects(population)
    records: list[PersonRecord] = []
    ref_of: dict[int, int] = {}
    for family in sorted(population.families, key=lambda f: (f.desa.code, f.no_kk)):
        members = sorted(family.members, key=lambda p: (ROLE_ORDER[p.family_role], p.birth_date, p.pid))
        for person in members:
            ref = len(records) + 1
            ref_of[person.pid] = ref
            records.append(PersonRecord(
                ref=ref, nik=person.nik, no_kk=family.no_kk, name=person.name, sex=person.sex,
                birth_place=person.birth_place, birth_date=person.birth_date,
                marital_status=person.marital_status, family_role=person.family_role,
                mother_name=person.mother_name, father_name=person.father_name,
                address=family.address, rt=family.rt, rw=family.rw, desa_code=family.desa.code))

    def refs(pids: frozenset) -> frozenset | None:
        mapped = frozenset(ref_of[p] for p in pids if p in ref_of)
        return mapped if len(mapped) == 2 else None

    truth = SyntheticTruth()
    for pids, variant in population.duplicate_pairs.items():
        if (pair := refs(pids)) is not None:
            truth.duplicate_pairs[pair] = variant
            truth.duplicate_details[pair] = population.duplicate_details.get(pids, variant)
    for pids, kind in population.hard_negatives.items():
        if (pair := refs(pids)) is not None:
            truth.hard_negatives[pair] = kind
    for pid, codes in sorted(population.anomalies.items()):
        if pid in ref_of and codes:
            truth.anomalies[ref_of[pid]] = set(codes)
    return SyntheticRegister(records=records, truth=truth, seed=seed, as_of=population.as_of)


def _drop_truth_beyond(register: SyntheticRegister, n: int) -> None:
    truth = register.truth
    truth.duplicate_pairs = {k: v for k, v in truth.duplicate_pairs.items() if max(k) <= n}
    truth.duplicate_details = {k: v for k, v in truth.duplicate_details.items() if k in truth.duplicate_pairs}
    truth.hard_negatives = {k: v for k, v in truth.hard_negatives.items() if max(k) <= n}
    truth.anomalies = {k: v for k, v in truth.anomalies.items() if k <= n}

