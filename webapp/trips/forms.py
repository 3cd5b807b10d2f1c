"""The schedule/edit form: scalar fields through WTForms (CSRF, kept values, errors next to the
field); the repeating parts (requests, team rows, equipment, stock) are read from the form data
into a TripPlan by `read_plan`, with their own errors."""
from __future__ import annotations

import uuid
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS
from webapp.trips.services import MemberChoice, TripPlan


def parse_date(text: str | None) -> date | None:
    """ISO (from <input type=date>) or dd-mm-yyyy; None when it cannot be read."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
        day, month, year = text.replace("/", "-").split("-")
        return date(int(year), int(month), int(day))
    except (ValueError, TypeError):
        return None


def _date_field_check(form, field) -> None:
    if field.data and parse_date(field.data) is None:
        raise ValidationError(_("Tanggal tidak dapat dibaca. Gunakan pemilih tanggal (hh-bb-tttt)."))


class TripForm(BaseForm):
    start_date = StringField(_l("Tanggal berangkat"), validators=[_date_field_check])
    end_date = StringField(_l("Tanggal selesai"), validators=[_date_field_check])
    # The office's buses (webapp/trips/buses.py); the view sets the choices. An unknown code is
    # refused by the service with its message next to the field, so no choice validation here.
    node_code = SelectField(_l("Bus"), default="BUS-01", validate_choice=False)
    meeting_point = StringField(_l("Titik kumpul"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=2000)])


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


def read_plan(form: TripForm, formdata) -> tuple[TripPlan, dict[str, list[str]]]:
    """Plain values from the posted form, and the errors of what could not even be read."""
    errors: dict[str, list[str]] = {}
    plan = TripPlan(start_date=parse_date(form.start_date.data), end_date=parse_date(form.end_date.data),
                    node_code=form.node_code.data or "", meeting_point=form.meeting_point.data or "",
                    notes=form.notes.data or "",
                    accepted_missing=frozenset(kind for raw in formdata.getlist("equipment_ack")
                                               for kind in raw.split(",") if kind in EQUIPMENT_KINDS))
    for raw in formdata.getlist("requests"):
        key = _uuid(raw)
        if key is None:
            errors.setdefault("requests", []).append(_("Permohonan yang dipilih tidak dikenal."))
        else:
            plan.request_ids.append(key)
    users, tasks = formdata.getlist("member_user"), formdata.getlist("member_task")
    for index, raw in enumerate(users):
        task = tasks[index] if index < len(tasks) else ""
        if not raw:
            if task:
                errors.setdefault("members", []).append(_("Pilih nama petugas pada setiap baris tim."))
            continue
        key = _uuid(raw)
        if key is None:
            errors.setdefault("members", []).append(_("Petugas yang dipilih tidak dikenal."))
        else:
            plan.members.append(MemberChoice(key, task))
    for raw in formdata.getlist("equipment"):
        key = _uuid(raw)
        if key is None:
            errors.setdefault("equipment", []).append(_("Peralatan yang dipilih tidak dikenal."))
        else:
            plan.equipment_ids.append(key)
    for code in STOCK_ITEMS:
        raw = (formdata.get(f"stock_{code}") or "").strip()
        if not raw:
            plan.stock[code] = 0
            continue
        try:
            qty = int(raw)
        except ValueError:
            errors.setdefault(f"stock_{code}", []).append(_("Isi jumlah dengan angka bulat."))
            continue
        if qty < 0:
            errors.setdefault(f"stock_{code}", []).append(_("Isi jumlah 0 atau lebih."))
        plan.stock[code] = qty
    return plan, errors


def split_errors(form: TripForm, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors of the WTForms fields go onto the fields; the rest stay for the template."""
    rest: dict[str, list[str]] = {}
    for key, messages in errors.items():
        field = getattr(form, key, None) if key.isidentifier() and not key.startswith("stock_") else None
        if field is not None and hasattr(field, "errors") and key in form._fields:
            field.errors = list(field.errors) + list(messages)
        else:
            rest[key] = list(messages)
    return rest


class CancelForm(BaseForm):
    reason = TextAreaField(_l("Alasan pembatalan"), validators=[Length(max=1000)])
