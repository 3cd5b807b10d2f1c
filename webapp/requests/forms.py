from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from webapp.core.timefmt import wita_today
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.identity.validators import KkValidator, NikValidator
from webapp.layanan.catalog import service_choices
from webapp.requests.models import DIVISION_LABELS, DIVISIONS

PHONE = Regexp(r"^[0-9+\-\s()]{6,30}$", message=_l("Nomor telepon hanya angka, spasi, +, -, ( )."))
DATE_MSG = _l("Isi tanggal yang benar.")


class LetterForm(BaseForm):
    letter_number = StringField(_l("Nomor surat"), validators=[DataRequired(_l("Isi nomor surat.")), Length(max=80)])
    letter_date = DateField(_l("Tanggal surat"), validators=[DataRequired(DATE_MSG)])
    desa_code = SelectField(_l("Desa/kelurahan"), choices=[], validate_choice=False,
                            validators=[DataRequired(_l("Pilih desa atau kelurahan."))])
    signatory_name = StringField(_l("Penanda tangan"), validators=[DataRequired(_l("Isi nama penanda tangan surat.")),
                                                                  Length(max=120)])
    signatory_title = StringField(_l("Jabatan penanda tangan"), default="Kepala Desa",
                                  validators=[DataRequired(_l("Isi jabatan penanda tangan.")), Length(max=80)])
    requested_date = DateField(_l("Tanggal pelayanan yang diminta"), validators=[DataRequired(DATE_MSG)])
    location = StringField(_l("Lokasi pelayanan"), validators=[DataRequired(_l("Isi lokasi pelayanan, misalnya Balai Desa.")),
                                                               Length(max=200)])
    contact_phone = StringField(_l("Nomor telepon yang dapat dihubungi"), validators=[Optional(), PHONE])
    notes = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=2000)])
    letter_file = FileField(_l("Pindaian surat (PDF/JPG/PNG, maks. 5 MB)"))


class ResidentForm(BaseForm):
    """One row of the resident list (inline htmx row)."""

    class Meta:
        csrf = False   # the htmx request carries the token in its header (CSRFProtect checks it)

    name = StringField(_l("Nama"), validators=[DataRequired(_l("Nama wajib diisi.")), Length(max=120)])
    nik = StringField(_l("NIK"), validators=[NikValidator(sex_field="sex", birth_date_field="birth_date")])
    no_kk = StringField(_l("No. KK"), validators=[KkValidator()])
    sex = SelectField(_l("L/P"), choices=[("L", "L"), ("P", "P")],
                      validators=[DataRequired(_l("Pilih L atau P."))])
    birth_date = DateField(_l("Tanggal lahir"), validators=[DataRequired(_l("Isi tanggal lahir yang benar."))])
    phone = StringField(_l("Telepon"), validators=[Optional(), PHONE])
    note = StringField(_l("Keterangan"), validators=[Optional(), Length(max=500)])
    services = SelectMultipleField(_l("Layanan"), choices=service_choices, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(),
                                   validators=[DataRequired(_l("Pilih minimal satu layanan."))])

    def validate_birth_date(self, field):
        if field.data and field.data > wita_today():
            raise ValidationError(_l("Tanggal lahir belum terjadi."))
        if field.data and field.data.year < 1890:
            raise ValidationError(_l("Tanggal lahir tidak masuk akal."))


class ImportForm(BaseForm):
    resident_file = FileField(_l("Berkas daftar warga (CSV atau XLSX, maks. 2 MB)"))


def division_choices(blank: str | None = None):
    choices = [(d, str(DIVISION_LABELS[d])) for d in DIVISIONS]
    return ([("", blank)] if blank is not None else []) + choices


class DispositionForm(BaseForm):
    lead_division = SelectField(_l("Bidang yang memimpin dan menjadwalkan"), choices=[],
                                validators=[DataRequired(_l("Pilih bidang yang memimpin."))])
    support_division = SelectField(_l("Bidang pendamping (menambah petugas pada perjalanan yang sama)"),
                                   choices=[], validators=[Optional()])
    instruction = TextAreaField(_l("Instruksi"), validators=[DataRequired(_l("Tulis instruksi untuk bidang.")),
                                                             Length(max=1000)])
    due_date = DateField(_l("Batas waktu penjadwalan"), validators=[DataRequired(_l("Isi batas waktu."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_division.choices = division_choices()
        self.support_division.choices = division_choices(str(_l("— tidak ada —")))

    def validate_support_division(self, field):
        if field.data and field.data == self.lead_division.data:
            raise ValidationError(_l("Bidang pendamping harus berbeda dari bidang yang memimpin."))


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Alasan"), validators=[DataRequired(_l("Tulis alasannya.")), Length(min=5, max=1000,
                           message=_l("Alasan 5–1000 karakter."))])
