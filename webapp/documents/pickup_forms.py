"""Forms of the pick-up desk and the public status check (CSRF, kept values, errors by field).
The documents chosen for a hand-over are checkboxes read from the form data (`applications`)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField

from webapp.core.forms import BaseForm
from webapp.documents.models import RECEIVER_KINDS


class StatusForm(BaseForm):
    """No validators: every wrong input gets the one same answer from the lookup."""

    nomor = StringField(_l("Nomor tanda terima"))
    kode_cek = StringField(_l("Kode cek"))


class DeskSearchForm(BaseForm):
    q = StringField(_l("Nomor tanda terima atau QR"))


class LostReceiptForm(BaseForm):
    name = StringField(_l("Nama pemegang tanda terima"))
    birth_date = StringField(_l("Tanggal lahir"))
    desa_code = SelectField(_l("Desa"), validate_choice=False)

    def birth_date_value(self) -> date | None:
        try:
            return date.fromisoformat((self.birth_date.data or "").strip())
        except ValueError:
            return None


class HandoverForm(BaseForm):
    receiver_kind = RadioField(_l("Yang mengambil"), choices=[(k, v) for k, v in RECEIVER_KINDS.items()],
                               default="sendiri", validate_choice=False)
    receiver_name = StringField(_l("Nama penerima"))
    receiver_relation = SelectField(_l("Hubungan keluarga dengan pemohon"), validate_choice=False)
    receiver_position = StringField(_l("Jabatan aparat desa"))
    receiver_nik = StringField(_l("NIK penerima (tidak wajib)"))


class BulkHandoverForm(BaseForm):
    receiver_name = StringField(_l("Nama aparat desa yang menerima"))
    receiver_position = StringField(_l("Jabatan"))
    receiver_nik = StringField(_l("NIK penerima (tidak wajib)"))
