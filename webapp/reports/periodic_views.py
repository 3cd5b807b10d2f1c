"""The periodic reports: the index (/laporan/), one page per report (htmx: the filter form swaps the
tables) and its downloads as CSV and XLSX. Office only, for the same readers as the mutu baku
dashboard. A filter value that cannot be read is answered 422, its message next to the field."""
from __future__ import annotations

from flask import Response, abort, request
from flask_babel import lazy_gettext as _l

from webapp.core.web import UNPROCESSABLE, is_htmx_fragment_request, render_page
from webapp.core.authz import roles_required
from webapp.layanan.catalog import SERVICES
from webapp.main.dashboard import Card, card_provider, nav_item
from webapp.reports import exports, periodic
from webapp.reports.mutu_baku_views import READERS
from webapp.reports.views import bp
from webapp.sync.field_role import office_only

WORK = _l("laporan kantor")

nav_item(51, "reports.periodic_index", _l("Laporan"), section="reports.periodic")


def _spec(key: str) -> periodic.ReportSpec:
    spec = periodic.REPORTS.get(key)
    if spec is None:
        abort(404)
    return spec


def _page(spec: periodic.ReportSpec, filters: periodic.ReportFilters, report: periodic.Report | None):
    fragment = is_htmx_fragment_request()
    status = UNPROCESSABLE if filters.errors else 200
    return render_page("reports/periodic.html", fragment="report", status=status, spec=spec, report=report,
                       filters=filters, fields=spec.fields, oob_errors=fragment, reports=periodic.REPORTS,
                       groupings=periodic.GROUPINGS, services=[(c, str(s.label)) for c, s in SERVICES.items()],
                       row_limit=periodic.HTML_ROW_LIMIT, month_label=periodic.month_label)


@bp.get("/")
@roles_required(*READERS)
@office_only(WORK)
def periodic_index():
    return render_page("reports/index.html", reports=periodic.REPORTS)


@bp.get("/<key>")
@roles_required(*READERS)
@office_only(WORK)
def periodic_report(key):
    spec = _spec(key)
    filters = periodic.parse_filters(request.args, spec.fields)
    return _page(spec, filters, periodic.build_report(key, filters))


@bp.get("/<key>/unduh.<fmt>")
@roles_required(*READERS)
@office_only(WORK)
def periodic_download(key, fmt):
    spec = _spec(key)
    if fmt not in exports.FORMATS:
        abort(404)
    filters = periodic.parse_filters(request.args, spec.fields)
    if filters.errors:
        return _page(spec, filters, periodic.build_report(key, filters))
    report = periodic.build_report(key, filters)
    mimetype, write = exports.FORMATS[fmt]
    response = Response(write(report), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{report.stem}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@card_provider(order=51)
def periodic_cards(user):
    return [Card(str(_l("Laporan")),
                 str(_l("Warga dilayani, dokumen terbit, perjalanan, tanda terima yang belum diserahkan, stok "
                        "blangko dan kasus kualitas data; unduh CSV/XLSX atau cetak.")), "reports.periodic_index")]
