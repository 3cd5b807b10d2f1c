"""Who may get which document, and whether a birth or death is reported late: pure functions on
plain arguments (dates, the settings as a dict), so every boundary is unit-tested.

    age_on(birth_date, on) -> int                      # whole years, exact to the day
    assess(service_code, subtype_code, *, birth_date, married, event_date, on, rules) -> Assessment

Ages are exact to the day, not whole calendar years: a person is N on their Nth birthday. So a
KIA is for a child before the 17th birthday; the under-5 card is for before the 5th birthday
(on the 5th birthday the "5–17" sub-type applies); KTP-el and perekaman from the minimum age
(settings ktp_min_age / perekaman_min_age) unless the person is or was married.

A report is late when it comes more than `birth_report_days` (births) or `death_report_days`
(deaths) after the event: with the default 60, day 60 is on time and day 61 is late. Late is a
flag, not a refusal: it names what the late report needs (DOMAIN.md: extra approval)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from flask_babel import lazy_gettext as _l

AGE_RULED = {"KTP_EL": "ktp_min_age", "PEREKAMAN": "perekaman_min_age"}
KIA = "KIA"
KIA_UNDER_5 = "bawah_5"
KIA_5_TO_17 = "5_17"
KIA_LIMIT = 17        # a KIA is valid until the day before the 17th birthday
KIA_SMALL_LIMIT = 5   # the under-5 card expires on the 5th birthday
EVENT_SERVICES = {"AKTA_LAHIR": "birth_report_days", "AKTA_MATI": "death_report_days"}

DEFAULT_RULES = {"ktp_min_age": 17, "perekaman_min_age": 17, "kia_photo_from_age": 5,
                 "birth_report_days": 60, "death_report_days": 30}


def birthday_in(birth_date: date, year: int) -> date:
    """The birthday in `year`. Someone born on 29 February has their birthday on 1 March in a
    year without a 29 February (the common reading for legal ages: the day after 28 February),
    so they turn 17 on 1 March, not on 28 February."""
    try:
        return birth_date.replace(year=year)
    except ValueError:   # 29 February in a non-leap year
        return date(year, 3, 1)


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on the date `on` (0 before the first birthday)."""
    years = on.year - birth_date.year
    if on < birthday_in(birth_date, on.year):
        years -= 1
    return years


def nth_birthday(birth_date: date, n: int) -> date:
    return birthday_in(birth_date, birth_date.year + n)


@dataclass
class Assessment:
    """What the eligibility box shows. `problems` stop an application from being finished or
    accepted; `notes` are for the officer; `late` flags a late report with `late_text`."""

    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    age: int | None = None
    late: bool = False
    days_since_event: int | None = None
    late_days: int | None = None            # days past the deadline
    late_text: object | None = None
    needs_photo: bool = False
    suggested_subtype: str | None = None    # the KIA sub-type that fits the age, when another was chosen
    errors: dict = field(default_factory=dict)   # field name -> message (bad input, not a rule)

    @property
    def eligible(self) -> bool:
        return not self.problems and not self.errors

    @property
    def facts(self) -> set[str]:
        """The facts the requirement templates condition on (requirements.services)."""
        return {"late_report"} if self.late else set()


def _rule(rules: Mapping[str, int] | None, key: str) -> int:
    return int((rules or {}).get(key, DEFAULT_RULES[key]))


def assess(service_code: str, subtype_code: str | None, *, birth_date: date | None, married: bool | None,
           event_date: date | None, on: date, rules: Mapping[str, int] | None = None) -> Assessment:
    """Eligibility and lateness of one application for one person on the date `on`."""
    result = Assessment()
    if birth_date is not None and birth_date > on:
        result.errors["subject_birth_date"] = _l("Tanggal lahir belum terjadi.")
        birth_date = None
    if birth_date is not None:
        result.age = age_on(birth_date, on)
    if service_code in AGE_RULED:
        _check_min_age(result, _rule(rules, AGE_RULED[service_code]), birth_date, married)
    elif service_code == KIA:
        _check_kia(result, subtype_code, birth_date, on, _rule(rules, "kia_photo_from_age"))
    if service_code in EVENT_SERVICES:
        _check_event(result, service_code, birth_date, event_date, on, _rule(rules, EVENT_SERVICES[service_code]))
    return result


