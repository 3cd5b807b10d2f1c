"""`flask demo field-day --applications N`: fill a field node's checked-out trip with N believable
intakes, for demos and the sync benches.

Each intake is what an officer does at the bus, through the same services the pages call, in its
own unit of work (one commit per intake, as one request each would): a resident from the
village's list checks in (or, when the list has nobody left for a service, a walk-in is added
with a NIK of the village's kecamatan), the officer starts one application, fills its checklist in
one submission (`save_checklist`) with photos from the bus's camera — the pas foto on the photo
line, the papers the resident brought on the document lines, the rest as the application's other
files — and accepts the files with a receipt. The photos are real PNG images of about `photo_kb`
each (webapp.synthetic.images.photo_png: a pas foto or a document page with sensor grain),
different per photo and the same for the same seed. Every write lands in its table and in the
outbox (the change door), so the sync worker has the day to push.

    fill(applications, *, trip_number=None, photos_per_application=3, photo_kb=200, seed=0,
         echo=None) -> FieldDayResult
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import click
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from webapp.core.errors import DomainError
from webapp.core.timefmt import wita_today
from webapp.core.uow import unit_of_work
from webapp.demo import demo_cli
from webapp.extensions import db


@dataclass(frozen=True)
class FieldDayResult:
    applications: int
    photos: int
    photo_bytes: int
    receipts: int
    visits: int
    trip_number: str = ""

    def summary(self) -> str:
        return (f"Hari lapangan {self.trip_number}: {self.applications} permohonan, {self.receipts} tanda terima, "
                f"{self.visits} warga, {self.photos} foto ({self.photo_bytes / 1_000_000:.1f} MB)")


@dataclass(frozen=True)
class Recipe:
    """One kind of intake: the service, and who comes to the bus for whom."""
    service: str
    subtype: str
    weight: int
    subject_age: tuple[int, int]            # (min, max) years of the person the document is for
    for_child: bool = False                 # a parent applies for their child
    newborn_days: tuple[int, int] | None = None   # a birth reported this many days after it
    photo_line: bool = False                # the checklist has a photo line (needs at least one photo)


RECIPES = (
    Recipe("KIA", "5_17", 30, (5, 16), for_child=True, photo_line=True),
    Recipe("KTP_EL", "baru", 18, (17, 17)),
    Recipe("AKTA_LAHIR", "baru", 14, (0, 0), for_child=True, newborn_days=(6, 40)),
    Recipe("KK", "perubahan", 14, (24, 62)),
    Recipe("KIA", "bawah_5", 12, (1, 3), for_child=True),
    Recipe("KTP_EL", "hilang", 12, (20, 65)),
)

COLLECT = ("kantor", "desa")


# ---------------------------------------------------------------- which trip, who serves

def _checked_out_trips():
    from webapp.sync.models import CHECKED_OUT, TripCheckout
    from webapp.trips.models import Trip
    rows = db.session.execute(select(Trip, TripCheckout).join(TripCheckout, TripCheckout.trip_id == Trip.id).where(
        TripCheckout.status == CHECKED_OUT).order_by(TripCheckout.checked_out_at.desc())).all()
    return [trip for trip, _checkout in rows]


def choose_trip(trip_number: str | None = None):
    """The checked-out trip to fill: `trip_number`, else the one on site (then one that departed,
    then a scheduled one). DomainError when this is no field node or nothing is checked out."""
    from webapp.sync.field_role import is_field_node
    from webapp.trips.models import ARRIVED, DEPARTED, SCHEDULED
    if not is_field_node():
        raise DomainError("Hari lapangan diisi di laptop bus (ROLE=field), bukan di kantor.")
    trips = _checked_out_trips()
    if trip_number:
        wanted = trip_number.strip().upper()
        for trip in trips:
            if trip.number.upper() == wanted:
                return trip
        raise DomainError(f"Perjalanan {wanted} tidak sedang di laptop ini (check-out dulu: "
                          f"flask field checkout {wanted}).")
    if not trips:
        raise DomainError("Belum ada perjalanan di laptop ini: check-out dulu (flask field checkout NOMOR).")
    order = {ARRIVED: 0, DEPARTED: 1, SCHEDULED: 2}
    return sorted(trips, key=lambda t: order.get(t.status, 9))[0]


def _team(trip) -> list:
    officers = [m.user for m in trip.members if m.user is not None and m.user.active]
    if not officers:
        raise DomainError(f"Perjalanan {trip.number} tidak punya anggota tim yang dapat masuk di laptop ini.")
    return officers


def _open_service(trip, officer) -> None:
    """A trip checked out before departure leaves and arrives first (the services the trip page calls)."""
    from webapp.trips import services as trips
    from webapp.trips.models import ARRIVED, DEPARTED, SCHEDULED
    if trip.status == ARRIVED:
        return
    with unit_of_work():
        if trip.status == SCHEDULED:
            trips.record_departure(trip, actor=officer)
        if trip.status == DEPARTED:
            trips.record_arrival(trip, actor=officer)
    if trip.status != ARRIVED:
        raise DomainError(f"Perjalanan {trip.number} berstatus {trip.status_label}: tidak sedang melayani warga.")


# ---------------------------------------------------------------- people

def _years_before(day: date, years: int, days: int = 0) -> date:
    from webapp.field.demo import _years_before as years_before
    return years_before(day, years, days)


class _People:
    """Believable residents of the trip's villages, numbered so no NIK repeats on the trip."""

    def __init__(self, trip, rng: random.Random):
        from webapp.field import services as field
        from webapp.field.models import Visit
        self.rng = rng
        self.villages = [code for code, _label in field.trip_villages(trip)]
        if not self.villages:
            raise DomainError(f"Perjalanan {trip.number} tidak melayani desa mana pun.")
        self.labels = dict(field.trip_villages(trip))
        self.used = set(db.session.execute(select(Visit.nik).where(Visit.trip_id == trip.id,
                                                                   Visit.nik.isnot(None))).scalars())

    def nik(self, desa: str, born: date, sex: str) -> str:
        from webapp.requests.demo import make_nik
        kecamatan = ".".join(desa.split(".")[:3])
        while True:
            value = make_nik(kecamatan, born, sex, self.rng.randint(1000, 9999))
            if value not in self.used:
                self.used.add(value)
                return value

    def kk(self, desa: str) -> str:
        kecamatan = desa.replace(".", "")[:6]
        issued = wita_today() - timedelta(days=self.rng.randint(200, 4000))
        return f"{kecamatan}{issued:%d%m%y}{self.rng.randint(1, 9999):04d}"

    def name(self, sex: str, born: date) -> str:
        from webapp.synthetic.names import person_name
        return person_name(self.rng, sex, born.year).title()

    def birth(self, low: int, high: int) -> date:
        today = wita_today()
        return _years_before(today, self.rng.randint(low, high), self.rng.randint(1, 330))

    def address(self, desa: str) -> str:
        village = str(self.labels.get(desa) or "").split(",")[0].strip() or "desa"
        return f"{village} RT {self.rng.randint(1, 12):03d}/RW {self.rng.randint(1, 4):03d}"


