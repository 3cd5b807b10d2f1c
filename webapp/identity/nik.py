"""NIK and No. KK checks, as specified in DOMAIN.md ("Identifiers").

NIK = ``PP KK CC DDMMYY SSSS``: province, regency and kecamatan of first registration
(Kemendagri codes, not BPS), birth date with day + 40 for women, serial from 0001. There is
no check digit.

Three kinds of findings, each a :class:`Problem` with a stable ``code``:

- **errors** make the number invalid: empty, not digits, not 16 digits, a province+regency
  prefix found neither in today's nor in the historical national list, an impossible date,
  serial 0000.
- **warnings** leave it valid but are worth a look: sex or birth date differ from the record,
  a kecamatan code outside the list of its regency.
- **notes** are plain information and are not anomalies: the prefix is a code that no longer
  exists (``nik.region_historical``, e.g. 92.01 Kabupaten Sorong before Papua Barat Daya became
  province 96, or 64.04 Kabupaten Bulungan before Kalimantan Utara became province 65 — the
  note then names today's code; ``nik.kecamatan_historical`` for an old kecamatan under a
  current regency). A NIK never changes, so old codes are expected for anyone registered
  before the split; counting them as warnings would fill the register scan with noise.
  ``region_label`` says where the number was issued in today's names
  ("Tanjung Palas, Kabupaten Bulungan, Kalimantan Utara (dahulu 64.04.01, Kalimantan Timur)").

Input: surrounding and internal whitespace (also no-break spaces from spreadsheets), dots and
hyphens are accepted as separators people type (``6306 1001 0190 0001``, ``6306.1001...``) and
removed; anything else that is not an ASCII digit is an error. A NIK from another region is
never an error.

Messages are Bahasa Indonesia ``lazy_gettext`` strings: ``str()`` works with no app context
(untranslated msgid) and in an app with Flask-Babel (translated). Inside an app context of an
app *without* Flask-Babel, flask_babel itself raises KeyError('babel').

Personal data (UU 27/2022): the ``repr()`` of a check shows the number masked; nothing here
logs. ``to_dict()`` does contain the full number — it is meant for the operator's screen.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from webapp.wilayah.reference import Region, national_regions, undot
from webapp.core.timefmt import wita_today

LENGTH = 16
MASK_CHAR = "•"
EMPTY_MASK = "—"
MAX_AGE = 120  # years; the limit for calling a two-century birth date ambiguous
FEMALE_DAY_OFFSET = 40

_DOT_HYPHEN = str.maketrans("", "", ".-")
# Days per month with February at its leap-year maximum; 29 Feb is checked separately.
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. ``code`` is stable (for programs, stored cases, tests); ``message`` is a
    lazily translated Indonesian text: ``str()`` it where it is shown."""

    code: str
    message: LazyString | str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self.message)}


@dataclass(frozen=True, slots=True)
class _Kind:
    """What is being checked: the prefix of problem codes and the label used in messages."""

    prefix: str
    label: LazyString


_NIK = _Kind("nik", _l("NIK"))
_KK = _Kind("kk", _l("No. KK"))


