"""The one base class of every form: what is typed is cleaned the same way everywhere.

A NUL character (U+0000) never reaches a service or the database (PostgreSQL refuses it in text,
SQLite would store it): every field of every form drops it, in one place. Query strings and
forms read straight from `request.args` / `request.form` (htmx inline rows, a few small
buttons) are cleaned before any view runs (`strip_nul_from_request`).
"""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict

NUL = "\x00"


def without_nul(value):
    """A filter for every field: text (or a list of texts) without NUL characters."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [v.replace(NUL, "") if isinstance(v, str) else v for v in value]
    return value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), without_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


def _cleaned(data: ImmutableMultiDict) -> ImmutableMultiDict | None:
    if not any(NUL in k or NUL in v for k, v in data.items(multi=True)):
        return None
    return ImmutableMultiDict([(k.replace(NUL, ""), v.replace(NUL, "")) for k, v in data.items(multi=True)])


def strip_nul_from_request() -> None:
    """before_request: the query string and the posted text fields without NUL characters
    (uploaded files are left as they are)."""
    args = _cleaned(request.args)
    if args is not None:
        request.args = args
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        form = _cleaned(request.form)
        if form is not None:
            request.form = form