def _subject_for(recipe: Recipe, visit, officer, people: _People):
    """The person the document is for: the visitor (as the register knows them, the form's
    prefill), or, for a child's document, their child."""
    from webapp.field.demo import _subject_of
    from webapp.intake import services as intake
    if not recipe.for_child:
        return _subject_of(visit, officer)
    sex = people.rng.choice("LP")
    if recipe.newborn_days:
        born = wita_today() - timedelta(days=people.rng.randint(*recipe.newborn_days))
        nik = None                      # a newborn gets a NIK with the birth certificate
    else:
        born = people.birth(*recipe.subject_age)
        nik = people.nik(visit.desa_code, born, sex)
    village = str(people.labels.get(visit.desa_code) or "").split(",")[0].strip() or None
    return intake.Subject(name=people.name(sex, born), relation="orang_tua", nik=nik, no_kk=visit.no_kk, sex=sex,
                          birth_date=born, birth_place=village, address=people.address(visit.desa_code))


def _walk_in(trip, recipe: Recipe, officer, people: _People):
    from webapp.field import services as field
    sex = people.rng.choice("LP")
    low, high = (24, 44) if recipe.for_child else recipe.subject_age
    born = people.birth(low, high)
    desa = people.rng.choice(people.villages)
    data = field.WalkInInput(name=people.name(sex, born), nik=people.nik(desa, born, sex), no_kk=people.kk(desa),
                             sex=sex, birth_date=born, desa_code=desa,
                             phone=f"08{people.rng.choice('1235')}{people.rng.randint(10**8, 10**9 - 1)}")
    return field.add_walk_in(trip, data, officer)