@dataclass(frozen=True, slots=True, repr=False)
class _NumberCheck:
    """Fields shared by :class:`NikCheck` and :class:`KkCheck`.

    ``value`` is the normalised digits, or the stripped input when it is not readable as
    digits. Region codes are dotted and are set whenever the number has 16 digits (they say
    what the number claims); the names are set only for codes found in the national list
    (for an old code, the name the list gives it: 64 is Kalimantan Timur). ``region_label``
    is the one to show.
    """

    value: str
    valid: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    notes: tuple[Problem, ...]
    province_code: str | None
    province_name: str | None
    regency_code: str | None
    regency_name: str | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    serial: str | None

    @property
    def region_label(self) -> str | None:
        """Where the number was issued, kecamatan first, in today's names; an old code that has
        been renumbered shows today's region and the old code:
        ``Tanjung Palas, Kabupaten Bulungan, Kalimantan Utara (dahulu 64.04.01, Kalimantan Timur)``.
        None when the regency is unknown."""
        return _issuing_region_label(self.kecamatan_code, self.regency_code)

    def __repr__(self) -> str:  # never print the full number into a log by accident
        return (
            f"{type(self).__name__}(value={mask(self.value)!r}, valid={self.valid}, "
            f"errors={[p.code for p in self.errors]}, warnings={[p.code for p in self.warnings]})"
        )

    def _base_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "valid": self.valid,
            "errors": [problem.to_dict() for problem in self.errors],
            "warnings": [problem.to_dict() for problem in self.warnings],
            "notes": [problem.to_dict() for problem in self.notes],
            "province": _region_dict(self.province_code, self.province_name),
            "regency": _region_dict(self.regency_code, self.regency_name),
            "kecamatan": _region_dict(self.kecamatan_code, self.kecamatan_name),
            "serial": self.serial,
        }


@dataclass(frozen=True, slots=True, repr=False)
class NikCheck(_NumberCheck):
    """The result of :func:`check_nik`.

    ``sex`` ("L"/"P") and ``birth_date`` are set only when the date part is valid. The
    century of ``birth_date`` is the latest one that does not put the date after ``today``;
    ``birth_date_ambiguous`` is True when both centuries give a past date within 0–120 years.
    """

    sex: str | None
    birth_date: date | None
    birth_date_ambiguous: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; contains the full NIK."""
        data = self._base_dict()
        data["sex"] = self.sex
        data["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        data["birth_date_ambiguous"] = self.birth_date_ambiguous
        return data


@dataclass(frozen=True, slots=True, repr=False)
class KkCheck(_NumberCheck):
    """The result of :func:`check_kk`. ``issue_date`` is None when the date part is not a
    real date (a warning, see :func:`check_kk`)."""

    issue_date: date | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; contains the full No. KK."""
        data = self._base_dict()
        data["issue_date"] = self.issue_date.isoformat() if self.issue_date else None
        return data


# --- public functions -------------------------------------------------------------------


def normalise(value: str) -> str:
    """Drop whitespace (any, inside too), dots and hyphens: what people type as separators."""
    if value.isascii() and value.isdigit():  # the common case, kept fast
        return value
    return "".join(value.split()).translate(_DOT_HYPHEN)


def mask(value: str | None) -> str:
    """``6306••••••••0012`` for a 16-digit number; other lengths keep only the last 4 visible
    (and hide everything when there are 4 or fewer); ``—`` for None or empty."""
    text = normalise(value) if value else ""
    if not text:
        return EMPTY_MASK
    if len(text) == LENGTH:
        return text[:4] + MASK_CHAR * 8 + text[-4:]
    if len(text) <= 4:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 4) + text[-4:]


def check_nik(
    value: str | None,
    *,
    sex: str | None = None,
    birth_date: date | None = None,
    today: date | None = None,
) -> NikCheck:
    """Check a NIK; ``sex`` ("L"/"P") and ``birth_date`` are the record's, for the warnings.

    Pass ``today`` when checking many numbers (a register scan) to skip ``date.today()``.
    Raises ``ValueError`` for a ``sex`` other than L, P, empty or None.
    """
    record_sex = _normalise_sex(sex)
    digits, unreadable = _read_digits(value, _NIK)
    if unreadable is not None:
        return NikCheck(
            value=digits, valid=False, errors=(unreadable,), warnings=(), notes=(), **_NO_REGION,
            serial=None, sex=None, birth_date=None, birth_date_ambiguous=False,
        )

    errors: list[Problem] = []
    warnings: list[Problem] = []
    notes: list[Problem] = []
    region = _check_region(digits, _NIK, errors, warnings, notes)
    day, month, yy, nik_sex = _check_birth_date_part(digits[6:12], errors)
    serial = _check_serial(digits, _NIK, errors)

    nik_birth_date, ambiguous = None, False
    if nik_sex is not None:
        nik_birth_date, ambiguous = _pick_century(day, month, yy, _as_date(today))
        _compare_with_record(day, month, yy, nik_sex, record_sex, birth_date, warnings)

    return NikCheck(
        value=digits, valid=not errors,
        errors=tuple(errors), warnings=tuple(warnings), notes=tuple(notes), **region,
        serial=serial, sex=nik_sex, birth_date=nik_birth_date, birth_date_ambiguous=ambiguous,
    )


