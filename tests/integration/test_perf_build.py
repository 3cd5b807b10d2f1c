"""The performance suite's database builder (bench/perf_build.py) at a tiny scale: the rows it
writes are there, in the numbers asked for, and shaped as the services write them, so the suite
does not rot between its (long) runs."""
from __future__ import annotations

import sys
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from webapp import create_app
from webapp.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import perf_build  # noqa: E402


def test_builder_writes_a_service_year_the_dashboard_can_measure(tmp_path):
    from webapp.core.changes import StatusHistory
    from webapp.field.models import Visit
    from webapp.intake.models import Application, Receipt
    from webapp.quality.models import Person
    from webapp.reports.models import StepMeasure

    scale = 0.004                                   # 1,000 residents (the floor), 10 letters, 2 trips
    size = perf_build.sizes(scale)
    assert (size.residents, size.letters, size.trips, size.applications) == (1_000, 10, 2, 300)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'perf.sqlite'}",
                      "UPLOAD_FOLDER": str(tmp_path / "files"), "SERVER_NAME": None,
                      "AGENT_TICKET_KEY_FILE": str(tmp_path / "agent.pem"), "TESTING": False})
    counts = perf_build.build_database(app, scale=scale, seed=3, key="test-key")

    assert counts["person"] == 1_000
    assert (counts["village_request"], counts["request_resident"], counts["trip"]) == (10, 300, 2)
    assert counts["visit"] == counts["application"] == 300
    with app.app_context():
        assert db.session.execute(db.text("SELECT key FROM perf_suite_build")).scalar_one() == "test-key"
        applications = db.session.execute(select(Application)).scalars().all()
        # Every application's history starts at draf and ends where the application stands.
        last = {}
        first = {}
        for row in db.session.execute(select(StatusHistory).where(StatusHistory.entity_type == "application")
                                      .order_by(StatusHistory.at)).scalars():
            first.setdefault(row.entity_id, row)
            last[row.entity_id] = row
        assert all(first[a.id].from_status is None and first[a.id].to_status == "draf" for a in applications)
        assert all(last[a.id].to_status == a.status for a in applications)
        statuses = Counter(a.status for a in applications)
        assert statuses["selesai_lapangan"] and statuses["diambil"]
        # The receipt path: one receipt per such application, its holder a resident of the register.
        with_receipt = [a for a in applications if a.receipt_id is not None]
        assert counts["receipt"] == len(with_receipt) > 0
        register_niks = set(db.session.execute(select(Person.nik)).scalars())
        receipts = db.session.execute(select(Receipt)).scalars().all()
        assert all(r.holder_nik in register_niks for r in receipts)
        assert all((r.status == "selesai") == (r.closed_at is not None) for r in receipts)
        # The SOP steps were measured from that history (flask reports remeasure).
        assert db.session.scalar(select(func.count()).select_from(StepMeasure)) == counts["sop_step_measure"] > 0

    # Per run: a trip of today on site, its roster made through the services.
    run = perf_build.prepare_run(app, 6, tag="t")
    with app.app_context():
        visits = db.session.execute(select(Visit).where(Visit.trip_id == uuid.UUID(run["trip"]))).scalars().all()
        assert len(visits) == len(run["visits"]) > 0
        assert all(v.status == "terdaftar" and v.nik for v in visits)
