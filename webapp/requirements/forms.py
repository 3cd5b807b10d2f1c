"""Forms for requirement templates. Values are checked by the services (Indonesian messages)."""
from flask_babel import lazy_gettext as _l
from webapp.core.forms import BaseForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from webapp.requirements.services import ALT_GROUPS, FACT_LABELS, KIND_LABELS
from webapp.settings.services import age_setting_choices


class TemplateForm(BaseForm):
    title = StringField(_l("Judul"))
    legal_basis = TextAreaField(_l("Dasar hukum"), render_kw={"rows": 2})
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 2})
    active = BooleanField(_l("Aktif (dipakai sebagai daftar syarat)"))


def _kind_choices():
    return [(k, str(v)) for k, v in KIND_LABELS.items()]


def _alt_choices():
    return [("", str(_l("— wajib (bukan alternatif) —")))] + [
        (g, str(_l("Alternatif kelompok %(g)s", g=g))) for g in ALT_GROUPS]


def _fact_choices():
    return [("", str(_l("— selalu —")))] + [(k, str(v)) for k, v in FACT_LABELS.items()]


def _age_setting_choices():
    return [("", str(_l("— tidak ada —")))] + age_setting_choices()


class ItemForm(BaseForm):
    text = StringField(_l("Syarat"))
    kind = SelectField(_l("Jenis"), choices=_kind_choices, validate_choice=False)
    alt_group = SelectField(_l("Alternatif"), choices=_alt_choices, validate_choice=False)
    min_age = StringField(_l("Usia minimal"), render_kw={"inputmode": "numeric"})
    max_age = StringField(_l("Usia maksimal"), render_kw={"inputmode": "numeric"})
    age_setting = SelectField(_l("Usia minimal dari pengaturan"), choices=_age_setting_choices, validate_choice=False)
    only_if = SelectField(_l("Hanya jika"), choices=_fact_choices, validate_choice=False)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("text", "kind", "alt_group", "min_age", "max_age", "only_if", "age_setting")}