def check_kk(value: str | None, *, today: date | None = None) -> KkCheck:
    """Check a No. KK: 6-digit issuing-area code + issue date DDMMYY + 4-digit serial.

    The layout is *(confirm)* in DOMAIN.md. Errors (as for the NIK): not 16 digits, a
    province+regency prefix that never existed, serial 0000. The issue date (no +40 rule;
    century: the latest not after ``today``) that is not a real date is only a **warning**
    ``kk.date_invalid``: the layout is unconfirmed and a number the family already holds
    must not be blocked on a guess. The kecamatan check is a warning, as for the NIK.
    """
    digits, unreadable = _read_digits(value, _KK)
    if unreadable is not None:
        return KkCheck(
            value=digits, valid=False, errors=(unreadable,), warnings=(), notes=(), **_NO_REGION,
            serial=None, issue_date=None,
        )

    errors: list[Problem] = []
    warnings: list[Problem] = []
    notes: list[Problem] = []
    region = _check_region(digits, _KK, errors, warnings, notes)
    issue_date = _check_issue_date(digits[6:12], _as_date(today), warnings)
    serial = _check_serial(digits, _KK, errors)
    return KkCheck(
        value=digits, valid=not errors,
        errors=tuple(errors), warnings=tuple(warnings), notes=tuple(notes), **region,
        serial=serial, issue_date=issue_date,
    )


# --- shared parts -----------------------------------------------------------------------

_REGION_FIELDS = (
    "province_code", "province_name", "regency_code", "regency_name",
    "kecamatan_code", "kecamatan_name",
)
_NO_REGION: dict[str, None] = dict.fromkeys(_REGION_FIELDS)


def _read_digits(value: str | None, kind: _Kind) -> tuple[str, Problem | None]:
    """(normalised digits, None) or (what to show as value, the error that stops the check)."""
    stripped = value.strip() if value else ""
    if not stripped:
        return "", Problem(f"{kind.prefix}.empty", _l("%(label)s belum diisi.", label=kind.label))
    digits = normalise(stripped)
    if not (digits.isascii() and digits.isdigit()):
        return stripped, Problem(
            f"{kind.prefix}.not_digits",
            _l("%(label)s hanya boleh berisi angka.", label=kind.label),
        )
    if len(digits) != LENGTH:
        return digits, Problem(
            f"{kind.prefix}.length",
            _l("%(label)s harus 16 digit, yang diisi %(length)s digit.",
               label=kind.label, length=len(digits)),
        )
    return digits, None


