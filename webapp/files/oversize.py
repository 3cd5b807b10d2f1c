"""Uploads over the hard request limit (HTTP 413, MAX_CONTENT_LENGTH, or a view's own raised
`request.max_content_length`) answer with their form again, not a bare error page.

A view that takes an upload names how its form is shown again (and, if it takes more than the
app-wide limit, its own limit: `@accepts_uploads_up_to(lambda: bytes)`):

    def _letter_too_large(refused: RefusedUpload):          # the body of the answer, or None
        form = LetterForm(formdata=refused.fields)
        form.letter_file.errors = [size_message(LETTER_MAX_BYTES)]
        return render_template("requests/letter_form.html", form=form)

    @bp.route("/baru", methods=["GET", "POST"])
    @roles_required(...)
    @keeps_form_when_too_large(_letter_too_large)
    def request_new(): ...

`answer_too_large` (the app's handler of RequestEntityTooLarge, registered by the files
blueprint) finds that renderer from the request's endpoint, checks login and role (a limit
refused in CSRFProtect's before_request comes before them) and the CSRF token, and answers
413 with what the renderer gives. Without a renderer, or when any check fails, the plain 413
page. The unit of work rolls the answer back (>= 400): nothing of the refused form is saved.

When a form is refused as too large, Werkzeug has not read the body, so the typed fields would
be lost. `fields_of_refused_upload()` reads the body itself: the text fields are kept (each at
most `max_field_bytes`), the file contents are counted and dropped, never stored, and reading
stops after `read_limit` bytes (REFUSED_UPLOAD_READ_BYTES).

Browsers send the parts in the form's order, so fields placed before the file input are
recovered even from a body cut off at `read_limit`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app, make_response, request
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms.validators import ValidationError
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

CHUNK = 64 * 1024
RENDERER_ATTR = "_form_when_too_large"
LIMIT_ATTR = "_request_size_limit"


@dataclass
class RefusedUpload:
    """What a renderer gets: the text fields as typed (files dropped), the names of the file
    fields that were sent, and the route's arguments (e.g. `request_id`)."""

    fields: MultiDict
    file_fields: set[str] = field(default_factory=set)
    view_args: dict[str, Any] = field(default_factory=dict)


def keeps_form_when_too_large(renderer: Callable[[RefusedUpload], Any]) -> Callable:
    """View decorator: over the request limit, answer with `renderer(refused)` (status 413)
    instead of the plain error page. The renderer returns the page (a string, a response or a
    `(body, status)` tuple: the status becomes 413) or None for the plain page; it may abort(404)."""
    def decorate(view: Callable) -> Callable:
        setattr(view, RENDERER_ATTR, renderer)
        return view
    return decorate


def accepts_uploads_up_to(limit: Callable[[], int]) -> Callable:
    """View decorator: this route's request limit in bytes, `limit()` (e.g. the register export,
    far above the app-wide MAX_CONTENT_LENGTH). It is set before any hook reads the body
    (`apply_request_limit`, a URL value preprocessor: they run before the before_request
    hooks, which parse a form to strip NUL characters or check the CSRF token)."""
    def decorate(view: Callable) -> Callable:
        setattr(view, LIMIT_ATTR, limit)
        return view
    return decorate


def apply_request_limit(endpoint: str | None, values: dict | None) -> None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    limit = getattr(view, LIMIT_ATTR, None)
    if limit is not None:
        request.max_content_length = int(limit())


def renderer_for(endpoint: str | None) -> Callable[[RefusedUpload], Any] | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, RENDERER_ATTR, None)


def answer_too_large(error: RequestEntityTooLarge):
    """The app's answer to a request over the size limit (see the module doc)."""
    from webapp.core.errors_pages import render_error
    from webapp.core.security import enforce_access

    renderer = renderer_for(request.endpoint)
    if renderer is None:
        return render_error(413)
    try:
        refused = enforce_access()    # the size may have been refused before login and roles were checked
    except HTTPException as denied:
        return render_error(denied.code or 403)
    if refused is not None:
        return refused                # e.g. to the login page
    recovered = fields_of_refused_upload(read_limit=current_app.config["REFUSED_UPLOAD_READ_BYTES"])
    if recovered is None:
        return render_error(413)
    fields, file_fields = recovered
    try:
        validate_csrf(fields.get("csrf_token"))
    except ValidationError:           # a forged or stale form gets nothing back
        return render_error(413)
    # The body is read: a form the page builds with the default formdata (another form of the
    # same page) must not parse it again, which would raise this very error once more.
    request.files = ImmutableMultiDict()
    request.form = ImmutableMultiDict()
    try:
        body = renderer(RefusedUpload(fields, file_fields, dict(request.view_args or {})))
    except HTTPException as refused_here:
        return render_error(refused_here.code or 413)
    if body is None:
        return render_error(413)
    response = make_response(body)
    response.status_code = 413
    return response


def fields_of_refused_upload(*, read_limit: int, max_field_bytes: int = 64 * 1024,
                             max_parts: int = 200) -> tuple[MultiDict, set[str]] | None:
    """(text fields, names of the file fields seen) of this multipart request, or None when the
    body cannot be read (not multipart, no Content-Length, malformed)."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary or request.content_length is None:
        return None
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return None
    remaining = min(request.content_length, read_limit)
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=max_parts)
    fields: list[tuple[str, str]] = []
    file_fields: set[str] = set()
    current, buffer, size = None, [], 0
    try:
        while True:
            chunk = stream.read(min(CHUNK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            decoder.receive_data(chunk or None)
            event = decoder.next_event()
            while not isinstance(event, (NeedData, Epilogue)):
                if isinstance(event, Field):
                    current, buffer, size = event, [], 0
                elif isinstance(event, File):
                    current, buffer, size = event, [], 0
                    file_fields.add(event.name)
                elif isinstance(event, Data) and isinstance(current, Field):
                    size += len(event.data)
                    if size <= max_field_bytes:
                        buffer.append(event.data)
                    if not event.more_data and size <= max_field_bytes:
                        fields.append((current.name, b"".join(buffer).decode("utf-8", "replace")))
                event = decoder.next_event()
            if isinstance(event, Epilogue) or not chunk:
                break
    except ValueError:       # a malformed body: keep what was read until then
        pass
    return MultiDict(fields), file_fields
