"""The card reader's answer as agent.js posts it (hidden fields of the "Baca KTP-el" form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from webapp.core.forms import BaseForm


class CardReadingForm(BaseForm):
    reader = StringField(_l("Pembaca kartu"))
    atr = StringField(_l("ATR kartu"))
    uid = StringField(_l("UID kartu"))