def _check_region(
    digits: str, kind: _Kind, errors: list, warnings: list, notes: list
) -> dict[str, str | None]:
    """The region fields (dotted code and name of province, regency, kecamatan) read from the
    first 6 digits; problems are appended to the lists."""
    regions = national_regions()
    province = regions.get(digits[:2])
    regency = regions.get(digits[:4])
    kecamatan = regions.get(digits[:6])
    province_code = digits[:2]
    regency_code = f"{province_code}.{digits[2:4]}"
    kecamatan_code = f"{regency_code}.{digits[4:6]}"

    if regency is None:
        errors.append(Problem(f"{kind.prefix}.region_unknown", _l(
            "Kode provinsi dan kabupaten/kota %(code)s pada %(label)s tidak ada dalam daftar "
            "wilayah Kemendagri, baik yang berlaku maupun yang lama.",
            code=regency_code, label=kind.label)))
    elif kecamatan is None:
        warnings.append(Problem(f"{kind.prefix}.kecamatan_unknown", _l(
            "Kode kecamatan %(code)s pada %(label)s tidak ada dalam daftar kecamatan %(regency)s.",
            code=kecamatan_code, label=kind.label, regency=regency.name)))
    if regency is not None and not regency.current:
        notes.append(_historical_note(f"{kind.prefix}.region_historical", regency, kind))
    elif kecamatan is not None and not kecamatan.current:
        notes.append(_historical_note(f"{kind.prefix}.kecamatan_historical", kecamatan, kind))

    return {
        "province_code": province_code, "province_name": _name(province),
        "regency_code": regency_code, "regency_name": _name(regency),
        "kecamatan_code": kecamatan_code, "kecamatan_name": _name(kecamatan),
    }


def _historical_note(code: str, region: Region, kind: _Kind) -> Problem:
    if region.successor is not None:
        today = national_regions()[undot(region.successor)]
        return Problem(code, _l(
            "Kode wilayah %(code)s pada %(label)s adalah kode lama %(name)s (berlaku sampai "
            "%(year)s); kini %(new_code)s, %(province)s. Nomor yang terbit sebelumnya tetap sah.",
            code=region.code, label=kind.label, name=region.name, year=region.last_year,
            new_code=today.code, province=_name(national_regions().get(today.key[:2]))))
    return Problem(code, _l(
        "Kode wilayah %(code)s (%(name)s) pada %(label)s sudah tidak berlaku (terakhir "
        "%(year)s); nomor yang terbit sebelumnya tetap sah.",
        code=region.code, name=region.name, label=kind.label, year=region.last_year))


def _issuing_region_label(kecamatan_code: str | None, regency_code: str | None) -> str | None:
    regions = national_regions()
    regency = regions.get(undot(regency_code)) if regency_code else None
    if regency is None:
        return None
    kecamatan = regions.get(undot(kecamatan_code)) if kecamatan_code else None
    if regency.successor is None:
        return ", ".join(r.name for r in (kecamatan, regency) if r is not None)
    today_regency = regions[undot(regency.successor)]
    today_kecamatan = regions.get(undot(kecamatan.successor)) if kecamatan and kecamatan.successor else None
    today = [r.name for r in (today_kecamatan, today_regency, regions.get(today_regency.key[:2])) if r is not None]
    old = kecamatan if today_kecamatan is not None else regency
    return str(_l("%(region)s (dahulu %(code)s, %(province)s)", region=", ".join(today), code=old.code,
                  province=_name(regions.get(regency.key[:2])) or regency.code[:2]))


def _check_serial(digits: str, kind: _Kind, errors: list) -> str:
    serial = digits[12:]
    if serial == "0000":
        errors.append(Problem(f"{kind.prefix}.serial_zero", _l(
            "Nomor urut pada %(label)s (4 digit terakhir) tidak boleh 0000.", label=kind.label)))
    return serial


def _name(region: Region | None) -> str | None:
    return region.name if region is not None else None


def _region_dict(code: str | None, name: str | None) -> dict[str, str | None] | None:
    return {"code": code, "name": name} if code is not None else None


def _as_date(today: date | None) -> date:
    if today is None:
        return wita_today()
    return today.date() if isinstance(today, datetime) else today


# --- dates --------------------------------------------------------------------------------


def _is_real_day(day: int, month: int, yy: int) -> bool:
    """Is DD-MM-YY a calendar date in 19YY or 20YY? Only 29 February depends on the year."""
    if day > _MAX_DAYS[month - 1]:
        return False
    if month == 2 and day == 29:
        return calendar.isleap(1900 + yy) or calendar.isleap(2000 + yy)
    return True