def _fits(recipe: Recipe, visit, wanted: dict) -> bool:
    if (recipe.service, recipe.subtype) not in wanted.get(visit.id, []) or recipe.for_child:
        return False
    from webapp.field.services import age_on
    age = age_on(visit.birth_date, wita_today()) if visit.birth_date else None
    return age is not None and recipe.subject_age[0] <= age <= recipe.subject_age[1]


def _listed_resident(trip, recipe: Recipe, tried: set):
    """A resident of the village's list, not yet come, whose list asks for this service."""
    from webapp.field import services as field
    from webapp.field.models import REGISTERED
    visits = [v for v in field.roster(trip, status=REGISTERED) if v.id not in tried]
    wanted = field.requested_services(visits)
    return next((v for v in visits if _fits(recipe, v, wanted)), None)


# ---------------------------------------------------------------- the photos

def _upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type="image/png")


class _Camera:
    """Photos numbered from `first` (the trip's files so far): a second day with the same seed
    takes new pictures, not the first day's again (the file store keeps one copy per content)."""

    def __init__(self, seed: int, photo_kb: int, first: int = 0):
        self.seed, self.size, self.first, self.taken, self.bytes = seed, max(2, int(photo_kb)) * 1000, first, 0, 0

    def shoot(self, *, document: bool, name: str) -> FileStorage:
        from webapp.synthetic.images import photo_png
        data = photo_png(self.seed * 1_000_003 + self.first + self.taken, self.size, document=document)
        self.taken += 1
        self.bytes += len(data)
        return _upload(data, f"{name}-{self.taken:05d}.png")


def _checklist(application, officer, camera: _Camera, photos: int) -> None:
    """The whole checklist in one submission: the photo line gets the pas foto, the document lines
    photos of the papers (while photos are left), every other line is ticked present; photos
    left over are the application's other files."""
    from webapp.intake import services as intake
    from webapp.intake.models import PRESENT
    groups = intake.line_groups(application)
    photo_lines = sum(1 for group in groups if group[0].kind == "photo")
    states, files, left = {}, [], photos
    for group in groups:
        line = group[0]
        if line.kind == "photo" and left:
            files.append((line, camera.shoot(document=False, name="pas-foto")))
            left, photo_lines = left - 1, photo_lines - 1
        elif line.kind == "document" and left > photo_lines:
            files.append((line, camera.shoot(document=True, name="dokumen")))
            left -= 1
        elif line.kind != "photo":
            states[line] = PRESENT
    for _n in range(left):
        files.append((None, camera.shoot(document=True, name="lampiran")))
    intake.save_checklist(application, states, files, actor=officer)


# ---------------------------------------------------------------- one intake

def _recipe(rng: random.Random, photos: int) -> Recipe:
    usable = [r for r in RECIPES if photos or not r.photo_line]
    return rng.choices(usable, weights=[r.weight for r in usable])[0]


def _serve(trip, visit, recipe: Recipe, officer, people: _People, camera: _Camera, photos: int):
    from webapp.field.demo import _apply
    from webapp.intake import services as intake
    subject = _subject_for(recipe, visit, officer, people)
    event = subject.birth_date if recipe.newborn_days else None
    application = _apply(visit, recipe.service, recipe.subtype, officer, subject=subject, event_date=event)
    _checklist(application, officer, camera, photos)
    return intake.accept_with_receipt(visit, [application], collect_at=people.rng.choice(COLLECT), actor=officer)


def _intake(trip, recipe: Recipe, officer, people: _People, camera: _Camera, photos: int, tried: set,
            echo) -> None:
    """One resident at the desk, in the caller's unit of work: from the village's list when it
    has someone for this service (a rule that refuses them leaves them for later), else a walk-in."""
    from webapp.field import services as field
    listed = _listed_resident(trip, recipe, tried)
    if listed is not None:
        tried.add(listed.id)
        taken, shot = camera.taken, camera.bytes
        try:
            with db.session.begin_nested():
                field.check_in(listed, officer)
                _serve(trip, listed, recipe, officer, people, camera, photos)
            return
        except DomainError as error:
            camera.taken, camera.bytes = taken, shot
            if echo:
                echo(f"  {listed.name}: {error.message} — diganti warga datang langsung")
    visit = _walk_in(trip, recipe, officer, people)
    _serve(trip, visit, recipe, officer, people, camera, photos)