def _check_min_age(result: Assessment, minimum: int, birth_date: date | None, married: bool | None) -> None:
    if married:
        if result.age is not None and result.age < minimum:
            result.notes.append(_l("Belum berusia %(n)d tahun, tetapi sudah/pernah kawin: boleh.", n=minimum))
        return
    if birth_date is None:
        result.problems.append(_l("Isi tanggal lahir: usia minimal %(n)d tahun (kecuali sudah/pernah kawin) "
                                  "tidak dapat diperiksa.", n=minimum))
    elif result.age < minimum:
        if married is False:
            result.problems.append(_l("Baru berusia %(age)d tahun: minimal %(n)d tahun atau sudah/pernah kawin.",
                                      age=result.age, n=minimum))
        else:
            result.problems.append(_l("Baru berusia %(age)d tahun: minimal %(n)d tahun, kecuali sudah/pernah "
                                      "kawin (isi status perkawinan).", age=result.age, n=minimum))


def _check_kia(result: Assessment, subtype: str | None, birth_date: date | None, on: date,
               photo_from_age: int) -> None:
    if birth_date is None:
        result.problems.append(_l("Isi tanggal lahir anak: usia untuk KIA tidak dapat diperiksa."))
        return
    if on >= nth_birthday(birth_date, KIA_LIMIT):
        result.problems.append(_l("Sudah berusia %(age)d tahun: KIA hanya sampai sehari sebelum ulang tahun "
                                  "ke-17. Ajukan KTP-el.", age=result.age))
        return
    under_5 = on < nth_birthday(birth_date, KIA_SMALL_LIMIT)
    if subtype == KIA_UNDER_5 and not under_5:
        result.problems.append(_l("Sudah berusia %(age)d tahun: KIA di bawah 5 tahun berakhir pada ulang tahun "
                                  "ke-5. Pilih KIA 5–17 tahun.", age=result.age))
        result.suggested_subtype = KIA_5_TO_17
    elif subtype == KIA_5_TO_17 and under_5:
        result.problems.append(_l("Belum berusia 5 tahun: pilih KIA di bawah 5 tahun."))
        result.suggested_subtype = KIA_UNDER_5
    result.needs_photo = result.age >= photo_from_age


def _check_event(result: Assessment, service_code: str, birth_date: date | None, event_date: date | None,
                 on: date, limit: int) -> None:
    births = service_code == "AKTA_LAHIR"
    if births and event_date is None:
        event_date = birth_date
    if event_date is None:
        result.errors["event_date"] = (_l("Isi tanggal kelahiran.") if births else _l("Isi tanggal kematian."))
        return
    if event_date > on:
        result.errors["event_date"] = (_l("Tanggal kelahiran belum terjadi.") if births
                                       else _l("Tanggal kematian belum terjadi."))
        return
    if births and birth_date is not None and birth_date != event_date:
        result.errors["event_date"] = _l("Tanggal kelahiran berbeda dengan tanggal lahir yang diisi.")
        return
    if not births and birth_date is not None and event_date < birth_date:
        result.errors["event_date"] = _l("Tanggal kematian sebelum tanggal lahir.")
        return
    days = (on - event_date).days
    result.days_since_event = days
    if days > limit:
        result.late, result.late_days = True, days - limit
        what = _l("kelahiran") if births else _l("kematian")
        result.late_text = _l("Pelaporan %(what)s terlambat: %(days)d hari sejak peristiwa, batasnya %(limit)d hari. "
                              "Perlu persetujuan Kepala Dinas dan surat pernyataan (SPTJM) keterlambatan.",
                              what=what, days=days, limit=limit)
