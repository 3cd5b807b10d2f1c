"""Sync pages and the office's /sync/v1/ endpoints: one blueprint "sync"; the route modules below
register on it (checkout_views: trip check-out / check-in, both sides).

CSRF: the /sync/v1/ API views are exempted one by one (`csrf.exempt(view)`, they authenticate by
bearer token); the pages on this blueprint (forms a person submits) keep CSRF."""
from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import any_logged_in, polled, public, roles_required
from webapp.core.changes import audit
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.security import safe_next
from webapp.core.uow import keep_after_rollback
from webapp.core.web import form_status, is_htmx_fragment_request, render_page
from webapp.extensions import csrf, db
from webapp.identity.nik import mask
from webapp.main.dashboard import nav_item
from webapp.sync import api, apply, feed, media, nodes, outbox, services
from webapp.sync.field_role import office_only
from webapp.sync.forms import ConfirmForm, DecisionForm, NodeForm
from webapp.sync.models import CONFLICT_DECIDED, CONFLICT_OPEN

bp = Blueprint("sync", __name__)
outbox.connect()          # the node's outbox listener (acts only in an app with ROLE=field)
feed.connect()            # the office's feed for the nodes' pull (acts only with ROLE=office)
nav_item(89, "sync.nodes_page", _l("Node Lapangan"))

def _require_field_node() -> None:
    """The header's state and button exist on a field node only; the office answers 404."""
    if not outbox.is_field_node():
        abort(404)


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _offset_of(payload: dict) -> float | None:
    """The node's measured clock offset, else office now − its node_time (includes one-way latency);
    a finite number of seconds or None."""
    measured = apply.measured_offset(payload.get("clock_offset_s"))
    if measured is not None:
        return measured
    try:
        node_time = datetime.fromisoformat(str(payload.get("node_time")))
    except (TypeError, ValueError):
        return None
    return (utcnow() - node_time).total_seconds() if node_time.tzinfo else None


CLOCK_JUMP_S = 300      # a node's measured offset changing by more than this is audited


def _audit_hello(node, first: bool, before: float | None, offset: float | None) -> None:
    """The first contact of a (re-)registered node is its pairing; a clock offset that jumps (the
    laptop's clock set, or days off) is worth a line. Routine hellos every pass are not audited."""
    words = f"selisih jam {offset:+.0f} dtk" if offset is not None else "selisih jam tidak diketahui"
    if first:
        audit("sync_pair", entity_type="sync_node", entity_id=node.id,
              summary=f"{node.code}: kontak pertama dengan token baru (pemasangan); {words}")
    elif offset is not None and (before is None or abs(offset - before) > CLOCK_JUMP_S):
        was = f"{before:+.0f}" if before is not None else "?"
        audit("sync_clock", entity_type="sync_node", entity_id=node.id,
              summary=f"{node.code}: selisih jam berubah dari {was} menjadi {offset:+.0f} dtk")


# --- the office's API (/sync/v1/): bearer token, JSON, CSRF-exempt ----------------------------------

HELLO_MAX_BYTES = 64 * 1024
DEFAULT_PUSH_MAX_ENTRIES = 500


@bp.post("/sync/v1/hello")
@public
@api.node_api
def api_hello(node):
    """Is the office there, whose token is this, and the office's clock."""
    payload = api.read_json(HELLO_MAX_BYTES)
    api.check_node_name(node, payload)
    first, before, offset = node.last_contact_at is None, node.clock_offset_s, _offset_of(payload)
    nodes.touch(node, backlog=_int_or_none(payload.get("backlog")), clock_offset_s=offset)
    _audit_hello(node, first, before, offset)
    return jsonify({"node": node.code, "office_time": utcnow().isoformat(), "api": 1})


@bp.post("/sync/v1/push")
@public
@api.node_api
def api_push(node):
    """Apply a batch of outbox entries: 200 when every entry is applied or a duplicate, 409 when
    any is a conflict (the rest is applied and committed all the same)."""
    payload = api.read_json()
    api.check_node_name(node, payload)
    entries = payload.get("entries")
    if not isinstance(entries, list):
        raise api.ApiError(400, "bad_json", "entries must be a list")
    if len(entries) > int(current_app.config.get("SYNC_PUSH_MAX_ENTRIES", DEFAULT_PUSH_MAX_ENTRIES)):
        raise api.ApiError(413, "too_many", "too many entries in one push")
    backlog, offset = _int_or_none(payload.get("backlog")), _offset_of(payload)
    nodes.lock(node)                       # pushes of one node one after the other (body read first)
    nodes.touch(node, backlog=backlog, clock_offset_s=offset, pushed=True)
    outcome = apply.apply_push(node, entries, clock_offset_s=offset)
    apply.audit_push(node, outcome, backlog=backlog, clock_offset_s=offset)
    body = {"results": [r.to_dict() for r in outcome.results], "office_time": utcnow().isoformat(),
            "applied": outcome.count(apply.APPLIED), "duplicates": outcome.count(apply.DUPLICATE),
            "conflicts": outcome.count(apply.CONFLICT)}
    if outcome.has_conflicts:
        keep_after_rollback()              # the applied entries and the conflicts stay
        return jsonify(body), 409
    return jsonify(body)


