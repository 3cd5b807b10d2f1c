"""SOP timelines: how long each step took against its standard (mutu baku), read from the
status history. Generic: the request uses steps 2–3, the trip step 4.

A step runs from the moment its entity *entered* `from_status` to the first time it then
entered `to_status`. When a step started several times (a returned letter sent again), the
clock counts from the latest start before the end: the office is measured on the letter it
could act on.

Times are read on the office's clock: a history row written on a field node counts at its
`corrected_at` (as written plus the clock offset measured at the sync that brought it), so a
laptop clock days off neither reorders the steps nor stretches a step that spans both sides
(departure recorded at the office, arrival on the bus). Rows without it count at `at`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol

from flask_babel import lazy_gettext as _l

from webapp.core.changes import event_time


class HistoryRow(Protocol):
    from_status: str | None
    to_status: str
    at: datetime


@dataclass(frozen=True)
class SopStep:
    number: int
    title: object           # lazy string
    from_status: str
    to_status: str
    standard: timedelta


@dataclass(frozen=True)
class StepResult:
    step: SopStep
    started_at: datetime | None
    ended_at: datetime | None
    duration: timedelta | None          # None until the step has ended
    within_standard: bool | None        # None until the step has ended

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.ended_at is None


def step_durations(history_rows: Iterable[HistoryRow], steps: Iterable[SopStep]) -> list[StepResult]:
    """One StepResult per step, in the order given. Rows may come in any order."""
    rows = sorted(history_rows, key=event_time)
    results = []
    for step in steps:
        end_index = None
        first_start = next((i for i, r in enumerate(rows) if r.to_status == step.from_status), None)
        if first_start is not None:
            end_index = next((i for i in range(first_start + 1, len(rows))
                              if rows[i].to_status == step.to_status), None)
        limit = end_index if end_index is not None else len(rows)
        starts = [i for i in range(limit) if rows[i].to_status == step.from_status]
        started = event_time(rows[starts[-1]]) if starts else None
        ended = event_time(rows[end_index]) if end_index is not None else None
        duration = ended - started if started is not None and ended is not None else None
        within = duration <= step.standard if duration is not None else None
        results.append(StepResult(step, started, ended, duration, within))
    return results


REQUEST_SOP_STEPS = (
    SopStep(2, _l("Disposisi surat ke bidang (Kepala Dinas)"), "baru", "didisposisi", timedelta(minutes=5)),
    SopStep(3, _l("Penugasan petugas dan penjadwalan (Kabid)"), "didisposisi", "dijadwalkan",
            timedelta(minutes=10)),
)
