"""Rendering helpers: one `render_page` for the whole app, htmx-aware."""
from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx_fragment_request() -> bool:
    """An htmx request that wants a piece of the page (not a boosted navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


# Refused input (a form with errors, a DomainError) is answered with the form again, the errors next
# to the fields, and this status, for plain and htmx requests alike (docs/decisions/0008).
UNPROCESSABLE = 422


def form_status() -> int:
    """The status of a page showing a form: 200 when it is first shown, 422 when it comes back
    with errors after a submission (POST). The unit of work rolls back any answer >= 400."""
    return UNPROCESSABLE if request.method == "POST" else 200


def render_page(template_name: str, /, fragment: str | None = None, status: int = 200, *,
                partial: str | None = None, headers: dict | None = None, **context):
    """The one way a view answers with HTML, for htmx and plain requests alike.

    A (non-boosted) htmx request gets a piece of the page: the block `fragment` of the template,
    or the whole `partial` template (a row the page includes, an inline editor). Every other
    request gets the full page. `headers` go with either answer (e.g. an HX-Trigger). The
    template name is positional, so `template=` may be a context value."""
    if is_htmx_fragment_request() and (partial or fragment):
        body = render_template(partial, **context) if partial else render_block(template_name, fragment, **context)
    else:
        body = render_template(template_name, **context)
    return body, status, headers or {}
