from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from webapp.audit import services
from webapp.audit.models import AuditEntry
from webapp.auth.roles import Role
from webapp.core.authz import roles_required
from webapp.core.web import render_page
from webapp.main.dashboard import nav_item

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
nav_item(91, "audit.audit_log", _l("Audit"))


@bp.get("/")
@roles_required(Role.ADMIN)
def audit_log():
    filters = services.AuditFilters.from_args(request.args)
    page = services.search(filters)
    return render_page("audit/list.html", fragment="rows", page=page, filters=filters,
                       actions=services.distinct_values(AuditEntry.action),
                       entity_types=services.distinct_values(AuditEntry.entity_type))
