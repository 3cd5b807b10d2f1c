"""Forms of the data-quality pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.identity.validators import NikValidator
from webapp.quality.models import CASE_KIND_LABELS


class UploadForm(BaseForm):
    file = FileField(_l("Berkas ekspor SIAK (CSV atau XLSX)"))


class SubmitForm(BaseForm):
    reference_number = StringField(_l("Nomor surat/rujukan ke pusat"), validators=[
        DataRequired(_l("Isi nomor surat/rujukan pengajuan ke pusat.")), Length(max=80)])
    reference_date = DateField(_l("Tanggal pengajuan"), validators=[
        InputRequired(_l("Isi tanggal pengajuan ke pusat."))])
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=1000)])


class ResolveForm(BaseForm):
    note = TextAreaField(_l("Cara penyelesaian"), validators=[
        DataRequired(_l("Tuliskan bagaimana kasus ini diselesaikan.")), Length(max=1000)])


class RejectForm(BaseForm):
    note = TextAreaField(_l("Alasan penolakan"), validators=[
        DataRequired(_l("Alasan penolakan wajib diisi.")), Length(max=1000)])


class ReopenForm(BaseForm):
    note = TextAreaField(_l("Alasan membuka kembali"), validators=[
        DataRequired(_l("Tuliskan alasan membuka kembali kasus ini.")), Length(max=1000)])


class DecisionForm(BaseForm):
    decision = RadioField(_l("Keputusan"), choices=[
        ("ganda", _l("Ganda — satu orang, satu rekaman dipertahankan")),
        ("bukan_ganda", _l("Bukan ganda — orang yang berbeda"))],
        validators=[InputRequired(_l("Pilih keputusan: ganda atau bukan ganda."))])
    kept_person_key = RadioField(_l("Rekaman yang dipertahankan"), choices=[], validate_choice=False,
                                 validators=[Optional()])
    reason = TextAreaField(_l("Alasan"), validators=[
        DataRequired(_l("Tuliskan alasan keputusan.")), Length(max=1000)])


class OpenCaseForm(BaseForm):
    name = StringField(_l("Nama penduduk"), validators=[DataRequired(_l("Isi nama penduduk.")), Length(max=200)])
    nik = StringField(_l("NIK"), validators=[NikValidator(optional=True, allow_empty=True), Length(max=30)])
    kind = SelectField(_l("Jenis kasus"), choices=[(k, v) for k, v in CASE_KIND_LABELS.items()],
                       validators=[DataRequired()])
    summary = TextAreaField(_l("Uraian masalah"), validators=[
        DataRequired(_l("Tuliskan uraian masalahnya.")), Length(min=5, max=2000,
                                                               message=_l("Uraian 5–2.000 karakter."))])


class PersonSearchForm(BaseForm):
    query = StringField(_l("NIK, No. KK, atau nama"), validators=[
        DataRequired(_l("Ketik NIK/No. KK 16 angka, atau minimal 3 huruf nama.")), Length(max=120)])
    birth_date = DateField(_l("Tanggal lahir (opsional)"), validators=[Optional()])
