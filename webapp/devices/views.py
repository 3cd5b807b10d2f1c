"""The agent in the pages: tickets for agent.js, the devices page, the header's device state,
and "Baca KTP-el" (a card presented, noted on the application).

Who may use devices depends on this installation (webapp.devices.tickets.methods_for): the
routes declare `DeviceRoles`, a role set read from the configuration, so the role check before
each request (and the route × role matrix) sees the same answer as the ticket."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import ROLES_ATTR, require_record
from webapp.core.errors import DomainError
from webapp.core.errors_pages import MESSAGES, render_error
from webapp.core.web import UNPROCESSABLE, is_htmx_fragment_request, render_page
from webapp.devices import services, tickets
from webapp.devices.forms import CardReadingForm
from webapp.extensions import db
from webapp.intake import services as intake

bp = Blueprint("devices", __name__)

# The intake's workers (webapp.intake.views.WORKERS): who may note a card on an application.
INTAKE_WORKERS = frozenset({Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL})


class DeviceRoles:
    """The roles that use the agent here (optionally: that may call `method`, among `within`)."""

    def __init__(self, method: str | None = None, within=None) -> None:
        self.method = method
        self.within = frozenset(within) if within is not None else None

    def __contains__(self, role) -> bool:
        if self.within is not None and role not in self.within:
            return False
        if not tickets.agent_url():
            return False
        methods = tickets.methods_for(role, tickets.desk())
        return bool(methods) and (self.method is None or self.method in methods)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"DeviceRoles({self.method or 'any device'})"


def device_roles_required(method: str | None = None, within=None):
    def decorate(view):
        setattr(view, ROLES_ATTR, DeviceRoles(method, within))
        return view
    return decorate


@bp.errorhandler(403)
def _forbidden(error):
    """The ticket endpoint answers in JSON (agent.js stops asking); pages get the usual page."""
    if request.endpoint == "devices.ticket":
        title = MESSAGES[403][0]
        return jsonify(error="forbidden", message=f"{title}. {_('Peran Anda tidak memakai perangkat di sini.')}"), 403
    return render_error(403)


# --- tickets and the header -----------------------------------------------------------------------------

def page_origin() -> str:
    """The origin of the page as the browser sees it (the Origin it sends to the agent)."""
    return tickets.clean_origin(request.host_url)


@bp.post("/agent/ticket")
@device_roles_required()
def ticket():
    """A fresh ticket for agent.js (every (re)connect asks for one)."""
    methods = tickets.user_methods(current_user)
    if not methods:
        abort(403)
    return jsonify(ticket=tickets.ticket_for(current_user, origin=page_origin(), methods=methods),
                   url=tickets.agent_url() + "/v1", expires_in=tickets.ticket_seconds())


_TEXTS: dict[str, dict] = {}


def _texts() -> dict:
    """What agent.js shows, translated here (the script has no strings of its own): once per
    language, not on every page (the header carries them on every page of a device user)."""
    locale = str(get_locale())
    found = _TEXTS.get(locale)
    if found is None:
        found = _TEXTS[locale] = _translated_texts()
    return found


def _translated_texts() -> dict:
    return {
        "off": _("Agen perangkat tidak terhubung"),
        "connecting": _("Menghubungkan agen perangkat…"),
        "ready": _("Perangkat siap"),
        "problem": _("Perangkat bermasalah"),
        "no_devices": _("Agen terhubung, tanpa perangkat"),
        "need_agent": _("Perlu agen perangkat yang terhubung."),
        "not_allowed": _("Peran Anda tidak memakai perangkat ini."),
        "no_device": _("Perangkat ini tidak ada di agen."),
        "device_not_ready": _("Perangkat belum siap: %(reason)s"),
        "busy": _("Perangkat sedang dipakai. Coba lagi sebentar."),
        "timeout": _("Perangkat tidak menjawab tepat waktu."),
        "failed": _("Perangkat gagal: %(reason)s"),
        "refused": _("Agen menolak permintaan ini."),
        "lost": _("Sambungan ke agen perangkat terputus."),
        "auth_refused": _("Agen menolak halaman ini: %(reason)s (periksa pemasangan agen)."),
        "working": _("Sedang bekerja…"),
        "photo_ready": _("Foto dari kamera siap. Simpan daftar syarat untuk mengunggahnya."),
        "photos_ready": _("%(n)s foto dari kamera siap. Simpan daftar syarat untuk mengunggahnya."),
        "card_read": _("KTP-el terbaca di %(reader)s."),
        "no_card": _("Tidak ada kartu di pembaca."),
        "printed": _("Tanda terima dicetak."),
        "qr_none": _("QR tidak terbaca. Arahkan tanda terima ke kamera, atau ketik nomornya."),
        "states": {"ready": _("siap"), "busy": _("sedang dipakai"), "not_ready": _("belum siap"),
                   "error": _("galat")},
        "kinds": {"camera": _("Kamera"), "card": _("Pembaca kartu"), "printer": _("Printer struk")},
    }


@bp.app_context_processor
def _agent_helpers():
    def agent_header():
        methods = tickets.user_methods(current_user)
        if not methods:
            return None
        return {"url": tickets.agent_url() + "/v1", "ticket_url": url_for("devices.ticket"),
                "devices_url": url_for("devices.devices_page"), "methods": methods, "texts": _texts()}

    def agent_can(method: str) -> bool:
        return method in tickets.user_methods(current_user)

    return {"agent_header": agent_header, "agent_can": agent_can,
            "card_readings_of": lambda application: services.card_readings(application.id),
            "printable_receipt": services.printable_receipt}


@bp.get("/perangkat")
@device_roles_required()
def devices_page():
    """The agent's devices and their states, live (agent.js fills the table)."""
    labels = {"camera.capture": _("ambil foto"), "camera.scan_qr": _("pindai QR"), "card.read": _("baca KTP-el"),
              "printer.print": _("cetak struk"), "printer.status": _("status printer")}
    return render_page("devices/devices.html", methods=tickets.user_methods(current_user), method_labels=labels,
                       agent_url=tickets.agent_url())


