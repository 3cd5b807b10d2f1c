"""Which side serves which page: a field node (ROLE=field, the bus laptop) refuses office-only
work, and the office refuses the bus laptop's own pages, each with a clear page (never a 500).

Office-only work is named by endpoint prefix in `OFFICE_ONLY` (the register import and scans,
letters and their disposition, scheduling and editing trips, user administration, the operator
queue and SIAK files, the pick-up desk, the warehouse and the reference data the office edits),
or by marking a view `@office_only`; a bus laptop's page is marked `@field_only`. The check runs
before each request after the login and role checks (`init_app`, called by the app factory), so
a visitor still logs in first. Menu entries and dashboard cards of pages this side does not
serve are hidden (main.dashboard.hide_endpoints), and so are the template's `can()` links."""
from __future__ import annotations

from typing import Callable

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

OFFICE = "office"
FIELD = "field"
OFFICE_ONLY_ATTR = "_kp_office_only"
FIELD_ONLY_ATTR = "_kp_field_only"
REFUSED = 409          # not a role refusal (403): this installation does not do that work

# (endpoint prefix, the work in words): the most specific prefix first.
OFFICE_ONLY: tuple[tuple[str, object], ...] = (
    ("quality.import_", _l("impor register penduduk")),
    ("quality.rescan", _l("pemindaian register")),
    ("quality.duplicate_decide", _l("keputusan data ganda")),
    ("quality.case_submit", _l("pengajuan kasus ke pusat")),
    ("quality.case_resolve", _l("penyelesaian kasus")),
    ("quality.case_reject", _l("penolakan kasus")),
    ("quality.case_reopen", _l("pembukaan kembali kasus")),
    ("requests.request_new", _l("pencatatan surat permohonan")),
    ("requests.request_edit", _l("perubahan surat permohonan")),
    ("requests.request_return", _l("disposisi surat permohonan")),
    ("requests.request_resubmit", _l("pengiriman ulang surat permohonan")),
    ("requests.request_cancel", _l("pembatalan surat permohonan")),
    ("requests.dispose", _l("disposisi surat permohonan")),
    ("requests.inbox", _l("disposisi surat permohonan")),
    ("requests.open_quality_cases", _l("pemeriksaan pra-perjalanan")),
    ("trips.trip_new", _l("penjadwalan perjalanan")),
    ("trips.trip_needs", _l("penjadwalan perjalanan")),
    ("trips.trip_kit", _l("penjadwalan perjalanan")),
    ("trips.member_row", _l("penjadwalan perjalanan")),
    ("trips.trip_edit", _l("perubahan perjalanan")),
    ("trips.trip_cancel", _l("pembatalan perjalanan")),
    ("admin.", _l("administrasi pengguna")),
    ("documents.queue_siak", _l("ekspor dan impor berkas SIAK")),
    ("documents.queue", _l("penerimaan berkas dan antrean operator")),
    ("documents.pickup", _l("loket pengambilan dokumen")),
    ("inventory.", _l("gudang blangko dan register peralatan")),
    ("requirements.template_edit", _l("pengaturan persyaratan")),
    ("requirements.item_", _l("pengaturan persyaratan")),
    ("settings.setting_edit", _l("pengaturan aplikasi")),
)


def office_only(what=None) -> Callable:
    """Mark a view as office-only work (`what`: the work in words). Usable bare or with words."""
    if callable(what):
        setattr(what, OFFICE_ONLY_ATTR, True)
        return what

    def decorate(view: Callable) -> Callable:
        setattr(view, OFFICE_ONLY_ATTR, what or True)
        return view
    return decorate


def field_only(view: Callable) -> Callable:
    """Mark a view as a page of the bus laptop (check-out, check-in): the office refuses it."""
    setattr(view, FIELD_ONLY_ATTR, True)
    return view


def app_role(app=None) -> str:
    return str((app or current_app).config.get("ROLE") or OFFICE).strip().lower()


def is_field_node(app=None) -> bool:
    return app_role(app) == FIELD


def office_only_work(endpoint: str | None) -> str | None:
    """The office-only work this endpoint does, in words; None when a field node may serve it."""
    if not endpoint:
        return None
    view = current_app.view_functions.get(endpoint)
    marked = getattr(view, OFFICE_ONLY_ATTR, None)
    if marked:
        return str(marked) if marked is not True else str(_l("pekerjaan kantor"))
    for prefix, what in OFFICE_ONLY:
        if endpoint.startswith(prefix):
            return str(what)
    return None


def is_field_page(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, FIELD_ONLY_ATTR, False))


def served_here(endpoint: str | None) -> bool:
    """Does this installation (office or field node) serve the endpoint?"""
    if is_field_node():
        return office_only_work(endpoint) is None
    return not is_field_page(endpoint)


def _wants_json() -> bool:
    return request.path.startswith("/sync/") or request.accept_mimetypes.best == "application/json"


def _refusal(message: str):
    if _wants_json():
        return jsonify({"error": "wrong_side", "message": message}), REFUSED
    htmx = getattr(request, "htmx", None)
    if htmx:
        body = render_template("errors/_error_fragment.html", code=REFUSED, title=_("Tidak tersedia di sini"),
                               text=message)
        return body, REFUSED, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return render_template("sync/wrong_side.html", message=message, field_node=is_field_node()), REFUSED


def refuse_other_side():
    """before_request: answer a page this side does not serve with the refusal page."""
    endpoint = request.endpoint
    if not endpoint or endpoint == "static":
        return None
    if is_field_node():
        work = office_only_work(endpoint)
        if work:
            return _refusal(_("Halaman ini hanya di kantor: %(work)s. Laptop bus %(node)s bekerja tanpa "
                              "jaringan dan tidak melakukan pekerjaan ini.", work=work,
                              node=current_app.config.get("NODE_ID", "")))
    elif is_field_page(endpoint):
        return _refusal(_("Halaman ini hanya di laptop bus (node lapangan), bukan di kantor."))
    return None


def _hidden_here(endpoint: str) -> bool:
    return not served_here(endpoint)


def init_app(app) -> None:
    """Install the refusal (after the login and role checks) and hide what this side does not serve."""
    from webapp.main.dashboard import hide_endpoints
    app.before_request(refuse_other_side)
    hide_endpoints(_hidden_here)
