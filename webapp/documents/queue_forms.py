"""Forms of the operator queue and the SIAK files."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.core.forms import BaseForm
from webapp.documents.siak.adapter import MAX_DOCUMENT_NUMBER, MAX_REASON


class ResultUploadForm(BaseForm):
    file = FileField(_l("Berkas hasil SIAK (CSV atau JSON)"))


class DocumentNumberForm(BaseForm):
    document_number = StringField(_l("Nomor dokumen dari SIAK"), validators=[
        DataRequired(_l("Isi nomor dokumen yang diterbitkan SIAK.")), Length(max=MAX_DOCUMENT_NUMBER)])
    issued_on = DateField(_l("Tanggal terbit"), validators=[DataRequired(_l("Isi tanggal terbit yang benar."))])


class RejectionForm(BaseForm):
    reason = TextAreaField(_l("Alasan penolakan dari SIAK"), validators=[
        DataRequired(_l("Tulis alasan penolakan dari SIAK.")), Length(max=MAX_REASON)])


class PrintForm(BaseForm):
    stock_code = SelectField(_l("Blangko yang dipakai"), choices=[], validate_choice=False)
    spoiled = StringField(_l("Blangko rusak/gagal cetak"), default="0", validators=[Length(max=6)])
