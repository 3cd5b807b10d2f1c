"""Forms of the intake: a new application, the checklist line, uploads and the outcomes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.core.forms import BaseForm
from webapp.identity.validators import KkValidator, NikValidator
from webapp.intake.models import COLLECT_AT, LINE_STATES, RELATIONS
from webapp.layanan.catalog import STOCK_ITEMS, service_choices
from webapp.quality.models import CASE_KIND_LABELS

DATE_MSG = _l("Isi tanggal yang benar.")
TOO_LONG = _l("Terlalu panjang: maksimal %(max)d karakter.")
MARRIED_CHOICES = [("", _l("Tidak diketahui")), ("ya", _l("Kawin / pernah kawin")), ("tidak", _l("Belum kawin"))]
SEX_CHOICES = [("", "—"), ("L", _l("L — Laki-laki")), ("P", _l("P — Perempuan"))]


class _Date(DateField):
    """A date field whose refusal of a badly typed date is in Indonesian."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(DATE_MSG)) from None


class ApplicationForm(BaseForm):
    service = SelectField(_l("Layanan"), choices=lambda: [("", _l("— pilih layanan —"))] + service_choices(),
                          validate_choice=False, validators=[DataRequired(_l("Pilih layanan."))])
    relation = SelectField(_l("Pemohon adalah"), choices=list(RELATIONS.items()), default="sendiri",
                           validate_choice=False)
    subject_nik = StringField(_l("NIK"), validators=[NikValidator(sex_field="subject_sex",
                                                                  birth_date_field="subject_birth_date"),
                                                     Length(max=30, message=TOO_LONG)])
    subject_no_kk = StringField(_l("No. KK"), validators=[KkValidator(), Length(max=30, message=TOO_LONG)])
    subject_name = StringField(_l("Nama lengkap"),
                               validators=[DataRequired(_l("Isi nama.")), Length(max=120, message=TOO_LONG)])
    subject_sex = SelectField(_l("Jenis kelamin"), choices=SEX_CHOICES, validate_choice=False, validators=[Optional()])
    subject_birth_place = StringField(_l("Tempat lahir"), validators=[Optional(), Length(max=120, message=TOO_LONG)])
    subject_birth_date = _Date(_l("Tanggal lahir"), validators=[Optional()])
    subject_address = StringField(_l("Alamat"), validators=[Optional(), Length(max=255, message=TOO_LONG)])
    subject_married = SelectField(_l("Status perkawinan"), choices=MARRIED_CHOICES, validate_choice=False,
                                  validators=[Optional()])
    person_key = HiddenField()
    event_date = _Date(_l("Tanggal kelahiran / kematian"), validators=[Optional()])
    moved_in = BooleanField(_l("Pindah datang (ada surat pindah)"))
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=1000, message=TOO_LONG)])

    @property
    def married_value(self) -> bool | None:
        return {"ya": True, "tidak": False}.get(self.subject_married.data or "")


class LineForm(BaseForm):
    class Meta:
        csrf = False   # htmx sends the token in its header (CSRFProtect checks it)

    state = RadioField(_l("Keadaan"), choices=list(LINE_STATES.items()), validate_choice=False,
                       validators=[DataRequired(_l("Pilih Ada, Tidak ada, atau SPTJM."))])


class UploadForm(BaseForm):
    class Meta:
        csrf = False   # checked by CSRFProtect (header or field)

    line_id = HiddenField()
    kind = HiddenField(default="scan")
    file = FileField(_l("Berkas"))


class FinishForm(BaseForm):
    document_number = StringField(_l("Nomor dokumen dari SIAK"),
                                  validators=[DataRequired(_l("Isi nomor dokumen yang diterbitkan SIAK.")),
                                              Length(max=60, message=TOO_LONG)])
    issued_on = _Date(_l("Tanggal terbit"), validators=[InputRequired(_l("Isi tanggal terbit dokumen."))])
    stock_code = SelectField(_l("Blangko yang dipakai"),
                             choices=lambda: [("", _l("— tanpa blangko —"))] + [(c, l) for c, (l, _u) in STOCK_ITEMS.items()],
                             validate_choice=False, validators=[Optional()])
    spoiled = StringField(_l("Blangko rusak saat cetak"), default="0", validators=[Optional(), Length(max=4, message=TOO_LONG)])


class ReceiptForm(BaseForm):
    applications = SelectMultipleField(_l("Permohonan pada tanda terima"), choices=[], validate_choice=False)
    collect_at = RadioField(_l("Dokumen diambil di"), choices=list(COLLECT_AT.items()), default="kantor",
                            validate_choice=False, validators=[DataRequired(_l("Pilih tempat pengambilan dokumen."))])


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Alasan"), validators=[DataRequired(_l("Tuliskan alasannya.")), Length(max=1000, message=TOO_LONG)])


class CaseForm(BaseForm):
    kind = SelectField(_l("Jenis kasus"), choices=list(CASE_KIND_LABELS.items()), default="anomali",
                       validate_choice=False)
    summary = TextAreaField(_l("Uraian masalah"), validators=[
        DataRequired(_l("Tuliskan uraian masalahnya.")),
        Length(min=5, max=2000, message=_l("Uraian 5–2.000 karakter."))])
