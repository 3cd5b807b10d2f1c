"""Trip day on site: arrival, roster and queue, walk-ins, calling, sending home, berita acara."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.authz import polled, require_record, role_allows, roles_required
from webapp.core.changes import audit
from webapp.core.errors import DomainError, attach_to_form
from webapp.core.web import UNPROCESSABLE, form_status, is_htmx_fragment_request, render_page
from webapp.extensions import db
from webapp.field import services
from webapp.field.forms import ReturnBlanksForm, SendHomeForm, WalkInForm
from webapp.field.models import VISIT_LABELS, Visit
from webapp.identity.nik import mask
from webapp.layanan.catalog import service_label
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.trips import services as trips
from webapp.trips.models import ARRIVED, Trip

bp = Blueprint("field", __name__, url_prefix="/lapangan")
nav_item(25, "field.today", _l("Pelayanan Lapangan"), section="field.")

WORKERS = (Role.PETUGAS, Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL)
READERS = WORKERS + (Role.KEPALA_DINAS, Role.ADMIN, Role.VIEWER)
SERVING = frozenset({"menunggu", "dipanggil"})   # checked in: "Layani" opens their intake


# ---------------------------------------------------------------- lookups and helpers

def _trip_or_404(trip_id) -> Trip:
    trip = trips.get_trip(trip_id)
    if trip is None:
        abort(404)
    require_record(services.can_view_trip_day(trip, current_user))
    return trip


def _visit_or_404(visit_id) -> tuple[Visit, Trip]:
    visit = services.get_visit(visit_id)
    if visit is None:
        abort(404)
    trip = services.trip_of(visit)
    require_record(trip is not None and services.can_view_trip_day(trip, current_user))
    return visit, trip


def endpoint_url(endpoint: str, **values) -> str | None:
    """A link to another package's page only once that page exists and the user may open it
    (the intake pages land separately)."""
    if endpoint not in current_app.view_functions or not role_allows(current_user, endpoint):
        return None
    return url_for(endpoint, **values)


def _can_act(trip: Trip) -> bool:
    return trip.status == ARRIVED and services.can_work_trip(trip, current_user)


def _labels(pairs) -> list[str]:
    return [service_label(code, sub) for code, sub in pairs]


def _serve_urls(trip: Trip, visits, services_by_visit: dict) -> dict:
    """Where "Layani" leads for each checked-in visit: straight to a new application (the service
    preselected when the village list asked for exactly one) while the visit has none; saving it
    calls the resident to the desk. A visit with applications opens its visit page."""
    opened = services.visits_with_applications(trip)
    urls = {}
    for visit in visits:
        if visit.status not in SERVING:
            continue
        pairs = services_by_visit.get(visit.id, [])
        wanted = {"layanan": f"{pairs[0][0]}:{pairs[0][1]}"} if len(pairs) == 1 else {}
        urls[visit.id] = (url_for("field.visit", visit_id=visit.id) if visit.id in opened
                          else endpoint_url("intake.new_application", visit_id=visit.id, **wanted))
    return urls


# ---------------------------------------------------------------- today's trips

@bp.get("/")
@roles_required(*READERS)
def today():
    return render_template("field/today.html", rows=services.trips_for_today(current_user))


# ---------------------------------------------------------------- the trip day page

def _trip_day_context(trip: Trip) -> dict:
    q = (request.args.get("q") or "").strip()[:60]
    status = request.args.get("status", "")
    status = status if status in VISIT_LABELS else ""
    visits = services.roster(trip, q=q, status=status)
    services_by_visit = services.requested_services(visits)
    return dict(trip=trip, visits=visits, q=q, status_filter=status, statuses=VISIT_LABELS,
                counts=services.trip_counts(trip), services_of={k: _labels(v) for k, v in services_by_visit.items()},
                serve_url_of=_serve_urls(trip, visits, services_by_visit),
                flag_of=services.visit_flag, can_work=services.can_work_trip(trip, current_user),
                can_act=_can_act(trip), siak_change=trips.siak_link_change(trip),
                timeline=trips.trip_timeline(trip), villages=services.trip_villages(trip))


@bp.get("/<uuid:trip_id>")
@roles_required(*READERS)
def trip_day(trip_id):
    trip = _trip_or_404(trip_id)
    if services.can_work_trip(trip, current_user):
        services.ensure_roster(trip, current_user)
    return render_page("field/trip_day.html", fragment="roster", **_trip_day_context(trip))


@bp.get("/<uuid:trip_id>/hitungan")
@polled
@roles_required(*READERS)
def trip_counts(trip_id):
    """htmx: the live counts, polled (a row's own answer carries them out of band)."""
    trip = _trip_or_404(trip_id)
    return render_template("field/_counts.html", trip=trip, counts=services.trip_counts(trip))


def _trip_action(trip_id, action, success):
    trip = _trip_or_404(trip_id)
    try:
        action(trip)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(success(trip), "success")
    return redirect(url_for("field.trip_day", trip_id=trip_id))


@bp.post("/<uuid:trip_id>/tiba")
@roles_required(*WORKERS)
def trip_arrive(trip_id):
    def arrive(trip):
        trips.record_arrival(trip, actor=current_user)
        services.ensure_roster(trip, current_user)
    return _trip_action(trip_id, arrive, lambda trip: _(
        "Tim tiba di lokasi. Langkah 4 SOP selesai; antrean warga dibuka."))


@bp.post("/<uuid:trip_id>/siak")
@roles_required(*WORKERS)
def siak_link(trip_id):
    choice = request.form.get("online")
    online = choice == "1"

    def record(trip):
        if choice not in ("0", "1"):   # the button sends one or the other: anything else changes nothing
            raise DomainError(_("Pilih SIAK terhubung atau tidak terhubung."), field="online")
        trips.set_siak_link(trip, online, actor=current_user)
    return _trip_action(trip_id, record,
                        lambda trip: _("SIAK tercatat terhubung: dokumen dapat diselesaikan di lokasi.") if online
                        else _("SIAK tercatat tidak terhubung: berkas diterima dengan tanda terima."))


@bp.post("/<uuid:trip_id>/tutup")
@roles_required(*WORKERS)
def trip_finish(trip_id):
    return _trip_action(trip_id, lambda trip: services.finish_trip_day(trip, current_user),
                        lambda trip: _("Pelayanan hari ini ditutup. Cetak berita acara pelayanan."))


# ---------------------------------------------------------------- walk-ins

def _walk_in_form(trip: Trip) -> WalkInForm:
    form = WalkInForm()
    villages = services.trip_villages(trip)
    form.desa_code.choices = [("", "—")] + villages
    if request.method == "GET" and len(villages) == 1:
        form.desa_code.data = villages[0][0]
    return form


@bp.route("/<uuid:trip_id>/warga-baru", methods=["GET", "POST"])
@roles_required(*WORKERS)
def walk_in(trip_id):
    trip = _trip_or_404(trip_id)
    require_record(services.can_work_trip(trip, current_user))
    form = _walk_in_form(trip)
    check = None
    if request.method == "POST":
        valid = form.validate_on_submit()
        data = form.to_input()
        if not valid:   # the service's own problems too, so every field says what is wrong at once
            check = services.check_walk_in(trip, data)
            form.attach(check.errors)
        else:
            try:
                visit = services.add_walk_in(trip, data, current_user)
            except services.WalkInRefused as error:
                db.session.rollback()
                form.attach(error.errors)
                check = services.check_walk_in(trip, data)
            except DomainError as error:
                db.session.rollback()
                attach_to_form(form, error)
            else:
                flash(_("%(n)s masuk antrean nomor %(q)s.", n=visit.name, q=visit.queue_label), "success")
                return redirect(url_for("field.trip_day", trip_id=trip.id))
    return render_template("field/walk_in.html", trip=trip, form=form, check=check,
                           can_act=_can_act(trip)), form_status()


@bp.post("/<uuid:trip_id>/warga-baru/cek")
@roles_required(*WORKERS)
def walk_in_check(trip_id):
    """htmx: the NIK, the register and the pre-trip rules for what is typed so far."""
    trip = _trip_or_404(trip_id)
    require_record(services.can_work_trip(trip, current_user))
    form = _walk_in_form(trip)
    form.validate()
    data = form.to_input()
    check = services.check_walk_in(trip, data) if (data.nik or data.name) else None
    return render_template("field/_walk_in_check.html", check=check)


# ---------------------------------------------------------------- one resident

def _row_or_page(visit: Visit, trip: Trip, error: DomainError | None = None):
    """The roster row with the trip's counts out of band (htmx), or back to the page the button was on."""
    if is_htmx_fragment_request():
        by_visit = services.requested_services([visit])
        return render_page("field/trip_day.html", partial="field/_row_answer.html",
                           status=UNPROCESSABLE if error else 200, counts=services.trip_counts(trip),
                           v=visit, trip=trip, services_of={visit.id: _labels(by_visit.get(visit.id, []))},
                           serve_url_of=_serve_urls(trip, [visit], by_visit), flag_of=services.visit_flag,
                           can_act=_can_act(trip), row_error=str(error.message) if error else None)
    if error:
        flash(str(error.message), "error")
    target = request.form.get("back")
    if target == "visit":
        return redirect(url_for("field.visit", visit_id=visit.id))
    return redirect(url_for("field.trip_day", trip_id=trip.id))


def _visit_action(visit_id, action):
    visit, trip = _visit_or_404(visit_id)
    try:
        action(visit)
    except DomainError as error:
        db.session.rollback()
        visit, trip = _visit_or_404(visit_id)
        return _row_or_page(visit, trip, error)
    return _row_or_page(visit, trip)


@bp.post("/kunjungan/<uuid:visit_id>/hadir")
@roles_required(*WORKERS)
def visit_check_in(visit_id):
    return _visit_action(visit_id, lambda v: services.check_in(v, current_user))


@bp.post("/kunjungan/<uuid:visit_id>/panggil")
@roles_required(*WORKERS)
def visit_call(visit_id):
    return _visit_action(visit_id, lambda v: services.call_visit(v, current_user))


@bp.post("/kunjungan/<uuid:visit_id>/tidak-hadir")
@roles_required(*WORKERS)
def visit_absent(visit_id):
    return _visit_action(visit_id, lambda v: services.mark_absent(v, current_user))


@bp.post("/kunjungan/<uuid:visit_id>/antre-lagi")
@roles_required(*WORKERS)
def visit_requeue(visit_id):
    return _visit_action(visit_id, lambda v: services.requeue(v, current_user))


def _visit_context(visit: Visit, trip: Trip, send_home_form: SendHomeForm | None = None) -> dict:
    applications = services.applications_of(visit)
    return dict(visit=visit, trip=trip, flag=services.visit_flag(visit), step5=services.visit_step5(visit),
                applications=applications, requested=_labels(services.requested_services([visit])[visit.id]),
                can_act=_can_act(trip), send_home_form=send_home_form or SendHomeForm(),
                new_application_url=endpoint_url("intake.new_application", visit_id=visit.id),
                application_urls={a.id: endpoint_url("intake.application", application_id=a.id)
                                  for a in applications})


@bp.get("/kunjungan/<uuid:visit_id>")
@roles_required(*READERS)
def visit(visit_id):
    visit, trip = _visit_or_404(visit_id)
    audit("view", actor=current_user, entity_type="visit", entity_id=visit.id,
          summary=f"{trip.number}: {visit.name} (NIK {mask(visit.nik)})")
    return render_template("field/visit.html", **_visit_context(visit, trip))


@bp.post("/kunjungan/<uuid:visit_id>/pulangkan")
@roles_required(*WORKERS)
def visit_send_home(visit_id):
    visit, trip = _visit_or_404(visit_id)
    form = SendHomeForm()
    if form.validate_on_submit():
        try:
            services.send_home(visit, form.reason.data, current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
            visit, trip = _visit_or_404(visit_id)
        else:
            flash(_("%(n)s dipulangkan. Cetak daftar kekurangan berkas untuknya.", n=visit.name), "success")
            return redirect(url_for("field.visit", visit_id=visit.id))
    return render_template("field/visit.html", **_visit_context(visit, trip, form)), UNPROCESSABLE


@bp.get("/kunjungan/<uuid:visit_id>/tiket")
@roles_required(*READERS)
def ticket(visit_id):
    visit, trip = _visit_or_404(visit_id)
    if visit.queue_number is None:
        abort(404)
    return render_template("field/ticket.html", visit=visit, trip=trip)


@bp.get("/kunjungan/<uuid:visit_id>/kekurangan")
@roles_required(*READERS)
def missing_slip(visit_id):
    visit, trip = _visit_or_404(visit_id)
    return render_template("field/slip.html", slip=services.missing_slip(visit))


# ---------------------------------------------------------------- end of the day

@bp.get("/<uuid:trip_id>/berita-acara")
@roles_required(*READERS)
def berita_acara(trip_id):
    trip = _trip_or_404(trip_id)
    return render_template("field/berita_acara.html", ba=services.berita_acara(trip),
                           outcomes=services.OUTCOME_LABELS)


def _blanks_form(trip: Trip) -> ReturnBlanksForm:
    form = ReturnBlanksForm()
    form.stock_code.choices = [(line.code, f"{line.label} ({line.unit})") for line in services.stock_lines(trip)]
    return form


def _blanks_page(trip: Trip, form: ReturnBlanksForm):
    return render_template("field/blanks.html", trip=trip, form=form, lines=services.stock_lines(trip),
                           can_work=services.can_work_trip(trip, current_user)), form_status()


@bp.get("/<uuid:trip_id>/blangko")
@roles_required(*READERS)
def blanks(trip_id):
    trip = _trip_or_404(trip_id)
    return _blanks_page(trip, _blanks_form(trip))


@bp.post("/<uuid:trip_id>/blangko")
@roles_required(*WORKERS)
def blanks_return(trip_id):
    """Unused blanks back to the warehouse; more than the trip still carries is refused next to the field."""
    trip = _trip_or_404(trip_id)
    form = _blanks_form(trip)
    if form.validate_on_submit():
        try:
            movement = services.return_blanks(trip, form.stock_code.data, form.quantity.data, current_user)
        except DomainError as error:
            db.session.rollback()
            attach_to_form(form, error)
            trip = _trip_or_404(trip_id)
        else:
            flash(_("%(n)d %(u)s %(item)s dikembalikan ke gudang.", n=movement.quantity,
                    u=services.inventory.stock_unit(movement.stock_code),
                    item=services.inventory.stock_label(movement.stock_code)), "success")
            return redirect(url_for("field.blanks", trip_id=trip.id))
    return _blanks_page(trip, form)


@card_provider(order=25)
def field_cards(user):
    return [Card(str(_l("Pelayanan Lapangan")),
                 str(_l("Hari pelayanan: tiba di lokasi, daftar hadir dan antrean, warga datang langsung, berita acara.")),
                 "field.today")]

