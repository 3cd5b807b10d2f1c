from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from webapp.requests.timeline import REQUEST_SOP_STEPS, SopStep, step_durations

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@dataclass
class Row:
    from_status: str | None
    to_status: str
    at: datetime


def test_steps_within_and_over_standard():
    rows = [Row(None, "baru", T0), Row("baru", "didisposisi", T0 + timedelta(minutes=4)),
            Row("didisposisi", "dijadwalkan", T0 + timedelta(minutes=20))]
    step2, step3 = step_durations(rows, REQUEST_SOP_STEPS)
    assert step2.duration == timedelta(minutes=4) and step2.within_standard is True
    assert step3.duration == timedelta(minutes=16) and step3.within_standard is False


def test_a_running_step_has_no_verdict_yet():
    step2, step3 = step_durations([Row(None, "baru", T0)], REQUEST_SOP_STEPS)
    assert step2.running and step2.within_standard is None and step2.duration is None
    assert step3.started_at is None and not step3.running


def test_a_returned_letter_is_measured_from_its_resubmission():
    rows = [Row(None, "baru", T0), Row("baru", "dikembalikan", T0 + timedelta(minutes=3)),
            Row("dikembalikan", "baru", T0 + timedelta(days=2)),
            Row("baru", "didisposisi", T0 + timedelta(days=2, minutes=2))]
    (step2,) = step_durations(reversed(rows), REQUEST_SOP_STEPS[:1])
    assert step2.duration == timedelta(minutes=2) and step2.within_standard


def test_generic_for_the_trip_step_4():
    step4 = SopStep(4, "Tiba di lokasi", "berangkat", "tiba", timedelta(hours=2))
    rows = [Row("dijadwalkan", "berangkat", T0), Row("berangkat", "tiba", T0 + timedelta(hours=2, minutes=30))]
    (result,) = step_durations(rows, [step4])
    assert result.within_standard is False and result.duration == timedelta(hours=2, minutes=30)


@dataclass
class NodeRow(Row):
    """A history row from a field node: its own `at`, and the office's reading of it."""
    corrected_at: datetime | None = None


def test_a_step_spanning_the_office_and_a_bus_clock_days_off_is_read_on_the_office_clock():
    """Departure recorded at the office, arrival on a bus laptop two days ahead: measured on the
    office's clock (the arrival's corrected time), 1 h 30 — not two days over the standard."""
    step4 = SopStep(4, "Tiba di lokasi", "berangkat", "tiba", timedelta(hours=2))
    ahead = timedelta(days=2)
    arrived = T0 + timedelta(hours=1, minutes=30)
    rows = [NodeRow("berangkat", "tiba", arrived + ahead, corrected_at=arrived),
            Row("dijadwalkan", "berangkat", T0)]
    (result,) = step_durations(rows, [step4])
    assert result.duration == timedelta(hours=1, minutes=30) and result.within_standard is True
    assert (result.started_at, result.ended_at) == (T0, arrived)


def test_rows_are_ordered_by_their_corrected_time():
    """A bus two days behind: its "baru" row's own time is before the office's, its corrected time after."""
    behind = timedelta(days=2)
    rows = [Row(None, "baru", T0), Row("baru", "dikembalikan", T0 + timedelta(minutes=3)),
            NodeRow("dikembalikan", "baru", T0 + timedelta(hours=1) - behind, corrected_at=T0 + timedelta(hours=1)),
            Row("baru", "didisposisi", T0 + timedelta(hours=1, minutes=2))]
    (step2,) = step_durations(rows, REQUEST_SOP_STEPS[:1])
    assert step2.duration == timedelta(minutes=2)
