"""Forms of the trip day: a walk-in, sending a resident home, returning unused blanks. The rules
themselves are in services (the NIK, the register and the pre-trip check for a walk-in, the ledger
for the blanks); these forms read and keep what was typed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.core.forms import BaseForm
from webapp.field.services import MAX_REASON, WalkInInput


class WalkInForm(BaseForm):
    # The lengths and the sex are checked by services.check_walk_in (its messages, in Indonesian).
    name = StringField(_l("Nama"), validators=[DataRequired(_l("Isi nama warga."))])
    nik = StringField(_l("NIK"), validators=[Optional()])
    no_kk = StringField(_l("No. KK"), validators=[Optional()])
    sex = SelectField(_l("Jenis kelamin"), choices=[("", "—"), ("L", _l("Laki-laki")), ("P", _l("Perempuan"))],
                      validate_choice=False, validators=[DataRequired(_l("Pilih L atau P."))])
    birth_date = DateField(_l("Tanggal lahir"), validators=[DataRequired(_l("Isi tanggal lahir yang benar."))])
    desa_code = SelectField(_l("Desa"), choices=[], validate_choice=False,
                            validators=[DataRequired(_l("Pilih desa yang dilayani perjalanan ini."))])
    phone = StringField(_l("Telepon"), validators=[Optional()])

    def to_input(self) -> WalkInInput:
        return WalkInInput(name=self.name.data or "", nik=self.nik.data or None, no_kk=self.no_kk.data or None,
                           sex=self.sex.data or None, birth_date=self.birth_date.data if not self.birth_date.errors else None,
                           desa_code=self.desa_code.data or None, phone=self.phone.data or None)

    def attach(self, errors: dict[str, list[str]]) -> None:
        """The service's problems next to their fields (WTForms' own errors stay first)."""
        for name, messages in errors.items():
            target = getattr(self, name, None)
            if target is None:
                self.form_errors.extend(messages)
                continue
            target.errors = list(target.errors) + [m for m in messages if m not in target.errors]


class SendHomeForm(BaseForm):
    reason = TextAreaField(_l("Alasan dipulangkan"),
                           validators=[DataRequired(_l("Tuliskan alasan warga dipulangkan, misalnya berkas yang kurang.")),
                                       Length(max=MAX_REASON, message=_l("Alasan terlalu panjang: maksimal %(max)d "
                                                                         "karakter."))])


class ReturnBlanksForm(BaseForm):
    stock_code = SelectField(_l("Barang"), choices=[], validate_choice=False,
                             validators=[DataRequired(_l("Pilih barang yang dikembalikan."))])
    quantity = StringField(_l("Jumlah dikembalikan"), validators=[DataRequired(_l("Isi jumlah."))])
