"""Media by sha256 (resumable: a cut upload continues where it stopped, finished parts are never
sent again) and the pull of the office's changes by cursor (no echo back), between an office and
a field node in one process (tests/integration/sync_factories.py)."""
from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest

from tests.integration.sync_factories import bus, count, in_node, node, office, walk_in  # noqa: F401
from webapp.auth.models import User
from webapp.core.changes import record_change
from webapp.extensions import db
from webapp.files.models import StoredFile
from webapp.files.services import path_of
from webapp.intake import services as intake
from webapp.intake.models import Application, ApplicationFile
from webapp.sync import media, services
from webapp.sync.client import FlaskTransport, OfficeUnreachable
from webapp.sync.models import FeedEntry, MediaUpload, NodeLink, OutboxEntry, TripCheckout, CHECKED_IN

PART = 50_000


class Upload:
    def __init__(self, data: bytes, filename: str):
        self.stream, self.filename = io.BytesIO(data), filename


def photo_bytes(size: int = 180_000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


class CuttableTransport(FlaskTransport):
    """The office's test client, with the link cut after `cut_after` media parts; counts what is sent."""

    def __init__(self, app, cut_after: int | None = None):
        super().__init__(app)
        self.cut_after, self.parts, self.part_bytes = cut_after, 0, 0

    def __call__(self, method, url, *, headers, body, timeout):
        if method == "PUT":
            if self.cut_after is not None and self.parts >= self.cut_after:
                raise OfficeUnreachable("kantor tidak terjangkau: link cut")
            self.parts += 1
            self.part_bytes += len(body or b"")
        return super().__call__(method, url, headers=headers, body=body, timeout=timeout)


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(media, "PART_BYTES", PART)


def photo_on_node(node, bus, data: bytes):
    _visit_id, application_id = walk_in(node, bus)
    application = db.session.get(Application, application_id)
    officer = db.session.get(User, bus.officer_id)
    attached = intake.attach_file(application, Upload(data, "foto.png"), kind="foto", actor=officer)
    db.session.commit()
    return application_id, attached.id


def test_a_cut_upload_resumes_without_sending_a_finished_part_again(office, node, bus, small_parts):
    data = photo_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with in_node(node):
        application_id, attached_id = photo_on_node(node, bus, data)
        cut = CuttableTransport(office, cut_after=2)
        first = services.run_once(transport=cut)
        assert not first.ok and "link cut" in first.error
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == count(OutboxEntry)   # nothing pushed
    db.session.remove()
    assert db.session.get(MediaUpload, sha).received == 2 * PART and not path_of(sha).exists()
    assert StoredFile.query.filter_by(sha256=sha).count() == 0
    with in_node(node):
        rest = CuttableTransport(office)
        second = services.run_once(transport=rest)
        assert second.ok and second.conflicts == 0
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    assert cut.part_bytes + rest.part_bytes == len(data)                 # each byte sent once
    assert rest.parts == -(-(len(data) - 2 * PART) // PART)
    db.session.remove()
    assert path_of(sha).read_bytes() == data and oct(path_of(sha).stat().st_mode & 0o777) == "0o600"
    assert db.session.get(MediaUpload, sha).completed_at is not None
    assert StoredFile.query.filter_by(sha256=sha).one().size == len(data)
    assert db.session.get(ApplicationFile, attached_id).application_id == application_id
    with in_node(node):
        again = CuttableTransport(office)
        assert services.run_once(transport=again).ok and again.parts == 0    # nothing left to send


def media_put(office, token, sha, body, *, offset=0, size=None, mime="image/png"):
    with office.app_context():
        return office.test_client().put(
            f"/sync/v1/media/{sha}?offset={offset}", data=body,
            headers={"Authorization": f"Bearer {token}", "X-Media-Size": str(size or len(body)), "X-Media-Type": mime})


def test_the_media_endpoint_checks_offset_hash_type_size_and_checkout(office, node, bus, small_parts):
    data = photo_bytes(120_000)
    sha = hashlib.sha256(data).hexdigest()
    assert media_put(office, bus.token, sha, data[:PART], size=len(data)).json == {"received": PART, "complete": False}
    wrong_offset = media_put(office, bus.token, sha, data[:PART], size=len(data))
    assert wrong_offset.status_code == 409 and wrong_offset.json["received"] == PART
    status = office.test_client().get(f"/sync/v1/media/{sha}", headers={"Authorization": f"Bearer {bus.token}"})
    assert status.json == {"received": PART, "complete": False}
    bad = media_put(office, bus.token, sha, b"x" * (len(data) - PART), offset=PART, size=len(data))
    assert bad.status_code == 422 and bad.json["error"] == "sha256_mismatch" and bad.json["received"] == 0
    assert not path_of(sha).exists()
    assert media_put(office, bus.token, sha, data).json == {"received": len(data), "complete": True}
    assert media_put(office, bus.token, hashlib.sha256(b"%PDF").hexdigest(), b"%PDF", mime="text/html").status_code == 415
    office.config["SYNC_MEDIA_MAX_BYTES"] = 1000
    try:
        assert media_put(office, bus.token, "a" * 64, b"\x89PNG" * 500).status_code == 413
    finally:
        office.config.pop("SYNC_MEDIA_MAX_BYTES")
    assert media_put(office, "kp1_" + "q" * 43, "b" * 64, b"x").status_code == 401
    TripCheckout.query.filter_by(trip_id=bus.trip_id).one().status = CHECKED_IN
    db.session.commit()
    refused = media_put(office, bus.token, "c" * 64, b"x")
    assert refused.status_code == 403 and refused.json["error"] == "not_checked_out"


def test_the_node_pulls_the_offices_changes_by_cursor_without_echo(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        assert services.run_once().ok
        written = count(OutboxEntry)
    db.session.remove()
    assert count(FeedEntry) == 0                          # what came from the node is not fed back
    application = db.session.get(Application, application_id)
    application.document_number = "3171-LT-01012026-0001"     # e.g. a SIAK number issued at the office
    record_change(application, "update", actor=None, audit=False)
    db.session.commit()
    fed = FeedEntry.query.one()
    assert (fed.node_code, fed.table_name, fed.trip_id) == ("BUS-01", "application", bus.trip_id)
    with in_node(node):
        result = services.run_once()
        assert result.ok and result.pulled == 1 and result.pushed == 0
        db.session.remove()
        assert db.session.get(Application, application_id).document_number == "3171-LT-01012026-0001"
        assert count(OutboxEntry) == written                  # applying the pull wrote no outbox row
        assert db.session.get(NodeLink, 1).pull_cursor == fed.seq
        again = services.run_once()
        assert again.ok and again.pulled == 0


def test_a_row_of_a_trip_not_checked_out_is_not_fed(office, node, bus):
    with in_node(node):
        _visit_id, application_id = walk_in(node, bus)
        assert services.run_once().ok
    db.session.remove()
    TripCheckout.query.filter_by(trip_id=bus.trip_id).one().status = CHECKED_IN
    db.session.commit()
    application = db.session.get(Application, application_id)
    application.note = "Diperiksa di kantor"
    record_change(application, "update", actor=None, audit=False)
    db.session.commit()
    assert count(FeedEntry) == 0


def test_pull_is_only_for_the_calling_node(office, node, bus):
    other = FeedEntry(entry_id=uuid.uuid4(), table_name="visit", row_key="x", payload={}, content_hash="0" * 64,
                      node_code="BUS-02")
    db.session.add(other)
    db.session.commit()
    answer = office.test_client().get("/sync/v1/pull?cursor=0", headers={"Authorization": f"Bearer {bus.token}"})
    assert answer.status_code == 200 and answer.json["entries"] == [] and answer.json["cursor"] == 0