def fill(applications: int, *, trip_number: str | None = None, photos_per_application: int = 3,
         photo_kb: int = 200, seed: int = 0, echo: Callable[[str], None] | None = None) -> FieldDayResult:
    """N intakes on the node's checked-out trip (see the module's docstring); each one commits."""
    from webapp.field.models import Visit
    from webapp.intake.models import Receipt
    if applications < 0 or photos_per_application < 0 or photo_kb < 1:
        raise DomainError("Jumlah permohonan dan foto tidak boleh negatif; ukuran foto minimal 1 KB.")
    if photos_per_application and photo_kb * 1000 > _photo_limit():
        raise DomainError(f"Foto paling besar {_photo_limit() // 1000} KB (batas unggahan pas foto).")
    trip = choose_trip(trip_number)
    team = _team(trip)
    _open_service(trip, team[0])
    trip_id, number = trip.id, trip.number
    rng = random.Random(seed)
    camera = _Camera(seed, photo_kb, first=_trip_files(trip_id))
    people = _People(trip, rng)
    visits_before = _count(Visit, Visit.trip_id == trip_id)
    receipts_before = _count(Receipt, Receipt.trip_id == trip_id)
    tried: set = set()
    for n in range(applications):
        officer = team[n % len(team)]
        recipe = _recipe(rng, photos_per_application)
        with unit_of_work():
            _intake(trip, recipe, officer, people, camera, photos_per_application, tried, echo)
    return FieldDayResult(applications=applications, photos=camera.taken, photo_bytes=camera.bytes,
                          receipts=_count(Receipt, Receipt.trip_id == trip_id) - receipts_before,
                          visits=_count(Visit, Visit.trip_id == trip_id) - visits_before + _listed(tried, trip_id),
                          trip_number=number)


def _photo_limit() -> int:
    from webapp.intake.services import PHOTO_MAX_BYTES
    return PHOTO_MAX_BYTES


def _count(model, *where) -> int:
    from sqlalchemy import func
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _trip_files(trip_id) -> int:
    from webapp.intake.models import Application, ApplicationFile
    return _count(ApplicationFile, ApplicationFile.application_id.in_(
        select(Application.id).where(Application.trip_id == trip_id)))


def _listed(tried: set, trip_id) -> int:
    """Residents of the village's list served (checked in) among those tried."""
    from webapp.field.models import REGISTERED, Visit
    if not tried:
        return 0
    return _count(Visit, Visit.trip_id == trip_id, Visit.id.in_(list(tried)), Visit.status != REGISTERED)


@demo_cli.command("field-day")
@click.option("--applications", "-n", type=click.IntRange(min=0), required=True,
              help="Jumlah permohonan (satu warga, satu permohonan, satu tanda terima).")
@click.option("--trip", "trip_number", default=None, help="Nomor perjalanan (bawaan: yang sedang di lokasi).")
@click.option("--photos", type=click.IntRange(min=0), default=3, show_default=True,
              help="Foto per permohonan (pas foto dan dokumen).")
@click.option("--photo-kb", type=click.IntRange(min=1), default=200, show_default=True, help="Ukuran tiap foto (KB).")
@click.option("--seed", type=int, default=0, show_default=True, help="Benih acak (hasil sama untuk benih sama).")
def field_day_command(applications: int, trip_number: str | None, photos: int, photo_kb: int, seed: int) -> None:
    """Isi perjalanan di laptop bus dengan N permohonan berikut foto dan tanda terima (demo, bench)."""
    role = str(current_app.config.get("ROLE", "office")).strip().lower()
    if role != "field":
        raise click.ClickException(f"perintah ini untuk laptop bus (ROLE=field); di sini ROLE={role}")
    try:
        result = fill(applications, trip_number=trip_number, photos_per_application=photos, photo_kb=photo_kb,
                      seed=seed, echo=lambda text: click.echo(text, err=True))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(result.summary())
