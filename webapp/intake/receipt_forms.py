"""The receipt's cancel form (the reason is checked by the service, its message shown here)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from webapp.core.forms import BaseForm


class CancelReceiptForm(BaseForm):
    reason = TextAreaField(_l("Alasan pembatalan"))
