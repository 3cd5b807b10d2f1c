"""Rendering helpers: one `render_page` for the whole app, htmx-aware."""
from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx_fragment_request() -> bool:
    """An htmx request that wants a piece of the page (not a boosted navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_page(template: str, fragment: str | None = None, status: int = 200, **context):
    """Full page for normal and boosted requests, only the named block for htmx requests."""
    if fragment and is_htmx_fragment_request():
        return render_block(template, fragment, **context), status
    return render_template(template, **context), status
