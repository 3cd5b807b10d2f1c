from webapp.demo import run_demo_loaders
from webapp.trips import services
from webapp.trips.models import Trip


def test_demo_trips_load_once_with_a_shared_and_a_departed_trip(app):
    run_demo_loaders(lambda line: None)
    run_demo_loaders(lambda line: None)          # idempotent
    trips = {t.status: t for t in Trip.query.all()}
    assert Trip.query.count() == 2 and set(trips) == {"dijadwalkan", "berangkat"}
    shared = trips["dijadwalkan"]
    assert len(shared.requests) == 2
    assert {m.division for m in shared.members} == {"dafduk", "capil"}
    assert shared.equipment and services.stock_on_trip(shared)
    assert all(r.step3.within_standard for r in services.trip_timeline(shared).requests)
    assert services.trip_timeline(trips["berangkat"]).step4.running
