"""Forms of the sync pages (office: field nodes, conflicts)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.core.forms import BaseForm


class NodeForm(BaseForm):
    code = StringField(_l("Kode node"), validators=[DataRequired(_l("Isi kode node, mis. BUS-01.")), Length(max=32)],
                       render_kw={"placeholder": "BUS-01", "autocomplete": "off"})
    name = StringField(_l("Nama (opsional)"), validators=[Optional(), Length(max=120)],
                       render_kw={"placeholder": "Laptop Bus Ketupat Pecel 01"})


class ConfirmForm(BaseForm):
    """A button that changes something (revoke): CSRF only."""


class DecisionForm(BaseForm):
    decision = RadioField(_l("Keputusan"), choices=[], validators=[DataRequired(_l("Pilih keputusan."))])
    note = TextAreaField(_l("Catatan keputusan"), validators=[DataRequired(_l("Tulis alasan keputusan.")),
                                                              Length(max=1000)])
