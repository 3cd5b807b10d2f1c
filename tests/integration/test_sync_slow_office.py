"""A busy office that takes longer than the reachability timeout to answer a push or a media part
(bench/bench_sync_day.py met it on a loaded machine: 166 entries took 5 s to apply). The office
applies what it got whatever the node does; a node that gave up after 5 s sent the whole batch
again on its next pass. The worker now waits for the answer of a push or a part
(SYNC_TRANSFER_TIMEOUT_SECONDS) once hello answered; the button keeps its short timeout."""
from __future__ import annotations

import io
import os

from tests.integration.sync_factories import bus, count, in_node, node, office, walk_in  # noqa: F401
from webapp.auth.models import User
from webapp.extensions import db
from webapp.intake import services as intake
from webapp.intake.models import Application
from webapp.sync import services
from webapp.sync.client import FlaskTransport, OfficeUnreachable
from webapp.sync.models import AppliedEntry, MediaUpload, OutboxEntry

SLOW_S = 8.0          # how long the busy office takes to answer a push or a media part


class BusyOffice(FlaskTransport):
    """The office's test client behind a link whose pushes and media parts take SLOW_S to be
    answered: a call whose timeout is shorter reaches the office (which applies it) and then the
    node's side times out, as urllib does. Counts what the office received."""

    def __init__(self, app):
        super().__init__(app)
        self.pushes = self.parts = self.duplicates = 0

    def __call__(self, method, url, *, headers, body, timeout):
        answer = super().__call__(method, url, headers=headers, body=body, timeout=timeout)
        slow = method == "PUT" or url.endswith("/push")
        if url.endswith("/push"):
            self.pushes += 1
            self.duplicates += int((answer.json() or {}).get("duplicates") or 0)
        elif method == "PUT":
            self.parts += 1
        if slow and timeout < SLOW_S:
            raise OfficeUnreachable("kantor tidak terjangkau: timed out")
        return answer


class Upload:
    def __init__(self, data: bytes, filename: str):
        self.stream, self.filename = io.BytesIO(data), filename


def intake_with_photo(node, bus) -> int:
    _visit_id, application_id = walk_in(node, bus)
    application = db.session.get(Application, application_id)
    officer = db.session.get(User, bus.officer_id)
    photo = Upload(b"\x89PNG\r\n\x1a\n" + os.urandom(120_000), "foto.png")
    intake.attach_file(application, photo, kind="foto", actor=officer)
    db.session.commit()
    return count(OutboxEntry)


def test_the_worker_waits_for_a_busy_offices_answer_instead_of_sending_the_batch_again(office, node, bus):
    with in_node(node):
        entries = intake_with_photo(node, bus)
        link = BusyOffice(office)
        result = services.run_once(transport=link, timeout=5.0)      # the worker's pass, 5 s per call
        assert result.ok and result.error is None
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    assert (link.pushes, link.parts, link.duplicates) == (1, 1, 0)    # each sent once, nothing twice
    db.session.remove()
    assert count(AppliedEntry) == entries
    assert MediaUpload.query.one().completed_at is not None


def test_the_button_keeps_its_short_timeout_and_the_worker_finishes_without_resending_the_photo(office, node, bus):
    with in_node(node):
        intake_with_photo(node, bus)
        link = BusyOffice(office)
        pressed = services.run_once(transport=link, timeout=3.0, budget_s=10.0)   # "Sinkronkan sekarang"
        assert not pressed.ok and "timed out" in pressed.error
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == count(OutboxEntry)
        worker = services.run_once(transport=link, timeout=5.0)
        assert worker.ok
        assert count(OutboxEntry, OutboxEntry.sent_at.is_(None)) == 0
    assert link.parts == 1             # the office had the photo from the button's pass: asked, not sent again
