"""Typed settings with defaults. Plain arguments in; DomainError (Indonesian) out.

Every key the app reads is declared in SPECS with its default and its allowed range, so a
setting the office never touched still has a value, and a typo in a key fails loudly."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from webapp.core.changes import record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError, NotFound
from webapp.core.memo import memoised
from webapp.extensions import db
from webapp.settings.models import AppSetting


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: object
    default: int
    minimum: int
    maximum: int
    unit: object
    hint: object = ""
    is_age: bool = False    # offered as "minimum age from a setting" in requirement templates


SPECS: dict[str, SettingSpec] = {s.key: s for s in (
    SettingSpec("ktp_min_age", _l("Usia minimal KTP-el"), 17, 10, 25, _l("tahun"),
                _l("Usia wajib KTP-el bagi yang belum pernah kawin (UU Adminduk: 17 tahun)."), True),
    SettingSpec("perekaman_min_age", _l("Usia minimal perekaman KTP-el"), 17, 10, 25, _l("tahun"),
                _l("Banyak dinas merekam mulai 16 tahun dan mencetak pada usia 17."), True),
    SettingSpec("kia_photo_from_age", _l("KIA memakai pas foto mulai usia"), 5, 0, 16, _l("tahun"),
                _l("Anak mulai usia ini wajib pas foto berwarna 2×3 pada KIA."), True),
    SettingSpec("kk_max_members", _l("Anggota KK maksimal yang wajar"), 12, 2, 50, _l("orang"),
                _l("KK dengan anggota lebih dari ini ditandai untuk diperiksa.")),
    SettingSpec("birth_report_days", _l("Batas pelaporan kelahiran"), 60, 1, 365, _l("hari"),
                _l("Lewat dari batas ini pelaporan dicatat sebagai terlambat.")),
    SettingSpec("death_report_days", _l("Batas pelaporan kematian"), 30, 1, 365, _l("hari"),
                _l("Lewat dari batas ini pelaporan dicatat sebagai terlambat.")),
    SettingSpec("register_shrink_percent", _l("Impor register: minta konfirmasi bila berkas di bawah"), 90, 50, 100,
                _l("% baris register saat ini"),
                _l("Ekspor SIAK yang barisnya kurang dari ini (atau tanpa desa yang ada di register) tidak "
                   "langsung mengganti register: petugas melihat apa yang akan hilang, lalu memilih.")),
    SettingSpec("receipt_ready_days", _l("Dokumen dari tanda terima siap dalam"), 3, 1, 30, _l("hari kerja"),
                _l("Tanggal perkiraan siap yang dicetak pada tanda terima (hari kerja setelah berkas diterima).")),
)}


def spec(key: str) -> SettingSpec:
    try:
        return SPECS[key]
    except KeyError:
        raise NotFound(_l("Pengaturan tidak dikenal.")) from None


def age_setting_choices() -> list[tuple[str, str]]:
    return [(s.key, str(s.label)) for s in SPECS.values() if s.is_age]


def get_int(key: str) -> int:
    """The current value of an integer setting (its default when never set)."""
    spec(key)   # an unknown key fails loudly
    return values()[key]


def values() -> dict[str, int]:
    """Every setting's current value, read in one query once per transaction (webapp.core.memo)."""
    return dict(memoised("settings.values", _read_values))


def _read_values() -> dict[str, int]:
    rows = {r.key: r.value for r in db.session.execute(db.select(AppSetting)).scalars()}
    result = {}
    for key, declared in SPECS.items():
        try:
            result[key] = int(rows[key]) if key in rows else declared.default
        except ValueError:
            result[key] = declared.default
    return result


def parse_value(key: str, raw) -> int:
    declared = spec(key)
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise DomainError(_l("Isi nilai %(label)s.", label=declared.label), field="value")
    try:
        number = int(text, 10)
    except ValueError:
        raise DomainError(_l("Nilai harus berupa bilangan bulat, misalnya %(d)d.", d=declared.default),
                          field="value") from None
    if not declared.minimum <= number <= declared.maximum:
        raise DomainError(_l("Nilai harus antara %(a)d dan %(b)d %(unit)s.", a=declared.minimum,
                             b=declared.maximum, unit=declared.unit), field="value")
    return number


def set_value(key: str, value, actor, *, commit: bool = True) -> AppSetting:
    number = parse_value(key, value)
    row = db.session.get(AppSetting, key)
    old = get_int(key)
    if row is None:
        row = AppSetting(key=key, value=str(number))
        db.session.add(row)
    row.value = str(number)
    row.updated_by = getattr(actor, "username", None) or "system"
    row.updated_at = utcnow()
    record_change(row, "update", actor=actor, summary=f"{key}: {old} → {number}")
    if commit:
        db.session.flush()
    return row


@dataclass
class SettingView:
    spec: SettingSpec
    value: int
    updated_by: str | None
    updated_at: object


def list_settings() -> list[SettingView]:
    rows = {r.key: r for r in db.session.execute(db.select(AppSetting)).scalars()}
    current = values()
    return [SettingView(s, current[k], getattr(rows.get(k), "updated_by", None),
                        getattr(rows.get(k), "updated_at", None)) for k, s in SPECS.items()]


def setting_view(key: str) -> SettingView:
    spec(key)
    return next(v for v in list_settings() if v.spec.key == key)
