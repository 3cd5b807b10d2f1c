"""Requirement templates as data: what each resident must bring, and who is eligible.

Public API (used by requests and the field intake checklist — keep the signatures):
    requirements_for(service_code, subtype_code, *, age_years=None, facts=None) -> list[RequirementLine]
    eligibility_problems(service_code, subtype_code, *, age_years, married) -> list[str]
    seed_templates(actor=None) -> int

Condition semantics of an item (document/presence/photo):
- min_age / max_age (years, inclusive) and age_setting (a setting giving the minimum age): the
  item applies only inside that range; with the age unknown it is shown with a note.
- only_if (a fact such as "late_report", "married", "moved_in"): the item applies only when the
  fact is in `facts`.
For kind "eligibility" the same columns describe the rule eligibility_problems checks (minimum
age from min_age or age_setting, maximum age, only_if="unmarried": the minimum age binds only
the unmarried); an eligibility line is always shown, its text mentions the ages."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.core.changes import record_change
from webapp.core.errors import DomainError
from webapp.core.memo import memoised
from webapp.core.validation import clean_text
from webapp.extensions import db
from webapp.layanan.catalog import SERVICES
from webapp.requirements.models import ITEM_KINDS, RequirementItem, RequirementTemplate
from webapp.settings import services as settings

KIND_LABELS = {
    "document": _l("Dokumen"),
    "presence": _l("Kehadiran"),
    "photo": _l("Foto"),
    "eligibility": _l("Syarat usia/status"),
}
FACT_LABELS = {
    "late_report": _l("Pelaporan terlambat"),
    "married": _l("Sudah/pernah kawin"),
    "unmarried": _l("Belum pernah kawin"),
    "moved_in": _l("Pindah datang"),
}
ALT_GROUPS = ("A", "B", "C", "D", "E", "F")
MAX_TEXT = 500
MAX_AGE_VALUE = 150


@dataclass(frozen=True)
class RequirementLine:
    texts: list[str]        # more than one entry: alternatives, any one of them is enough
    kind: str
    note: str | None = None


# --- reading ------------------------------------------------------------------------------

def get_template(service_code: str, subtype_code: str) -> RequirementTemplate | None:
    """Read once per transaction (webapp.core.memo): a request page asks per resident and service."""
    return memoised(("requirement_template", service_code, subtype_code), lambda: db.session.execute(
        select(RequirementTemplate).where(RequirementTemplate.service_code == service_code,
                                          RequirementTemplate.subtype_code == subtype_code)
    ).scalar_one_or_none())


def _min_age(item: RequirementItem, config: dict[str, int]) -> int | None:
    if item.age_setting and item.age_setting in config:
        return config[item.age_setting]
    return item.min_age


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, item: RequirementItem | None, config: dict[str, int]) -> str:
    """Replace {min_age}, {max_age}, {limit} (max_age + 1) and {<setting key>}; leave others."""
    known: dict[str, object] = dict(config)
    if item is not None:
        low = _min_age(item, config)
        if low is not None:
            known["min_age"] = low
        if item.max_age is not None:
            known["max_age"] = item.max_age
            known["limit"] = item.max_age + 1
    return _PLACEHOLDER.sub(lambda m: str(known.get(m.group(1), m.group(0))), text or "")


def _age_note(low: int | None, high: int | None) -> str | None:
    if low is not None and high is not None:
        return _("Untuk usia %(a)d–%(b)d tahun.", a=low, b=high)
    if low is not None:
        return _("Untuk usia %(a)d tahun ke atas.", a=low)
    if high is not None:
        return _("Untuk usia sampai %(b)d tahun.", b=high)
    return None


def _applies(item: RequirementItem, age_years: int | None, facts: set[str],
             config: dict[str, int]) -> tuple[bool, str | None]:
    """(applies?, note). Eligibility lines always show; their columns are the rule."""
    if item.kind == "eligibility":
        return True, None
    if item.only_if and item.only_if not in facts:
        return False, None
    low, high = _min_age(item, config), item.max_age
    if age_years is None:
        return True, _age_note(low, high)
    if low is not None and age_years < low:
        return False, None
    if high is not None and age_years > high:
        return False, None
    return True, None


def lines_for_template(template: RequirementTemplate, *, age_years: int | None = None,
                       facts: set[str] | None = None) -> list[RequirementLine]:
    config = settings.values()
    facts = set(facts or ())
    lines: list[RequirementLine] = []
    groups: dict[str, int] = {}        # alt_group → index in lines
    notes: dict[int, list[str]] = {}
    for item in sorted(template.items, key=lambda i: (i.position, str(i.id))):
        ok, note = _applies(item, age_years, facts, config)
        if not ok:
            continue
        text = fill(item.text, item, config)
        if item.alt_group and item.alt_group in groups:
            index = groups[item.alt_group]
            lines[index].texts.append(text)
        else:
            lines.append(RequirementLine([text], item.kind, None))
            index = len(lines) - 1
            if item.alt_group:
                groups[item.alt_group] = index
        if note:
            notes.setdefault(index, []).append(note)
    return [RequirementLine(line.texts, line.kind, " ".join(dict.fromkeys(notes[i])) if i in notes else None)
            for i, line in enumerate(lines)]


def requirements_for(service_code: str, subtype_code: str, *, age_years: int | None = None,
                     facts: set[str] | None = None) -> list[RequirementLine]:
    """What a resident must bring (and be) for this service, conditions already applied.
    An unknown or inactive template gives an empty list."""
    template = get_template(service_code, subtype_code)
    if template is None or not template.active:
        return []
    return lines_for_template(template, age_years=age_years, facts=facts)


def eligibility_problems(service_code: str, subtype_code: str, *, age_years: int | None,
                         married: bool | None) -> list[str]:
    """Why this resident cannot get this service (empty: no known obstacle)."""
    svc = SERVICES.get(service_code)
    if svc is None or svc.subtype(subtype_code) is None:
        return [_("Layanan tidak dikenal.")]
    template = get_template(service_code, subtype_code)
    if template is None or not template.active or age_years is None:
        return []
    config = settings.values()
    problems: list[str] = []
    for item in sorted(template.items, key=lambda i: i.position):
        if item.kind != "eligibility":
            continue
        low, high = _min_age(item, config), item.max_age
        if low is not None and age_years < low:
            if item.only_if == "unmarried":
                if married is True:
                    pass
                elif married is False:
                    problems.append(_("Belum berusia %(n)d tahun dan belum pernah kawin", n=low))
                else:
                    problems.append(_("Belum berusia %(n)d tahun (kecuali sudah/pernah kawin)", n=low))
            else:
                problems.append(_("Belum berusia %(n)d tahun", n=low))
        if high is not None and age_years > high:
            problems.append(_("Sudah berusia %(age)d tahun; %(svc)s hanya untuk usia di bawah %(limit)d tahun",
                              age=age_years, svc=template.title, limit=high + 1))
    return problems


def templates_by_service() -> list[tuple[str, str, list[RequirementTemplate]]]:
    """(service code, label, templates in catalogue order) for the admin list."""
    rows = db.session.execute(select(RequirementTemplate)).scalars().all()
    by_key = {(t.service_code, t.subtype_code): t for t in rows}
    result = []
    for svc in SERVICES.values():
        templates = [by_key[(svc.code, s.code)] for s in svc.subtypes if (svc.code, s.code) in by_key]
        result.append((svc.code, str(svc.label), templates))
    return result


# --- writing ------------------------------------------------------------------------------



def update_template(template: RequirementTemplate, *, title: str, legal_basis: str | None,
                    notes: str | None, active: bool, actor, commit: bool = True) -> RequirementTemplate:
    template.title = clean_text(title, "title", required=True, limit=200)
    template.legal_basis = clean_text(legal_basis, "legal_basis", required=False, limit=2000)
    template.notes = clean_text(notes, "notes", required=False, limit=2000)
    template.active = bool(active)
    record_change(template, "update", actor=actor,
                  summary=f"{template.service_code}:{template.subtype_code} — {template.title}"
                          + ("" if template.active else " (nonaktif)"))
    if commit:
        db.session.flush()
    return template


def _parse_age(value, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip(), 10)
    except ValueError:
        raise DomainError(_l("Usia harus bilangan bulat (tahun)."), field=field) from None
    if not 0 <= number <= MAX_AGE_VALUE:
        raise DomainError(_l("Usia harus antara 0 dan %(n)d tahun.", n=MAX_AGE_VALUE), field=field)
    return number


def _item_values(*, text, kind, alt_group, min_age, max_age, only_if, age_setting) -> dict:
    values = {"text": clean_text(text, "text", required=True, limit=MAX_TEXT)}
    if kind not in ITEM_KINDS:
        raise DomainError(_l("Jenis syarat tidak dikenal."), field="kind")
    values["kind"] = kind
    alt_group = (alt_group or "").strip() or None
    if alt_group is not None and alt_group not in ALT_GROUPS:
        raise DomainError(_l("Kelompok alternatif tidak dikenal."), field="alt_group")
    values["alt_group"] = alt_group
    only_if = (only_if or "").strip() or None
    if only_if is not None and only_if not in FACT_LABELS:
        raise DomainError(_l("Kondisi tidak dikenal."), field="only_if")
    values["only_if"] = only_if
    age_setting = (age_setting or "").strip() or None
    if age_setting is not None and age_setting not in dict(settings.age_setting_choices()):
        raise DomainError(_l("Pengaturan usia tidak dikenal."), field="age_setting")
    values["age_setting"] = age_setting
    values["min_age"] = _parse_age(min_age, "min_age")
    values["max_age"] = _parse_age(max_age, "max_age")
    if age_setting and values["min_age"] is not None:
        raise DomainError(_l("Pilih salah satu: usia minimal angka tetap atau dari pengaturan."), field="min_age")
    if values["min_age"] is not None and values["max_age"] is not None and values["min_age"] > values["max_age"]:
        raise DomainError(_l("Usia maksimal tidak boleh lebih kecil dari usia minimal."), field="max_age")
    return values


def _renumber(template: RequirementTemplate) -> None:
    for index, item in enumerate(sorted(template.items, key=lambda i: (i.position, str(i.id))), start=1):
        item.position = index


def add_item(template: RequirementTemplate, *, text: str, kind: str = "document", alt_group: str | None = None,
             min_age=None, max_age=None, only_if: str | None = None, age_setting: str | None = None,
             actor=None, commit: bool = True) -> RequirementItem:
    values = _item_values(text=text, kind=kind, alt_group=alt_group, min_age=min_age, max_age=max_age,
                          only_if=only_if, age_setting=age_setting)
    position = max((i.position for i in template.items), default=0) + 1
    item = RequirementItem(template=template, position=position, **values)
    db.session.add(item)
    record_change(item, "create", actor=actor, summary=_summary(template, item, "tambah"))
    if commit:
        db.session.flush()
    return item


def update_item(item: RequirementItem, *, actor, commit: bool = True, **fields) -> RequirementItem:
    values = _item_values(**fields)
    for key, value in values.items():
        setattr(item, key, value)
    record_change(item, "update", actor=actor, summary=_summary(item.template, item, "ubah"))
    if commit:
        db.session.flush()
    return item


def remove_item(item: RequirementItem, *, actor, commit: bool = True) -> RequirementTemplate:
    template = item.template
    record_change(item, "delete", actor=actor, summary=_summary(template, item, "hapus"))
    template.items.remove(item)
    db.session.delete(item)
    _renumber(template)
    if commit:
        db.session.flush()
    return template


def move_item(item: RequirementItem, direction: str, *, actor, commit: bool = True) -> RequirementTemplate:
    if direction not in ("up", "down"):
        raise DomainError(_l("Arah tidak dikenal."))
    template = item.template
    _renumber(template)
    ordered = sorted(template.items, key=lambda i: i.position)
    index = ordered.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
        record_change(item, "update", actor=actor,
                      summary=_summary(template, item, "naik" if direction == "up" else "turun"))
    if commit:
        db.session.flush()
    return template


def _summary(template: RequirementTemplate, item: RequirementItem, verb: str) -> str:
    return f"{template.service_code}:{template.subtype_code} {verb}: {item.text[:120]}"


def item_or_none(item_id) -> RequirementItem | None:
    try:
        return db.session.get(RequirementItem, uuid.UUID(str(item_id)))
    except ValueError:
        return None


# --- seeding ------------------------------------------------------------------------------

def seed_templates(actor=None) -> int:
    """Create the templates that do not exist yet (never overwrites the office's edits).
    Returns how many were created."""
    from webapp.requirements.seed import TEMPLATES

    created = 0
    for spec in TEMPLATES:
        if get_template(spec["service"], spec["subtype"]) is not None:
            continue
        template = RequirementTemplate(service_code=spec["service"], subtype_code=spec["subtype"],
                                       title=spec["title"], legal_basis=spec["legal_basis"],
                                       notes=spec["notes"] or None, active=True)
        db.session.add(template)
        for position, (text, kind, options) in enumerate(spec["items"], start=1):
            template.items.append(RequirementItem(position=position, text=text, kind=kind, **options))
        record_change(template, "create", actor=actor,
                      summary=f"{spec['service']}:{spec['subtype']} — templat awal ({len(spec['items'])} butir)")
        created += 1
    db.session.flush()
    return created


def template_note(template: RequirementTemplate) -> str:
    return fill(template.notes or "", None, settings.values())


def describe_conditions(item: RequirementItem) -> list[str]:
    """Human words for an item's conditions, for the admin table."""
    config = settings.values()
    words: list[str] = []
    if item.age_setting:
        label = dict(settings.age_setting_choices()).get(item.age_setting, item.age_setting)
        words.append(_("usia minimal %(n)s tahun (pengaturan: %(label)s)", n=config.get(item.age_setting, "?"),
                       label=label))
    elif item.min_age is not None:
        words.append(_("usia minimal %(n)d tahun", n=item.min_age))
    if item.max_age is not None:
        words.append(_("usia maksimal %(n)d tahun", n=item.max_age))
    if item.only_if:
        if item.kind == "eligibility" and item.only_if == "unmarried":
            words.append(_("batas usia hanya bagi yang belum pernah kawin"))
        else:
            words.append(_("hanya jika: %(fact)s", fact=FACT_LABELS.get(item.only_if, item.only_if)))
    return words


def parse_preview_age(raw: str | None) -> int | None:
    """The preview's age field: empty → unknown; otherwise 0–150 or DomainError."""
    return _parse_age(raw, "umur")