@bp.get("/sync/v1/pull")
@public
@api.node_api
def api_pull(node):
    """The office's changes for this node's checked-out trips after `cursor` (FeedEntry.seq)."""
    cursor = max(0, _int_or_none(request.args.get("cursor")) or 0)
    limit = _int_or_none(request.args.get("limit")) or feed.DEFAULT_PULL_LIMIT
    nodes.touch(node)
    entries, new_cursor, more = feed.read(node.code, cursor, limit)
    if entries and new_cursor > (node.pulled_seq or 0):
        # One entry per page that brings something new (a node asking again for a page it could
        # not apply writes none).
        audit("sync_pull", entity_type="sync_node", entity_id=node.id,
              summary=f"{node.code}: {len(entries)} entri dari kantor (kursor {cursor} → {new_cursor})")
        node.pulled_seq = new_cursor
    return jsonify({"entries": entries, "cursor": new_cursor, "more": more})


def _media_refusal(refused: media.MediaRefused, node=None, sha256: str = ""):
    body = {"error": refused.error, "message": refused.message}
    if refused.error == "sha256_mismatch" and node is not None:   # bytes that are not what they claim
        audit("sync_refused", entity_type="sync_node", entity_id=node.id,
              summary=f"{node.code}: berkas {sha256[:12]}… ditolak, isinya tidak cocok dengan sha256")
    if refused.received is not None:
        body["received"] = refused.received
    keep_after_rollback()                  # the node's contact (and a reset upload) stay recorded
    return jsonify(body), refused.status


@bp.get("/sync/v1/media/<sha256>")
@public
@api.node_api
def api_media_status(node, sha256: str):
    """How many bytes of this file the office has (HEAD works too)."""
    try:
        found = media.state_of(sha256)
    except media.MediaRefused as refused:
        return _media_refusal(refused)
    return jsonify(found.to_dict())


@bp.put("/sync/v1/media/<sha256>")
@public
@api.node_api
def api_media_put(node, sha256: str):
    """One part of a file from `offset` (X-Media-Size: the whole file, X-Media-Type: its type)."""
    offset = _int_or_none(request.args.get("offset"))
    size = _int_or_none(request.headers.get("X-Media-Size"))
    if offset is None or offset < 0 or size is None:
        raise api.ApiError(400, "bad_request", "offset and X-Media-Size are required")
    if not nodes.checked_out_trips(node.code):
        nodes.touch(node)
        keep_after_rollback()
        raise api.ApiError(403, "not_checked_out", "no trip is checked out to this node")
    # The part first, then the node's row (written, so locked till the commit): an upload whose
    # link dies without a word stalls here without holding up the node's hello and pushes.
    data = api.read_body(api.media_limit(), inflate=False)
    nodes.touch(node)
    try:
        found = media.receive_part(sha256, offset, data, size=size, node_code=node.code,
                                   mime_type=(request.headers.get("X-Media-Type") or "").strip().lower())
    except media.MediaRefused as refused:
        return _media_refusal(refused, node, sha256)
    return jsonify(found.to_dict())


for _view in (api_hello, api_push, api_pull, api_media_status, api_media_put):
    csrf.exempt(_view)


# --- office pages: field nodes -------------------------------------------------------------------------

