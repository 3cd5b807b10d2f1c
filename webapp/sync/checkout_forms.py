"""Forms of the bus laptop's check-out and check-in pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.core.forms import BaseForm


class CheckoutForm(BaseForm):
    trip_number = StringField(_l("Nomor perjalanan"),
                              validators=[DataRequired(_l("Isi nomor perjalanan, mis. TRP-OFFICE-000012.")),
                                          Length(max=32)],
                              render_kw={"placeholder": "TRP-OFFICE-000012", "autocomplete": "off"})


class CheckinForm(BaseForm):
    """The note for the whole trip; the counts per stock code and the condition per item are
    fields named returned_<code>, note_<code>, equipment_<id> (read by the view)."""

    note = TextAreaField(_l("Catatan check-in (opsional)"), validators=[Optional(), Length(max=1000)])
