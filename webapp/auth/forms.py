from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from webapp.auth.roles import ROLE_LABELS, Role


class LoginForm(BaseForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Isi nama pengguna.")), Length(max=40)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Isi kata sandi.")), Length(max=200)])
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired(_l("Isi kata sandi saat ini."))])
    password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(_l("Isi kata sandi baru.")), Length(max=200)])
    confirm = PasswordField(_l("Ulangi kata sandi baru"),
                            validators=[DataRequired(_l("Ulangi kata sandi baru.")),
                                        EqualTo("password", _l("Kedua kata sandi tidak sama."))])


def role_choices():
    return [(r.value, str(ROLE_LABELS[r])) for r in Role]


class UserForm(BaseForm):
    username = StringField(_l("Nama pengguna"), validators=[
        DataRequired(_l("Isi nama pengguna.")), Length(min=3, max=40, message=_l("Nama pengguna 3–40 karakter.")),
        Regexp(r"^[a-zA-Z0-9._-]+$", message=_l("Hanya huruf, angka, titik, garis bawah, dan tanda hubung."))])
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(_l("Isi nama lengkap.")), Length(max=120)])
    nip = StringField(_l("NIP"), validators=[Optional(), Regexp(r"^\d{18}$", message=_l("NIP terdiri dari 18 angka."))])
    role = SelectField(_l("Peran"), choices=role_choices, validators=[DataRequired()])
    desa_code = SelectField(_l("Desa (khusus kepala desa)"), choices=[], validate_choice=False, validators=[Optional()])
    password = PasswordField(_l("Kata sandi awal"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Aktif"), default=True)
