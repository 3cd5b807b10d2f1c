"""The mutu baku dashboard's figures from a known status history, worked out by hand below; the
statement that measures a step in the database against the timelines' own `step_durations` on
random histories; the filters (bad values answered next to the field) and the pages."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from webapp.auth.roles import Role
from webapp.core.changes import StatusHistory
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.intake.models import Application
from webapp.reports import services
from webapp.reports.services import DashboardFilters, parse_filters
from webapp.reports.steps import MEASURES, measure
from webapp.requests.models import RequestedService, RequestResident, VillageRequest
from webapp.requests.timeline import step_durations
from webapp.trips.models import Trip, TripRequest

UTC = timezone.utc
LOKSADO, HARATAI = "63.06.10.2009", "63.06.10.2010"
T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)          # 09:00 WITA
MIN = timedelta(minutes=1)
_N = {"n": 0}


def _n() -> int:
    _N["n"] += 1
    return _N["n"]


def _history(entity_type: str, entity_id, moves, *, node: str = "OFFICE") -> None:
    """Status history rows: moves = [(status, at) or (status, at, clock offset in seconds)]."""
    before = None
    for move in moves:
        status, at, offset = (move + (None,))[:3]
        db.session.add(StatusHistory(entity_type=entity_type, entity_id=entity_id, from_status=before,
                                     to_status=status, at=at, clock_offset_s=offset, actor_name="uji",
                                     node=node if offset is not None else "OFFICE"))
        before = status


def _letter(desa: str, service: str, moves) -> VillageRequest:
    n = _n()
    req = VillageRequest(number=f"PMH-UJI-{n:05d}", letter_number=f"140/{n}/UJI", letter_date=date(2026, 11, 1),
                         desa_code=desa, signatory_name="Kepala Desa", requested_date=date(2026, 11, 20),
                         location="Balai Desa", status=moves[-1][0])
    resident = RequestResident(request=req, name=f"Warga {n}", sex="L", birth_date=date(1990, 1, 1))
    resident.services.append(RequestedService(service_code=service, subtype_code="baru"))
    db.session.add_all([req, resident])
    db.session.flush()
    _history("request", req.id, moves)
    return req


def _trip(requests, moves) -> Trip:
    n = _n()
    trip = Trip(number=f"PJL-UJI-{n:05d}", start_date=date(2026, 11, 13), end_date=date(2026, 11, 13), bus="Bus uji",
                node_code="BUS-01", lead_division="dafduk", status=moves[-1][0])
    db.session.add(trip)
    db.session.flush()
    for position, req in enumerate(requests):
        db.session.add(TripRequest(trip_id=trip.id, request_id=req.id, position=position))
    _history("trip", trip.id, moves)
    return trip


def _visit(trip: Trip, desa: str, moves) -> Visit:
    visit = Visit(trip_id=trip.id, desa_code=desa, name=f"Warga {_n()}", status=moves[-1][0])
    db.session.add(visit)
    db.session.flush()
    _history("visit", visit.id, moves)
    return visit


def _application(visit: Visit, service: str, moves) -> Application:
    application = Application(visit_id=visit.id, trip_id=visit.trip_id, service_code=service, subtype_code="baru",
                              subject_name=visit.name, status=moves[-1][0])
    db.session.add(application)
    db.session.flush()
    _history("application", application.id, moves)
    return application


def _at(start: datetime, *minutes: float):
    return [start + m * MIN for m in minutes]


@pytest.fixture
def history(app):
    """A known history (times in UTC; the minutes each step took are in the comments)."""
    found = {}
    t = T0
    a, b, c = _at(t, 0, 3, 11)                          # step 2: 3 min; step 3: 8 min
    found["r1"] = _letter(LOKSADO, "KIA", [("baru", a), ("didisposisi", b), ("dijadwalkan", c)])
    a, b, c = _at(t + 60 * MIN, 0, 5, 20)               # step 2: 5 min (the standard: within); step 3: 15 min
    found["r2"] = _letter(LOKSADO, "KTP_EL", [("baru", a), ("didisposisi", b), ("dijadwalkan", c)])
    a, b = _at(t + 120 * MIN, 0, 7)                     # step 2: 7 min
    found["r3"] = _letter(HARATAI, "KTP_EL", [("baru", a), ("didisposisi", b)])
    a, b = _at(t + 180 * MIN, 0, 12)                    # step 2: 12 min
    found["r4"] = _letter(HARATAI, "AKTA_LAHIR", [("baru", a), ("didisposisi", b)])
    a, b, c, d = _at(t + 240 * MIN, 0, 2, 62, 66)       # returned, sent again, disposed: 4 min
    found["r5"] = _letter(LOKSADO, "KIA", [("baru", a), ("dikembalikan", b), ("baru", c), ("didisposisi", d)])
    found["r6"] = _letter(HARATAI, "KK", [("baru", t + 300 * MIN)])          # still waiting: no figure
    # 31 October 23:50 WITA → 1 November 00:10 WITA (still October in UTC): 20 min, a November figure.
    a, b = datetime(2026, 10, 31, 15, 50, tzinfo=UTC), datetime(2026, 10, 31, 16, 10, tzinfo=UTC)
    found["r7"] = _letter(LOKSADO, "KK", [("baru", a), ("didisposisi", b)])
    # 31 October 23:20 → 23:30 WITA: 10 min, an October figure.
    a, b = datetime(2026, 10, 31, 15, 20, tzinfo=UTC), datetime(2026, 10, 31, 15, 30, tzinfo=UTC)
    found["r8"] = _letter(HARATAI, "KK", [("baru", a), ("didisposisi", b)])

    # Step 4. Trip X: the arrival written on a bus whose clock was an hour behind: 1 h as written,
    # 2 h on the office's clock (within). Trip Y: 3 h 10 as written, the clock 30 min ahead: 2 h 40.
    left = datetime(2026, 11, 12, 22, 30, tzinfo=UTC)
    found["x"] = _trip([found["r1"], found["r2"]], [("dijadwalkan", t + 20 * MIN), ("berangkat", left),
                                                    ("tiba", left + 60 * MIN, 3600.0)])
    found["y"] = _trip([found["r4"]], [("dijadwalkan", t + 200 * MIN), ("berangkat", left + 10 * MIN),
                                       ("tiba", left + 200 * MIN, -1800.0)])

    # Step 5 on trip X: 10, 20 (the standard), 25 min; a visit reopened counts its first closing (12);
    # a resident sent home has no figure.
    day = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)
    v1 = _visit(found["x"], LOKSADO, [("menunggu", day), ("dipanggil", day + 1 * MIN), ("selesai", day + 11 * MIN)])
    v2 = _visit(found["x"], LOKSADO, [("menunggu", day), ("dipanggil", day + 12 * MIN), ("selesai", day + 32 * MIN)])
    v3 = _visit(found["x"], HARATAI, [("menunggu", day), ("dipanggil", day + 33 * MIN), ("selesai", day + 58 * MIN)])
    v4 = _visit(found["x"], LOKSADO, [("menunggu", day), ("dipanggil", day + 60 * MIN), ("selesai", day + 72 * MIN),
                                      ("dipanggil", day + 90 * MIN), ("selesai", day + 105 * MIN)])
    _visit(found["x"], HARATAI, [("menunggu", day), ("dipanggil", day + 106 * MIN), ("dipulangkan", day + 110 * MIN)])
    found.update(v1=v1, v2=v2, v3=v3, v4=v4)

    # Step 6 and the 1-hour rule at the office (received, taken, number recorded).
    office = datetime(2026, 11, 16, 0, 10, tzinfo=UTC)

    def desk(visit, service, taken, issued):
        return _application(visit, service, [("tanda_terima", office - 60 * MIN), ("di_kantor", office),
                                             ("diproses", office + taken * MIN), ("terbit", office + issued * MIN)])
    found["a1"] = desk(v1, "KIA", 30, 34)          # step 6: 4 min;  1 h rule: 34 min
    found["a2"] = desk(v2, "KTP_EL", 50, 57)       # 7 min (over);   57 min
    found["a3"] = desk(v3, "KK", 70, 75)           # 5 min;          1 h 15 (over)
    found["a4"] = desk(v4, "KIA", 2, 8)            # 6 min (over);   8 min
    db.session.commit()
    return found


def _figures(args: dict | None = None) -> dict:
    return {s.measure.key: s for s in services.dashboard(parse_filters(args or {})).steps}


def _check(figures, count, within, median, p90):
    assert (figures.count, figures.within) == (count, within)
    assert figures.median == median and figures.p90 == p90


def test_every_step_from_the_history_against_its_standard(history):
    steps = _figures()
    # Step 2: 3, 4, 5, 7, 10, 12, 20 min; within: 3, 4, 5.
    # median: the 4th = 7; p90: rank 6 × 0.9 = 5.4 → 12 + 0.4 × (20 − 12) = 15.2 min.
    _check(steps["disposisi"], 7, 3, 7 * MIN, timedelta(minutes=15, seconds=12))
    assert steps["disposisi"].percent_within == 43 and steps["disposisi"].over == 4
    # Step 3: 8, 15 → median 11.5; p90 = 8 + 0.9 × 7 = 14.3 min.
    _check(steps["penugasan"], 2, 1, timedelta(minutes=11, seconds=30), timedelta(minutes=14, seconds=18))
    # Step 4 on the office's clock: 2 h and 2 h 40 → median 2 h 20, p90 2 h 36.
    _check(steps["tiba"], 2, 1, timedelta(hours=2, minutes=20), timedelta(hours=2, minutes=36))
    # Step 5: 10, 12, 20, 25 → median 16; p90: 20 + 0.7 × 5 = 23.5 min.
    _check(steps["pelayanan"], 4, 3, 16 * MIN, timedelta(minutes=23, seconds=30))
    # Step 6: 4, 5, 6, 7 → median 5.5; p90: 6 + 0.7 = 6.7 min.
    _check(steps["penyelesaian"], 4, 2, timedelta(minutes=5, seconds=30), timedelta(minutes=6, seconds=42))
    # The 1-hour rule: 8, 34, 57, 75 → median 45.5; p90: 57 + 0.7 × 18 = 69.6 min.
    _check(steps["aturan-1-jam"], 4, 3, timedelta(minutes=45, seconds=30), timedelta(minutes=69, seconds=36))
    assert steps["aturan-1-jam"].slowest == 75 * MIN


def test_the_distribution_counts_each_case_in_its_quarter_of_the_standard(history):
    bins = _figures()["disposisi"].bins
    # Quarters of 5 min: 3 → (2.5, 3.75] bin 2; 4 → bin 3; 5 → bin 3 (the standard is within);
    # 7 → bin 5; 10 → bin 7; 12 → bin 9; 20 (4×) → the last bin.
    assert bins == (0, 0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 1)
    assert sum(bins[:4]) == _figures()["disposisi"].within


def test_the_month_is_the_month_the_step_ended_in_wita(history):
    november = _figures({"month": "2026-11"})
    _check(november["disposisi"], 6, 3, 6 * MIN, 16 * MIN)      # 3, 4, 5, 7, 12, 20
    october = _figures({"month": "2026-10"})
    _check(october["disposisi"], 1, 0, 10 * MIN, 10 * MIN)
    assert october["pelayanan"].count == 0 and october["pelayanan"].median is None
    assert october["pelayanan"].share_within is None


def test_filters_by_trip_desa_and_service(history):
    trip = _figures({"trip": history["x"].number})
    _check(trip["disposisi"], 2, 2, 4 * MIN, timedelta(minutes=4, seconds=48))
    _check(trip["penugasan"], 2, 1, timedelta(minutes=11, seconds=30), timedelta(minutes=14, seconds=18))
    _check(trip["tiba"], 1, 1, 2 * timedelta(hours=1), 2 * timedelta(hours=1))
    assert trip["pelayanan"].count == 4 and trip["aturan-1-jam"].count == 4
    by_id = _figures({"trip": str(history["y"].id)})
    assert by_id["tiba"].count == 1 and by_id["tiba"].within == 0 and by_id["pelayanan"].count == 0

    loksado = _figures({"desa": LOKSADO})
    _check(loksado["disposisi"], 4, 3, timedelta(minutes=4, seconds=30), timedelta(minutes=15, seconds=30))
    _check(loksado["pelayanan"], 3, 3, 12 * MIN, timedelta(minutes=18, seconds=24))   # 10, 12, 20
    assert loksado["tiba"].count == 1                                                 # trip X serves Loksado
    haratai = _figures({"desa": HARATAI})
    assert haratai["disposisi"].count == 3 and haratai["disposisi"].within == 0        # 7, 10, 12
    assert haratai["aturan-1-jam"].count == 1 and haratai["aturan-1-jam"].within == 0  # a3: 1 h 15

    kia = _figures({"service": "KIA"})
    _check(kia["disposisi"], 2, 2, timedelta(minutes=3, seconds=30), timedelta(minutes=3, seconds=54))
    _check(kia["pelayanan"], 2, 2, 11 * MIN, timedelta(minutes=11, seconds=48))        # v1 10, v4 12
    _check(kia["penyelesaian"], 2, 1, 5 * MIN, timedelta(minutes=5, seconds=48))       # a1 4, a4 6
    assert kia["tiba"].count == 1                                                      # trip X's letter asks KIA

    both = _figures({"month": "2026-11", "desa": HARATAI, "service": "KTP_EL"})
    _check(both["disposisi"], 1, 0, 7 * MIN, 7 * MIN)


def test_the_slow_cases_slowest_first_one_page_at_a_time(history):
    step = measure("disposisi")
    first = services.slow_cases(step, DashboardFilters(), per_page=3)
    assert first.total == 4 and first.has_next and first.pages == 2
    assert [c.title for c in first.items] == [history[k].number for k in ("r7", "r4", "r8")]
    assert [c.duration for c in first.items] == [20 * MIN, 12 * MIN, 10 * MIN]
    assert first.items[0].over_by == 15 * MIN and first.items[0].endpoint == "requests.request_detail"
    assert "Loksado" in first.items[0].detail
    last = services.slow_cases(step, DashboardFilters(), page=9, per_page=3)
    assert last.page == 2 and [c.title for c in last.items] == [history["r3"].number] and not last.has_next
    assert history["r4"].number in [c.title for c in first.items]
    four = services.slow_cases(measure("tiba"), DashboardFilters())
    assert [c.title for c in four.items] == [history["y"].number]
    assert four.items[0].started_at == datetime(2026, 11, 12, 22, 40, tzinfo=UTC)
    assert four.items[0].duration == timedelta(hours=2, minutes=40)
    office = services.slow_cases(measure("penyelesaian"), parse_filters({"service": "KTP_EL"}))
    assert [c.entity_id for c in office.items] == [history["a2"].id]
    assert office.items[0].trip == (history["x"].number, history["x"].id) and office.items[0].service == "KTP_EL"


def test_a_value_that_cannot_be_read_gets_a_message_and_is_not_applied(history):
    filters = parse_filters({"month": "2026-13", "trip": "garbage' OR 1=1", "desa": "99.99", "service": "SIM"})
    assert set(filters.errors) == {"month", "trip", "desa", "service"}
    assert "2026-13" in filters.errors["month"]
    assert not filters.active and filters.as_args() == {}
    assert _figures({"month": "bulan lalu"})["disposisi"].count == 7
    assert parse_filters({"month": "1999-01"}).errors and parse_filters({"trip": str(uuid.uuid4())}).errors
    good = parse_filters({"month": "2026-11", "desa": LOKSADO, "service": "KIA", "trip": history["x"].number})
    assert not good.errors and good.as_args() == {"month": "2026-11", "desa": LOKSADO, "service": "KIA",
                                                   "trip": history["x"].number}


# ---------------------------------------------------------------- the measures kept in step with the history

def _random_histories(rng: random.Random, entity_type: str, statuses: list[str], n: int) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    for _ in range(n):
        entity_id = uuid.uuid4()
        for _ in range(rng.randint(1, 7)):
            at = start + timedelta(seconds=rng.randint(0, 90 * 86400), microseconds=rng.choice((0, 281, 999_999)))
            offset = rng.choice([None, None, None, float(rng.randint(-3 * 86400, 3 * 86400)),
                                 float(rng.choice((-12, 12)) * 86400)])
            db.session.add(StatusHistory(entity_type=entity_type, entity_id=entity_id, to_status=rng.choice(statuses),
                                         at=at, clock_offset_s=offset, actor_name="uji",
                                         node="BUS-01" if offset else "OFFICE"))
    db.session.commit()


def _timeline_cases(entity_type: str, step) -> dict:
    """Each entity's step as its timeline page measures it: step_durations on history_of's order."""
    by_entity: dict = {}
    for row in StatusHistory.query.filter_by(entity_type=entity_type).all():
        by_entity.setdefault(row.entity_id, []).append(row)
    found = {}
    for entity_id, rows in by_entity.items():
        (result,) = step_durations(sorted(rows, key=lambda r: (r.corrected_at, r.id)), [step])
        if result.duration is not None:
            found[entity_id] = (result.started_at, result.ended_at, result.duration, result.within_standard)
    return found


def _dashboard_cases(step, filters=None) -> dict:
    return {c.entity_id: (c.started_at, c.ended_at, c.duration, c.within_standard)
            for c in services.step_cases(step, filters or DashboardFilters())}


@pytest.mark.parametrize("key", [m.key for m in MEASURES])
def test_each_case_is_measured_as_its_timeline_measures_it(app, key):
    """Random histories — restarts, ends before any start, several ends, rows from a bus with its
    clock days off — give each case the start, end and duration its timeline gives it, and the
    month and figures follow from those."""
    step = measure(key)
    rng = random.Random(key)
    others = {"request": "dikembalikan", "trip": "dijadwalkan", "visit": "menunggu", "application": "draf"}
    _random_histories(rng, step.entity_type, [step.step.from_status, step.step.to_status, others[step.entity_type]],
                      120)
    expected = _timeline_cases(step.entity_type, step.step)
    assert len(expected) > 20 and _dashboard_cases(step) == expected

    october = parse_filters({"month": "2026-10"})
    start, end = october.month_bounds()
    in_october = {k: v for k, v in expected.items() if start <= v[1] < end}
    assert set(_dashboard_cases(step, october)) == set(in_october)
    figures = services.step_figures(step, october)
    durations = sorted(v[2] for v in in_october.values())
    assert figures.count == len(durations) and figures.within == sum(v[3] for v in in_october.values())
    assert figures.median == _interpolated(durations, 0.5) and figures.p90 == _interpolated(durations, 0.9)


def test_a_change_to_the_history_measures_the_case_again(history):
    step = measure("disposisi")
    r3 = history["r3"]
    assert _dashboard_cases(step)[r3.id][2] == 7 * MIN
    row = StatusHistory.query.filter_by(entity_id=r3.id, to_status="didisposisi").one()
    row.at = row.at + 30 * MIN                      # a time moved (as the demo moves its times)
    db.session.commit()
    assert _dashboard_cases(step)[r3.id][2] == 37 * MIN
    row.clock_offset_s = -1800.0                    # the offset the office measured for the bus
    db.session.commit()
    assert _dashboard_cases(step)[r3.id][2] == 7 * MIN
    db.session.delete(row)                          # no end any more: no figure
    db.session.commit()
    assert r3.id not in _dashboard_cases(step)
    _history("request", r3.id, [("didisposisi", T0 + 130 * MIN)])
    db.session.rollback()                           # rolled back with the rows that caused it
    assert r3.id not in _dashboard_cases(step)
    assert _figures()["disposisi"].count == 6


def test_status_changes_through_the_door_are_measured_when_they_commit(app, make_user):
    from tests.integration.trip_factories import disposed_request
    req = disposed_request(kadis=make_user(Role.KEPALA_DINAS))
    (case,) = [c for c in services.step_cases(measure("disposisi"), DashboardFilters()) if c.entity_id == req.id]
    assert case.within_standard and case.duration < MIN
    assert req.id not in _dashboard_cases(measure("penugasan"))


def test_remeasure_rebuilds_what_was_written_behind_the_orm(history, app):
    from webapp.reports.models import StepMeasure
    from webapp.reports.upkeep import remeasure_all
    before = _figures()
    db.session.execute(StepMeasure.__table__.delete())
    db.session.execute(StatusHistory.__table__.insert(), [
        {"id": uuid.uuid4(), "entity_type": "trip", "entity_id": history["x"].id, "to_status": "berangkat",
         "at": datetime(2026, 11, 14, 0, 0, tzinfo=UTC), "actor_name": "uji", "node": "OFFICE"}])
    db.session.commit()
    assert _figures()["disposisi"].count == 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "remeasure"])
    assert result.exit_code == 0 and "request:" in result.output
    after = _figures()
    assert all(after[k] == before[k] for k in before if k != "tiba")
    assert after["tiba"] == before["tiba"]           # a departure after the arrival changes nothing
    assert remeasure_all(db.session.connection()) == {"request": 9, "trip": 2, "visit": 4, "application": 8}


def _interpolated(values: list[timedelta], p: float) -> timedelta | None:
    if not values:
        return None
    position = (len(values) - 1) * p
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return timedelta(microseconds=round(values[low] / timedelta(microseconds=1)
                                        + (values[high] - values[low]) / timedelta(microseconds=1) * (position - low)))


# ---------------------------------------------------------------- the pages

def test_the_page_and_its_figures_fragment(history, client, login_as):
    login_as(Role.KEPALA_DINAS)
    page = client.get("/laporan/mutu-baku")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="share-chart"' in text and "Mutu baku layanan" in text
    assert text.count('data-testid="mutu-row"') == len(MEASURES)
    assert "43%" in text and "/laporan/mutu-baku/disposisi/lambat" in text
    fragment = client.get("/laporan/mutu-baku?month=2026-10", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'hx-swap-oob="true"' in body
    assert "/laporan/mutu-baku/disposisi/lambat?month=2026-10" in body


def test_bad_filter_input_is_answered_next_to_the_field_never_500(history, client, login_as):
    login_as(Role.VIEWER)
    for path in ("/laporan/mutu-baku?month=2026-13&trip=zzz&desa=%00&service=%3Cscript%3E",
                 "/laporan/mutu-baku/pelayanan/lambat?month=2026&trip=" + "9" * 500 + "&page=-4"):
        for headers in (None, {"HX-Request": "true"}):
            answer = client.get(path, headers=headers)
            text = answer.get_data(as_text=True)
            assert answer.status_code == 200, path
            assert 'id="filter-error-month"' in text and "tidak dikenal" in text
            assert "Perjalanan tidak ditemukan" in text and "<script>" not in text
    assert client.get("/laporan/mutu-baku/tidak-ada/lambat").status_code == 404


def test_the_slow_cases_page_links_to_each_case(history, client, login_as):
    login_as(Role.KABID_DAFDUK)
    text = client.get("/laporan/mutu-baku/disposisi/lambat").get_data(as_text=True)
    assert text.count('data-testid="slow-case"') == 4
    assert f'/permohonan/{history["r7"].id}' in text and f'/perjalanan/{history["x"].id}' not in text
    office = client.get("/laporan/mutu-baku/aturan-1-jam/lambat").get_data(as_text=True)
    assert f'/dokumen/antrean/{history["a3"].id}' in office and f'/perjalanan/{history["x"].id}' in office
    client.post_form("/keluar", token_from="/")
    login_as(Role.KEPALA_DINAS)           # may not open the operator's page: the visit instead
    office = client.get("/laporan/mutu-baku/aturan-1-jam/lambat").get_data(as_text=True)
    assert f'/dokumen/antrean/{history["a3"].id}' not in office and f'/lapangan/kunjungan/{history["v3"].id}' in office


def test_a_field_node_does_not_serve_the_dashboard(history, app, client, login_as):
    login_as(Role.ADMIN)
    app.config["ROLE"] = "field"
    answer = client.get("/laporan/mutu-baku")
    assert answer.status_code == 409 and "hanya di kantor" in answer.get_data(as_text=True)
