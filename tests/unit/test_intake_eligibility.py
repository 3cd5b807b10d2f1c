"""Eligibility and lateness at every boundary: the day before, of and after the 17th and the 5th
birthday; day 60/61 for births, 30/31 for deaths; 29 February birthdays; the minimum age or marriage
for KTP-el and perekaman; events in the future."""
from datetime import date, timedelta

import pytest

from webapp.intake.eligibility import age_on, assess, birthday_in

BORN = date(2010, 6, 15)
SEVENTEENTH = date(2027, 6, 15)
FIFTH = date(2015, 6, 15)
DAY = timedelta(days=1)


def texts(items) -> str:
    return " | ".join(str(i) for i in items)


def kia(subtype, on, born=BORN, rules=None):
    return assess("KIA", subtype, birth_date=born, married=None, event_date=None, on=on, rules=rules)


# --- exact age ------------------------------------------------------------------------------

@pytest.mark.parametrize("on, age", [(SEVENTEENTH - DAY, 16), (SEVENTEENTH, 17), (SEVENTEENTH + DAY, 17),
                                     (FIFTH - DAY, 4), (FIFTH, 5), (FIFTH + DAY, 5), (BORN, 0)])
def test_a_person_is_n_on_the_nth_birthday(on, age):
    assert age_on(BORN, on) == age


def test_29_february_birthdays_fall_on_1_march_in_other_years():
    leapling = date(2008, 2, 29)
    assert birthday_in(leapling, 2025) == date(2025, 3, 1)
    assert birthday_in(leapling, 2024) == date(2024, 2, 29)
    assert age_on(leapling, date(2025, 2, 28)) == 16
    assert age_on(leapling, date(2025, 3, 1)) == 17
    assert age_on(leapling, date(2024, 2, 28)) == 15
    assert age_on(leapling, date(2024, 2, 29)) == 16


# --- KIA: under 17 --------------------------------------------------------------------------

def test_kia_the_day_before_the_17th_birthday_is_still_allowed():
    result = kia("5_17", SEVENTEENTH - DAY)
    assert result.eligible and result.age == 16 and result.needs_photo


@pytest.mark.parametrize("on", [SEVENTEENTH, SEVENTEENTH + DAY])
def test_kia_on_and_after_the_17th_birthday_is_refused(on):
    result = kia("5_17", on)
    assert not result.eligible
    assert "KTP-el" in texts(result.problems) and "ke-17" in texts(result.problems)


# --- KIA: under 5 / 5–17 --------------------------------------------------------------------

def test_kia_under_5_the_day_before_the_5th_birthday():
    result = kia("bawah_5", FIFTH - DAY)
    assert result.eligible and result.age == 4
    assert not result.needs_photo


@pytest.mark.parametrize("on", [FIFTH, FIFTH + DAY])
def test_kia_under_5_on_and_after_the_5th_birthday_says_choose_5_17(on):
    result = kia("bawah_5", on)
    assert not result.eligible
    assert "5–17" in texts(result.problems)
    assert result.suggested_subtype == "5_17"


def test_kia_5_17_before_the_5th_birthday_says_choose_under_5():
    result = kia("5_17", FIFTH - DAY)
    assert not result.eligible and result.suggested_subtype == "bawah_5"


@pytest.mark.parametrize("on", [FIFTH, FIFTH + DAY])
def test_kia_5_17_from_the_5th_birthday_needs_a_photo(on):
    result = kia("5_17", on)
    assert result.eligible and result.needs_photo


def test_kia_photo_age_follows_the_setting():
    assert kia("5_17", FIFTH + DAY, rules={"kia_photo_from_age": 6}).needs_photo is False
    assert kia("bawah_5", FIFTH - DAY, rules={"kia_photo_from_age": 4}).needs_photo is True


def test_kia_without_a_birth_date_cannot_be_checked():
    result = assess("KIA", "5_17", birth_date=None, married=None, event_date=None, on=FIFTH)
    assert not result.eligible and "tanggal lahir" in texts(result.problems)


# --- KTP-el and perekaman: minimum age or married ---------------------------------------------

@pytest.mark.parametrize("service, subtype", [("KTP_EL", "baru"), ("KTP_EL", "hilang"), ("KTP_EL", "rusak"),
                                              ("KTP_EL", "perubahan"), ("PEREKAMAN", "perekaman")])
def test_minimum_age_at_the_17th_birthday(service, subtype):
    def run(on, married=False):
        return assess(service, subtype, birth_date=BORN, married=married, event_date=None, on=on)
    assert not run(SEVENTEENTH - DAY).eligible
    assert "minimal 17 tahun" in texts(run(SEVENTEENTH - DAY).problems)
    assert run(SEVENTEENTH).eligible
    assert run(SEVENTEENTH + DAY).eligible
    assert run(SEVENTEENTH - DAY, married=True).eligible          # married (or previously): allowed


