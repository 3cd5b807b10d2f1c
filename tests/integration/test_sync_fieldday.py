"""`flask demo field-day` (webapp.sync.fieldday) on a field node with a checked-out trip: N intakes
through the services make N applications with their photos and receipts, every row in the outbox;
pushed, they arrive at the office complete. Refused with a message on the office and on a node
with nothing checked out."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from tests.integration.sync_factories import count, in_node, office, node, bus  # noqa: F401
from webapp.extensions import db
from webapp.field.models import Visit
from webapp.files.models import StoredFile
from webapp.files.services import path_of
from webapp.intake.models import Application, ApplicationFile, Receipt
from webapp.sync import fieldday
from webapp.sync import services as sync_services
from webapp.sync.models import OutboxEntry, SyncConflict, TripCheckout

N = 4
PHOTOS = 2
PHOTO_KB = 24


def _outboxed(table: str, keys) -> set[str]:
    return set(db.session.execute(select(OutboxEntry.row_key).where(
        OutboxEntry.table_name == table, OutboxEntry.row_key.in_([str(k) for k in keys]))).scalars())


def test_n_intakes_make_n_applications_with_photos_and_receipts_all_in_the_outbox(office, node, bus):  # noqa: F811
    with in_node(node):
        before = {"visits": count(Visit), "applications": count(Application), "receipts": count(Receipt)}
        result = fieldday.fill(N, photos_per_application=PHOTOS, photo_kb=PHOTO_KB, seed=7)
        assert (result.applications, result.receipts, result.photos) == (N, N, N * PHOTOS)
        assert result.trip_number and result.visits == N
        applications = list(db.session.execute(select(Application).where(
            Application.trip_id == bus.trip_id).order_by(Application.created_at)).scalars())
        assert len(applications) == before["applications"] + N
        assert all(a.status == "tanda_terima" and a.receipt_id is not None for a in applications[-N:])
        receipts = list(db.session.execute(select(Receipt).where(Receipt.trip_id == bus.trip_id)).scalars())
        assert len(receipts) == before["receipts"] + N
        assert all(r.number.startswith("KP-BUS01-") for r in receipts)
        assert len({r.number for r in receipts}) == len(receipts)
        attached = list(db.session.execute(select(ApplicationFile).where(
            ApplicationFile.application_id.in_([a.id for a in applications[-N:]]))).scalars())
        assert len(attached) == N * PHOTOS
        stored = [db.session.get(StoredFile, a.file_id) for a in attached]
        assert len({s.sha256 for s in stored}) == N * PHOTOS                 # every photo differs
        sizes = []
        for item in stored:
            data = path_of(item.sha256).read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and hashlib.sha256(data).hexdigest() == item.sha256
            sizes.append(len(data))
        assert all(0.8 * PHOTO_KB * 1000 <= size <= 1.2 * PHOTO_KB * 1000 for size in sizes)
        assert result.photo_bytes == sum(sizes)
        # Every row of the day waits in the outbox, each under its own key.
        assert _outboxed("application", [a.id for a in applications[-N:]]) == {str(a.id) for a in applications[-N:]}
        assert len(_outboxed("receipt", [r.id for r in receipts[-N:]])) >= N
        assert _outboxed("application_file", [a.id for a in attached]) == {str(a.id) for a in attached}
        assert _outboxed("stored_file", [s.id for s in stored]) == {str(s.id) for s in stored}
        numbers = sorted(r.number for r in receipts)

        assert sync_services.run_once().ok
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    db.session.remove()
    at_office = sorted(db.session.execute(select(Receipt.number).where(Receipt.trip_id == bus.trip_id)).scalars())
    assert at_office == numbers
    assert count(Application, Application.trip_id == bus.trip_id, Application.status == "tanda_terima") == N
    for item in stored:
        assert path_of(item.sha256).exists()


def test_the_outbox_order_applies_one_entry_at_a_time(office, node, bus):  # noqa: F811
    """Any batch boundary is safe: pushed one entry per batch, in the outbox's order, a field day
    (visits, applications, status changes, photos, receipts linked to their applications) applies
    in one pass without a conflict — every row's parent was written to the outbox before it."""
    with in_node(node):
        fieldday.fill(3, photos_per_application=1, photo_kb=8, seed=11)
        waiting = count(OutboxEntry, OutboxEntry.sent_at.is_(None))
        node.config["SYNC_BATCH_SIZE"] = 1
        try:
            result = sync_services.run_once()
        finally:
            node.config.pop("SYNC_BATCH_SIZE")
        assert result.ok and result.conflicts == 0 and result.pushed == waiting
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    db.session.remove()
    assert count(SyncConflict) == 0
    assert count(Application, Application.trip_id == bus.trip_id, Application.receipt_id.isnot(None)) >= 3


def test_the_same_seed_makes_the_same_photos_and_another_seed_other_ones(office, node, bus):  # noqa: F811
    from webapp.synthetic.images import photo_png
    assert photo_png(3, 20_000) == photo_png(3, 20_000)
    assert photo_png(3, 20_000) != photo_png(4, 20_000)
    assert photo_png(3, 20_000, document=True) != photo_png(3, 20_000)


def test_field_day_is_refused_on_the_office_and_without_a_checked_out_trip(office, node, bus):  # noqa: F811
    answer = office.test_cli_runner().invoke(args=["demo", "field-day", "--applications", "1"])
    assert answer.exit_code == 1 and "ROLE=field" in answer.output and "Traceback" not in answer.output
    with in_node(node):
        for row in db.session.execute(select(TripCheckout)).scalars():
            db.session.delete(row)
        db.session.commit()
        answer = node.test_cli_runner().invoke(args=["demo", "field-day", "--applications", "1"])
        assert answer.exit_code == 1 and "check-out dulu" in answer.output and "Traceback" not in answer.output
        answer = node.test_cli_runner().invoke(args=["demo", "field-day", "-n", "1", "--trip", "TRP-TIDAK-ADA"])
        assert answer.exit_code == 1 and "TRP-TIDAK-ADA tidak sedang di laptop ini" in answer.output


def test_field_day_command_prints_one_summary_line(office, node, bus):  # noqa: F811
    with in_node(node):
        answer = node.test_cli_runner().invoke(args=["demo", "field-day", "-n", "2", "--photos", "1",
                                                     "--photo-kb", "8", "--seed", "3"])
    assert answer.exit_code == 0, answer.output
    lines = answer.output.strip().splitlines()
    assert len(lines) == 1 and "2 permohonan, 2 tanda terima" in lines[0] and "2 foto" in lines[0]
    with in_node(node):                         # the same seed again: a new day's pictures, not the same ones
        files = count(StoredFile)
        fieldday.fill(2, photos_per_application=1, photo_kb=8, seed=3)
        assert count(StoredFile) == files + 2


def test_the_office_demo_registers_the_bus_once_and_remakes_a_lost_token(app):
    import stat

    from webapp.sync import demo as sync_demo
    from webapp.sync import nodes
    node, done = sync_demo.ensure_demo_node()
    db.session.commit()
    path = sync_demo.token_file()
    first = path.read_text().strip()
    assert done == "didaftarkan" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert nodes.authenticate(first).code == "BUS-01"
    assert sync_demo.ensure_demo_node()[1] == "sudah terdaftar" and path.read_text().strip() == first
    path.unlink()
    node, done = sync_demo.ensure_demo_node()
    db.session.commit()
    second = path.read_text().strip()
    assert done == "token baru" and second != first and node.active
    assert nodes.authenticate(second).code == "BUS-01" and nodes.authenticate(first) is None
