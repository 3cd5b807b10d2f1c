"""WTForms validators for NIK and No. KK fields.

An error stops the field with the first error's Indonesian message. Warnings (and notes) do
not block the form: they are left on the field for the template, as plain strings::

    {% for warning in form.nik.nik_warnings %}
      <p class="help is-warning">{{ warning }}</p>
    {% endfor %}

The full result is on ``field.nik_check`` / ``field.kk_check``; a view should store
``check.value`` (the digits without separators), not the raw input.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from webapp.identity.nik import KkCheck, NikCheck, check_kk, check_nik


class _NumberValidator:
    """Shared behaviour of :class:`NikValidator` and :class:`KkValidator`.

    ``allow_empty``: an empty field is not an error (False = the number is required).
    ``optional``: when the field is empty and allowed, stop the chain like
    ``wtforms.validators.Optional`` so later validators do not complain about it.
    """

    attribute = ""  # "nik" or "kk": field.<attribute>_check, _warnings, _notes

    def __init__(self, optional: bool = True, allow_empty: bool = True, message: str | None = None):
        self.optional = optional
        self.allow_empty = allow_empty
        self.message = message
        if not allow_empty:
            self.field_flags = {"required": True}
        elif optional:
            self.field_flags = {"optional": True}
        else:
            self.field_flags = {}

    def __call__(self, form, field) -> None:
        self._reset(field)
        if not _has_value(field.data):
            self._on_empty(field)
            return
        result = self.check(form, str(field.data))
        setattr(field, f"{self.attribute}_check", result)
        setattr(field, f"{self.attribute}_warnings", [str(w.message) for w in result.warnings])
        setattr(field, f"{self.attribute}_notes", [str(n.message) for n in result.notes])
        if result.errors:
            raise ValidationError(str(self.message or result.errors[0].message))

    def check(self, form, value: str) -> NikCheck | KkCheck:
        raise NotImplementedError

    def _reset(self, field) -> None:
        setattr(field, f"{self.attribute}_check", None)
        setattr(field, f"{self.attribute}_warnings", [])
        setattr(field, f"{self.attribute}_notes", [])

    def _on_empty(self, field) -> None:
        if not self.allow_empty:
            raise StopValidation(str(self.required_message()))
        if self.optional:
            raise StopValidation()

    def required_message(self):
        raise NotImplementedError


class NikValidator(_NumberValidator):
    """Validate a NIK field with :func:`~webapp.identity.nik.check_nik`.

    ``sex_field`` / ``birth_date_field`` name other fields of the same form whose data ("L"/"P",
    a date) feed the sex and birth-date warnings; an empty or other value there is ignored.
    """

    attribute = "nik"

    def __init__(
        self,
        optional: bool = True,
        allow_empty: bool = True,
        message: str | None = None,
        *,
        sex_field: str | None = None,
        birth_date_field: str | None = None,
    ):
        super().__init__(optional, allow_empty, message)
        self.sex_field = sex_field
        self.birth_date_field = birth_date_field

    def check(self, form, value: str) -> NikCheck:
        sex = _form_data(form, self.sex_field)
        birth_date = _form_data(form, self.birth_date_field)
        return check_nik(
            value,
            sex=sex if sex in ("L", "P") else None,
            birth_date=birth_date if isinstance(birth_date, date) else None,
        )

    def required_message(self):
        return _l("NIK wajib diisi.")


class KkValidator(_NumberValidator):
    """Validate a No. KK field with :func:`~webapp.identity.nik.check_kk`."""

    attribute = "kk"

    def check(self, form, value: str) -> KkCheck:
        return check_kk(value)

    def required_message(self):
        return _l("No. KK wajib diisi.")


def _has_value(data) -> bool:
    return data is not None and str(data).strip() != ""


def _form_data(form, name: str | None):
    if name is None or name not in form:
        return None
    return form[name].data
