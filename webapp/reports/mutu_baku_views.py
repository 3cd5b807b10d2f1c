"""The mutu baku dashboard: the figures page (htmx: the filter form swaps the figures) and the
slow cases of one step. Office only: the figures need the clock offsets measured at the office."""
from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth.roles import Role
from webapp.core.args import arg_page
from webapp.core.authz import roles_required
from webapp.core.web import is_htmx_fragment_request, render_page
from webapp.documents.queue import visible_services
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.reports import charts, services
from webapp.reports.steps import MEASURES, measure
from webapp.reports.views import bp
from webapp.sync.field_role import office_only

READERS = (Role.KEPALA_DINAS, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.ADMIN, Role.VIEWER)
WORK = _l("laporan mutu baku")
FILTER_FIELDS = ("month", "trip", "desa", "service")

nav_item(50, "reports.mutu_baku", _l("Mutu Baku"), section="reports.mutu_baku")


def _filter_context(filters: services.DashboardFilters) -> dict:
    """The filter form's choices (only a full page shows the form; a fragment updates its messages)."""
    fragment = is_htmx_fragment_request()
    return {"filters": filters, "fields": FILTER_FIELDS, "oob_errors": fragment,
            "choices": None if fragment else services.filter_choices()}


@bp.get("/mutu-baku")
@roles_required(*READERS)
@office_only(WORK)
def mutu_baku():
    filters = services.parse_filters(request.args)
    board = services.dashboard(filters)
    return render_page("reports/mutu_baku.html", fragment="figures", board=board,
                       share_chart=charts.share_bars(board.steps),
                       strips={s.measure.key: charts.strip(s) for s in board.steps},
                       **_filter_context(filters))


@bp.get("/mutu-baku/<key>/lambat")
@roles_required(*READERS)
@office_only(WORK)
def mutu_baku_cases(key):
    found = measure(key)
    if found is None:
        abort(404)
    filters = services.parse_filters(request.args)
    page = services.slow_cases(found, filters, page=arg_page(request.args))
    figures = services.step_figures(found, filters)
    return render_page("reports/mutu_baku_cases.html", fragment="cases", measure=found, page=page,
                       figures=figures, measures=MEASURES, visible_services=visible_services(current_user),
                       **_filter_context(filters))


@card_provider(order=50)
def mutu_baku_cards(user):
    return [Card(str(_l("Mutu baku")),
                 str(_l("Waktu nyata tiap langkah SOP dibanding standarnya, per bulan, perjalanan, desa dan "
                        "layanan; kasus yang lewat standar.")), "reports.mutu_baku")]