# --- "Baca KTP-el" ---------------------------------------------------------------------------------------

def _application_or_404(application_id):
    application = intake.get_application(application_id)
    if application is None:
        abort(404)
    trip = intake.trip_of(application)
    require_record(trip is not None and intake.can_work_trip(trip, current_user))
    return application


def _readings_answer(application, status: int = 200, errors=()):
    """htmx: the application's card readings again (with the refusal); else back to the page, or
    a short page with the refusal (422)."""
    context = dict(application=application, card_errors=list(errors), readings=services.card_readings(application.id))
    if is_htmx_fragment_request():
        return render_template("devices/_card_readings.html", **context), status
    if errors:
        return render_page("devices/card_reading_refused.html", status=status, **context)
    return redirect(url_for("intake.application", application_id=application.id), code=303)


@bp.post("/pelayanan/<uuid:application_id>/ktp-el")
@device_roles_required("card.read", within=INTAKE_WORKERS)
def card_reading(application_id):
    """The card reader's answer (reader, ATR, UID) as agent.js posts it: noted on the application."""
    found = _application_or_404(application_id)
    form = CardReadingForm()          # the CSRF token is checked before every POST (CSRFProtect)
    try:
        reading = services.record_card_reading(found, reader=form.reader.data, atr=form.atr.data,
                                               uid=form.uid.data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.field, None) if error.field else None
        message = f"{field.label.text}: {error.message}" if field is not None else str(error.message)
        return _readings_answer(_application_or_404(application_id), UNPROCESSABLE, [message])
    if not is_htmx_fragment_request():
        flash(_("KTP-el tercatat (%(reader)s).", reader=reading.reader), "success")
    return _readings_answer(found)
