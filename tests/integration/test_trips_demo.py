from webapp.demo import run_demo_loaders
from webapp.trips import services
from webapp.trips.models import Trip


def test_demo_trips_load_once_with_a_shared_a_finished_and_an_arrived_trip(app):
    run_demo_loaders(lambda line: None)
    run_demo_loaders(lambda line: None)          # idempotent
    trips = {t.status: t for t in Trip.query.all()}
    # Scheduled (shared by both divisions), a week ago (finished), and today's, which left this
    # morning and is on site now (the field demo records its arrival).
    assert Trip.query.count() == 3 and set(trips) == {"dijadwalkan", "selesai", "tiba"}
    shared = trips["dijadwalkan"]
    assert len(shared.requests) == 2
    assert {m.division for m in shared.members} == {"dafduk", "capil"}
    assert shared.equipment and services.stock_on_trip(shared)
    assert all(r.step3.within_standard for r in services.trip_timeline(shared).requests)
    step4 = services.trip_timeline(trips["selesai"]).step4
    assert not step4.running and step4.within_standard
    # Today's road after the rain: 2 h 25 min, over the SOP's 2 hours (the mutu baku has a slow trip).
    step4 = services.trip_timeline(trips["tiba"]).step4
    assert not step4.running and not step4.within_standard