def _nodes_page(form: NodeForm, *, token: str | None = None, added=None, status: int = 200):
    body = render_template("sync/nodes.html", form=form, rows=nodes.list_nodes(), token=token, added=added,
                           confirm=ConfirmForm())
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/admin/node-lapangan", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@office_only(_l("pengelolaan node lapangan"))
def nodes_page():
    """The node register; adding one shows its token here, once."""
    form = NodeForm()
    if form.validate_on_submit():
        try:
            node, token = nodes.add_node(form.code.data, name=form.name.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            return _nodes_page(NodeForm(formdata=None), token=token, added=node)
    return _nodes_page(form, status=form_status() if form.errors else 200)


@bp.post("/admin/node-lapangan/<node_id>/cabut")
@roles_required(Role.ADMIN)
@office_only(_l("pengelolaan node lapangan"))
def node_revoke(node_id: str):
    node = nodes.get_node(node_id)
    if node is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        nodes.revoke_node(node, actor=current_user)
    except DomainError as error:
        flash(str(error.message), "warning")
    else:
        flash(_("Token node %(c)s dicabut: panggilan berikutnya ditolak.", c=node.code), "success")
    return redirect(url_for("sync.nodes_page"))


# --- office pages: conflicts ---------------------------------------------------------------------------

CONFLICT_FILTERS = {"terbuka": CONFLICT_OPEN, "diputuskan": CONFLICT_DECIDED, "semua": None}


@bp.get("/admin/konflik-sinkron")
@roles_required(Role.ADMIN, Role.KEPALA_DINAS)
@office_only(_l("keputusan konflik sinkronisasi"))
def conflicts_page():
    shown = request.args.get("status", "terbuka")
    shown = shown if shown in CONFLICT_FILTERS else "terbuka"
    return render_page("sync/conflicts.html", fragment="rows", conflicts=apply.list_conflicts(CONFLICT_FILTERS[shown]),
                       shown=shown, reasons=apply.REASON_LABELS, decisions=apply.DECISION_DISPLAY)


def _decision_form() -> DecisionForm:
    form = DecisionForm()
    form.decision.choices = [(k, str(v)) for k, v in apply.DECISION_LABELS.items()]
    return form


@bp.route("/admin/konflik-sinkron/<conflict_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.KEPALA_DINAS)
@office_only(_l("keputusan konflik sinkronisasi"))
def conflict_detail(conflict_id: str):
    conflict = apply.get_conflict(conflict_id)
    if conflict is None:
        abort(404)
    form = _decision_form()
    if form.validate_on_submit():
        try:
            apply.decide_conflict(conflict, form.decision.data, form.note.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
        else:
            flash(_("Konflik diputuskan: %(d)s.", d=apply.DECISION_LABELS[form.decision.data]), "success")
            return redirect(url_for("sync.conflicts_page"))
    if request.method == "GET":
        audit("view", actor=current_user, entity_type="sync_conflict", entity_id=conflict.id,
              summary=f"{conflict.node_code}: {conflict.table_name}")
    return render_template("sync/conflict.html", conflict=conflict, form=form, comparison=conflict_rows(conflict),
                           reasons=apply.REASON_LABELS, decisions=apply.DECISION_DISPLAY), form_status()


SENSITIVE = ("nik", "no_kk", "id_number")


def _shown(column: str, value) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return mask(text) if any(part in column for part in SENSITIVE) else text[:300]


def conflict_rows(conflict) -> list[tuple[str, str, str, bool]]:
    """(column, bus value, office value, differs) for the page; NIK/KK masked."""
    incoming = (conflict.incoming or {}).get("values") or {}
    office = ((conflict.existing or {}).get("row") or {})
    names = list(dict.fromkeys([*incoming, *office]))
    return [(name, _shown(name, incoming.get(name)), _shown(name, office.get(name)),
             bool(office) and incoming.get(name) != office.get(name)) for name in names]


# --- the bus laptop's header: state and "Sinkronkan sekarang" ------------------------------------------

@bp.app_context_processor
def _sync_header():
    def sync_header():
        if not outbox.is_field_node() or not current_user.is_authenticated:
            return None
        return services.node_state()
    return {"sync_header": sync_header}


@bp.get("/sinkron/status")
@polled
@any_logged_in
def status_widget():
    _require_field_node()
    return render_template("sync/_status.html", state=services.node_state())


@bp.post("/sinkron/sekarang")
@any_logged_in
def sync_now():
    """Run one pass now (short timeouts: with the office down the answer comes within seconds)."""
    _require_field_node()
    result = services.run_from_button()
    if is_htmx_fragment_request():
        return render_template("sync/_status.html", state=services.node_state(), result=result)
    if result.ok:
        flash(_("Sinkronisasi selesai: %(n)d entri terkirim.", n=result.pushed), "success")
    else:
        flash(_("Sinkronisasi belum berhasil: %(e)s", e=result.error or ""), "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))



from webapp.sync import checkout_views  # noqa: E402,F401