def test_unknown_marital_status_under_age_asks_for_it():
    result = assess("KTP_EL", "baru", birth_date=BORN, married=None, event_date=None, on=SEVENTEENTH - DAY)
    assert not result.eligible and "status perkawinan" in texts(result.problems)


def test_minimum_ages_come_from_the_settings():
    rules = {"ktp_min_age": 17, "perekaman_min_age": 16}
    sixteenth = date(2026, 6, 15)
    assert assess("PEREKAMAN", "perekaman", birth_date=BORN, married=False, event_date=None, on=sixteenth,
                  rules=rules).eligible
    assert not assess("PEREKAMAN", "perekaman", birth_date=BORN, married=False, event_date=None,
                      on=sixteenth - DAY, rules=rules).eligible
    assert not assess("KTP_EL", "baru", birth_date=BORN, married=False, event_date=None, on=sixteenth,
                      rules=rules).eligible


def test_kk_has_no_age_rule():
    assert assess("KK", "baru", birth_date=None, married=None, event_date=None, on=FIFTH).eligible


def test_a_birth_date_in_the_future_is_an_input_error():
    result = assess("KTP_EL", "baru", birth_date=FIFTH + DAY, married=None, event_date=None, on=FIFTH)
    assert "subject_birth_date" in result.errors and not result.eligible


# --- late reports -----------------------------------------------------------------------------

BIRTH = date(2026, 1, 10)
DEATH = date(2026, 3, 2)


def birth_report(day: int, **kw):
    return assess("AKTA_LAHIR", "baru", birth_date=BIRTH, married=None, event_date=BIRTH,
                  on=BIRTH + timedelta(days=day), **kw)


def death_report(day: int):
    return assess("AKTA_MATI", "baru", birth_date=date(1950, 1, 1), married=None, event_date=DEATH,
                  on=DEATH + timedelta(days=day))


@pytest.mark.parametrize("day", [0, 59, 60])
def test_a_birth_reported_by_day_60_is_on_time(day):
    result = birth_report(day)
    assert result.eligible and not result.late and result.late_days is None
    assert result.facts == set()


@pytest.mark.parametrize("day, late_days", [(61, 1), (62, 2), (400, 340)])
def test_a_birth_reported_after_day_60_is_late_with_what_it_needs(day, late_days):
    result = birth_report(day)
    assert result.late and result.late_days == late_days and result.days_since_event == day
    assert result.eligible                                  # flagged, not refused
    assert "Kepala Dinas" in str(result.late_text) and "terlambat" in str(result.late_text)
    assert result.facts == {"late_report"}


def test_the_birth_deadline_follows_the_setting():
    assert not birth_report(61, rules={"birth_report_days": 90}).late
    assert birth_report(31, rules={"birth_report_days": 30}).late


@pytest.mark.parametrize("day, late", [(29, False), (30, False), (31, True), (32, True)])
def test_a_death_is_late_after_day_30(day, late):
    result = death_report(day)
    assert result.late is late
    assert result.late_days == (day - 30 if late else None)
    if late:
        assert "kematian" in str(result.late_text)


def test_the_birth_date_stands_in_for_the_birth_event():
    result = assess("AKTA_LAHIR", "baru", birth_date=BIRTH, married=None, event_date=None,
                    on=BIRTH + timedelta(days=61))
    assert result.late and result.late_days == 1


@pytest.mark.parametrize("service", ["AKTA_LAHIR", "AKTA_MATI"])
def test_an_event_in_the_future_is_an_error(service):
    result = assess(service, "baru", birth_date=None, married=None, event_date=BIRTH + DAY, on=BIRTH)
    assert "event_date" in result.errors and "belum terjadi" in str(result.errors["event_date"])
    assert not result.eligible and not result.late


def test_a_missing_event_date_is_an_error():
    result = assess("AKTA_MATI", "baru", birth_date=None, married=None, event_date=None, on=BIRTH)
    assert "event_date" in result.errors


def test_a_death_before_the_birth_is_an_error():
    result = assess("AKTA_MATI", "baru", birth_date=DEATH, married=None, event_date=DEATH - DAY, on=DEATH)
    assert "event_date" in result.errors


def test_a_birth_date_and_birth_event_that_differ_is_an_error():
    result = assess("AKTA_LAHIR", "baru", birth_date=BIRTH, married=None, event_date=BIRTH + DAY, on=DEATH)
    assert "event_date" in result.errors