def _check_birth_date_part(ddmmyy: str, errors: list) -> tuple[int, int, int, str | None]:
    """(day without the +40, month, yy, sex) — sex is None when the date is not valid."""
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    sex = None
    if 1 <= day <= 31:
        sex = "L"
    elif FEMALE_DAY_OFFSET + 1 <= day <= FEMALE_DAY_OFFSET + 31:
        sex, day = "P", day - FEMALE_DAY_OFFSET
    else:
        errors.append(Problem("nik.date_invalid", _l(
            "Tanggal lahir pada NIK tidak mungkin: hari %(day)s (harus 01–31, atau 41–71 "
            "untuk perempuan).", day=ddmmyy[:2])))
    if not 1 <= month <= 12:
        errors.append(Problem("nik.date_invalid", _l(
            "Tanggal lahir pada NIK tidak mungkin: bulan %(month)s (harus 01–12).",
            month=ddmmyy[2:4])))
        return day, month, yy, None
    if sex is not None and not _is_real_day(day, month, yy):
        errors.append(Problem("nik.date_invalid", _l(
            "Tanggal lahir pada NIK tidak ada di kalender: %(date)s.",
            date=f"{day:02d}-{ddmmyy[2:4]}-{ddmmyy[4:]}")))
        return day, month, yy, None
    return day, month, yy, sex


def _pick_century(day: int, month: int, yy: int, today: date) -> tuple[date | None, bool]:
    """The latest date not after ``today``, and whether the older century is plausible too."""
    candidates = []
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, month, day)
        except ValueError:  # 29 February exists in one century only (1900 vs 2000)
            continue
        if candidate <= today:
            candidates.append(candidate)
    if not candidates:
        return None, False
    ambiguous = len(candidates) == 2 and _age(candidates[1], today) <= MAX_AGE
    return candidates[0], ambiguous


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _normalise_sex(sex: str | None) -> str | None:
    if not sex:
        return None
    value = sex.strip().upper()
    if value not in ("L", "P"):
        raise ValueError(f"sex must be 'L', 'P' or None, not {sex!r}")
    return value


def _sex_label(sex: str) -> LazyString:
    return _l("laki-laki") if sex == "L" else _l("perempuan")


def _compare_with_record(
    day: int, month: int, yy: int, nik_sex: str,
    record_sex: str | None, record_birth_date: date | None, warnings: list,
) -> None:
    """The warnings: the record's sex or birth date (day, month, 2-digit year) differ."""
    if record_sex is not None and record_sex != nik_sex:
        warnings.append(Problem("nik.sex_mismatch", _l(
            "Jenis kelamin menurut NIK (%(nik_sex)s) berbeda dengan data (%(sex)s).",
            nik_sex=_sex_label(nik_sex), sex=_sex_label(record_sex))))
    if record_birth_date is not None and (
        record_birth_date.day, record_birth_date.month, record_birth_date.year % 100
    ) != (day, month, yy):
        warnings.append(Problem("nik.birth_date_mismatch", _l(
            "Tanggal lahir menurut NIK (%(nik_date)s) berbeda dengan data (%(date)s).",
            nik_date=f"{day:02d}-{month:02d}-{yy:02d}",
            date=f"{record_birth_date.day:02d}-{record_birth_date.month:02d}-"
                 f"{record_birth_date.year:04d}")))


def _check_issue_date(ddmmyy: str, today: date, warnings: list) -> date | None:
    """The KK issue date, or None with a ``kk.date_invalid`` warning. No +40 rule."""
    day, month, yy = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    if 1 <= day <= 31 and 1 <= month <= 12 and _is_real_day(day, month, yy):
        issue_date, _ = _pick_century(day, month, yy, today)
        if issue_date is not None:
            return issue_date
    warnings.append(Problem("kk.date_invalid", _l(
        "Tanggal terbit pada No. KK (%(date)s) bukan tanggal yang mungkin; periksa kembali "
        "nomornya.", date=f"{ddmmyy[:2]}-{ddmmyy[2:4]}-{ddmmyy[4:]}")))
    return None
