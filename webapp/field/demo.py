"""Demo of the field service and the documents (issue 8), built through the services so the
status history, the stock ledger, the change events and the audit log are the real ones:

- order 15: a Loksado request of two weeks ago and its trip of a week ago (numbered before the
  other demo requests and trips; its villagers join the demo register, which the quality demo
  imports at order 40);
- order 50: that trip served and closed (berita acara), whose receipts went through the office:
  SIAK numbers typed and imported from a result file, printed, handed over to a resident, to
  family and in bulk to the village official; a few ready for pick-up, issued and waiting for
  printing, and in the operator queue (one over the 1-hour rule);
- order 55: the trip that left today (trips demo) arrives and serves Malinau: residents waiting,
  at the desk, done, sent home with the slip, absent; applications finished on site, accepted
  with a receipt (one cancelled and issued again), postponed and rejected.

The services write "now"; `_happened_at` moves what one step wrote to when it took place, so
the SOP timelines show believable durations (the append-only audit log keeps the real time).
Work on site is numbered on the bus's node (KP-BUS01-…), as the field node will. Idempotent."""
from __future__ import annotations

import io
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import count

from flask import current_app
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage

from webapp.auth.services import find_by_username
from webapp.core.audit import AuditEntry
from webapp.core.changes import StatusHistory
from webapp.core.db import UTCDateTime, utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import WITA, wita_today
from webapp.demo import demo_loader
from webapp.extensions import db

LOKSADO = "63.06.10.2009"
LOKSADO_KECAMATAN = "63.06.10"
FINISHED_LETTER = "140/006/DS-LKS/2026"
DAYS_AGO = 7                     # the earlier trip: a week ago (moved back to a working day)


# ---------------------------------------------------------------- the demo clock

_TIME_ATTRS: dict[type, tuple[str, ...]] = {}


def _time_attrs(cls) -> tuple[str, ...]:
    if cls not in _TIME_ATTRS:
        _TIME_ATTRS[cls] = tuple(attr.key for attr in sa_inspect(cls).column_attrs
                                 if isinstance(attr.columns[0].type, UTCDateTime))
    return _TIME_ATTRS[cls]


@contextmanager
def _happened_at(at: datetime):
    """Demo only: every time the services write inside the block (history rows, the record's own
    times, stock movements, receipts, files) is moved to `at`, keeping their order. The audit
    log is append-only: it keeps when the demo really wrote."""
    mark = utcnow()
    session = db.session()
    written: dict[int, object] = {}

    def collect(flushing, _context, _instances) -> None:
        # The identity map holds flushed rows weakly: keep the ones written here until moved.
        for obj in list(flushing.new) + list(flushing.dirty):
            written[id(obj)] = obj

    event.listen(session, "before_flush", collect)
    try:
        yield
        session.flush()
    finally:
        event.remove(session, "before_flush", collect)
    shift = at - mark
    for obj in list(written.values()) + list(session.identity_map.values()):
        if isinstance(obj, AuditEntry):
            continue
        for name in _time_attrs(type(obj)):
            value = obj.__dict__.get(name)
            if value is not None and value >= mark:
                setattr(obj, name, value + shift)
    session.flush()


@contextmanager
def _on_node(node: str):
    """Work on site is numbered and stamped on the bus's own node, as the field node will."""
    before = current_app.config.get("NODE_ID")
    current_app.config["NODE_ID"] = node
    try:
        yield
    finally:
        current_app.config["NODE_ID"] = before


def _wita(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=WITA)


def _service_day(today: date) -> date:
    day = today - timedelta(days=DAYS_AGO)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _years_before(day: date, years: int, days: int = 0) -> date:
    try:
        base = day.replace(year=day.year - years)
    except ValueError:                     # 29 February
        base = day.replace(year=day.year - years, day=28)
    return base - timedelta(days=days)


def _users() -> dict:
    names = ("petugas", "petugas2", "petugas3", "operator", "kabid.dafduk", "kabid.capil", "kadis")
    return {name: find_by_username(name) for name in names}


# ---------------------------------------------------------------- files and numbers

def _upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type="image/png")


_SEQUENCE = count(41)
_NUMBER_FORMS = {"KTP_EL": "6306-KTP-{d:%d%m%Y}-{n:04d}", "KIA": "6306-KIA-{d:%d%m%Y}-{n:04d}",
                 "AKTA_LAHIR": "6306-LT-{d:%d%m%Y}-{n:04d}", "AKTA_MATI": "6306-KM-{d:%d%m%Y}-{n:04d}",
                 "PEREKAMAN": "REK-6306-{d:%d%m%Y}-{n:04d}", "KK": "630610{d:%d%m%y}{n:04d}"}


def _document_number(service_code: str, day: date) -> str:
    return _NUMBER_FORMS[service_code].format(d=day, n=next(_SEQUENCE))


# ---------------------------------------------------------------- intake steps (service calls)

def _subject_of(visit, actor, relation: str = "sendiri"):
    """The visitor as the register knows them (the intake form's prefill), else as listed."""
    from webapp.intake import services as intake
    if visit.nik:
        found = intake.find_in_register(nik=visit.nik, actor=actor)
        if found.person is not None:
            return intake.subject_from_person(found.person, relation)
    return intake.Subject(name=visit.name, relation=relation, nik=visit.nik, no_kk=visit.no_kk, sex=visit.sex,
                          birth_date=visit.birth_date)


def _apply(visit, service: str, subtype: str, actor, *, subject=None, event_date: date | None = None,
           note: str | None = None):
    from webapp.intake import services as intake
    data = intake.ApplicationInput(service_code=service, subtype_code=subtype,
                                   subject=subject or _subject_of(visit, actor), event_date=event_date, note=note)
    return intake.start_application(visit, data, actor=actor)


def _tick(application, actor, *, missing: tuple[str, ...] = (), sptjm: tuple[str, ...] = (), photo: int | None = None,
          scan: int | None = None) -> None:
    """The checklist as the officer fills it: the first line of each group of alternatives is
    present, or the line whose text contains one of `sptjm` is replaced by an SPTJM; a line
    matching `missing` stays missing. The photo line gets a generated pas foto (no `photo`: it
    stays missing), the first present document line a generated scan."""
    from webapp.intake import services as intake
    from webapp.intake.models import PRESENT, SPTJM
    from webapp.synthetic.images import portrait_png, scan_png

    def matches(line, texts) -> bool:
        return any(text.lower() in line.text.lower() for text in texts)

    for group in intake.line_groups(application):
        line = next((l for l in group if l.sptjm_allowed and matches(l, sptjm)), group[0])
        if matches(line, missing):
            continue
        if line.kind == "photo":
            if photo is not None:
                intake.attach_file(application, _upload(portrait_png(photo, red=photo % 2 == 0), "pas-foto.png"),
                                   kind=intake.PHOTO, line=line, actor=actor)
        elif line.sptjm_allowed and matches(line, sptjm):
            intake.set_line_state(line, SPTJM, actor=actor)
        elif scan is not None and line.kind == "document":
            intake.attach_file(application, _upload(scan_png(scan), "pindaian.png"), kind=intake.SCAN, line=line,
                               actor=actor)
            scan = None
        else:
            intake.set_line_state(line, PRESENT, actor=actor)


def _finish(application, actor, day: date, *, spoiled: int = 0):
    from webapp.intake import services as intake
    return intake.finish_on_site(application, document_number=_document_number(application.service_code, day),
                                 issued_on=day, stock_code=intake.default_stock_code(application), spoiled=spoiled,
                                 actor=actor)


def _receipt(visit, applications, actor, collect_at: str, issued_on: date):
    from webapp.intake import services as intake
    from webapp.intake.receipts import expected_ready_on
    receipt = intake.accept_with_receipt(visit, applications, collect_at=collect_at, actor=actor)
    receipt.expected_ready_on = expected_ready_on(issued_on)
    return receipt


# ---------------------------------------------------------------- order 15: the Loksado request and trip

@dataclass(frozen=True)
class Villager:
    key: str
    name: str
    sex: str
    age: tuple[int, int]               # (years, days) on the service day
    services: tuple[tuple[str, str], ...]
    serial: int                        # NIK serial; 0: no NIK yet (a newborn)
    family: int                        # KK serial

    def birth_date(self, day: date) -> date:
        return _years_before(day, *self.age)


LOKSADO_LIST = (
    Villager("aldi", "Aldi Saputra", "L", (17, 40), (("KTP_EL", "baru"), ("PEREKAMAN", "perekaman")), 5101, 501),
    Villager("nur", "Nur Aisyah", "P", (8, 100), (("KIA", "5_17"),), 5102, 502),
    Villager("galuh", "Galuh Sari", "P", (45, 12), (("KTP_EL", "rusak"),), 5103, 503),
    Villager("rizky", "Rizky Maulana", "L", (11, 63), (("KIA", "5_17"),), 5104, 504),
    Villager("utuh", "Utuh Basri", "L", (38, 150), (("KK", "tambah_anggota"),), 5105, 505),
    Villager("putri", "Putri Rahmawati", "P", (0, 45), (("AKTA_LAHIR", "baru"),), 0, 505),
    Villager("hairani", "Hairani", "L", (3, 210), (("KIA", "bawah_5"),), 5107, 507),
    Villager("rabiatul", "Rabiatul Adawiyah", "P", (52, 77), (("KTP_EL", "perubahan"),), 5108, 508),
    Villager("saberi", "Saberi", "L", (41, 5), (("KK", "pisah"),), 5109, 509),
    Villager("aulia", "Aulia Zahra", "P", (0, 40), (("AKTA_LAHIR", "baru"),), 0, 509),
    Villager("fadli", "Fadli Ramadhan", "L", (9, 300), (("KIA", "5_17"),), 5111, 511),
    Villager("kaspul", "Kaspul Anwar", "L", (33, 180), (("KTP_EL", "hilang"),), 5112, 512),
    Villager("mahmud", "Mahmud", "L", (56, 20), (("KK", "perubahan"),), 5113, 513),
    Villager("jamilah", "Jamilah", "P", (31, 222), (("AKTA_MATI", "baru"),), 5114, 514),
    Villager("siti", "Siti Hasanah", "P", (0, 95), (("AKTA_LAHIR", "baru"),), 0, 515),
    Villager("jumiati", "Jumiati", "P", (29, 141), (("KTP_EL", "perubahan"),), 5116, 516),
    Villager("masliani", "Masliani", "P", (35, 66), (("KK", "perubahan"),), 5117, 517),
    Villager("anang", "Anang Fauzi", "L", (16, 200), (("KTP_EL", "baru"),), 5118, 518),
    Villager("amat", "Amat", "L", (60, 33), (("KK", "hilang"),), 5119, 519),
    Villager("norhasanah", "Norhasanah", "P", (27, 88), (("KTP_EL", "rusak"),), 5120, 520),
    Villager("syahrani", "Syahrani Husin", "L", (19, 101), (("KTP_EL", "hilang"),), 5121, 521),
)


def _villager_nik(villager: Villager, day: date) -> str | None:
    from webapp.requests.demo import make_nik
    return make_nik(LOKSADO_KECAMATAN, villager.birth_date(day), villager.sex, villager.serial) if villager.serial \
        else None


def _villager_kk(villager: Villager) -> str:
    return f"630610150315{villager.family:04d}"      # area, issue date 15-03-2015, serial


@demo_loader(order=15)
def load_earlier_request() -> list[str]:
    """The letter of the earlier Loksado trip, registered and disposed two weeks ago, and the
    trip scheduled for it."""
    from webapp.requests import services as requests
    from webapp.requests.importer import ResidentRow
    from webapp.requests.models import VillageRequest
    from webapp.wilayah.services import get_region

    users = _users()
    if VillageRequest.query.filter_by(letter_number=FINISHED_LETTER).first() is not None:
        return []
    if get_region(LOKSADO) is None or users["kadis"] is None or users["operator"] is None:
        return ["Lapangan: desa atau akun demo belum ada, dilewati."]
    day = _service_day(wita_today())
    registered = _wita(day - timedelta(days=12), "09:20")
    with _happened_at(registered):
        req = requests.register_request(requests.LetterData(
            letter_number=FINISHED_LETTER, letter_date=day - timedelta(days=15), desa_code=LOKSADO,
            signatory_name="Anang Sarkani", signatory_title="Kepala Desa", location="Balai Desa Loksado",
            requested_date=day, contact_phone="081351234567",
            notes="Warga kami banyak yang belum punya KIA dan akta kelahiran; mohon sekalian perekaman."),
            actor=users["operator"], at=registered)
        for row, villager in enumerate(LOKSADO_LIST, start=1):
            requests.add_resident(req, ResidentRow(
                row=row, name=villager.name, sex=villager.sex, birth_date=villager.birth_date(day),
                services=list(villager.services), nik=_villager_nik(villager, day), no_kk=_villager_kk(villager),
                phone=None, note="lahir di rumah, belum ada surat bidan" if villager.key == "putri" else ""),
                actor=users["operator"])
    with _happened_at(registered + timedelta(minutes=7)):
        requests.dispose_request(req, divisions=["dafduk", "capil"], due_date=day - timedelta(days=1),
                                 instruction="Jadwalkan bersama Pencapil; banyak akta kelahiran.", actor=users["kadis"])
    try:
        with db.session.begin_nested():
            trip = _schedule_finished_trip(req, users, day)
    except DomainError as error:
        return [f"Lapangan: perjalanan Loksado {day:%d-%m-%Y} tidak dijadwalkan: {error.message}"]
    return [f"Lapangan: permohonan {FINISHED_LETTER} (Loksado, {len(LOKSADO_LIST)} warga), perjalanan "
            f"{trip.number} {day:%d-%m-%Y}."]


SHARED_FOR_FINISHED = ("KP/LT/2023/001", "KP/PR/2023/001", "KP/PK/2023/001", "KP/PS/2023/001",
                       "KP/KM/2023/002", "KP/KM/2024/003", "KP/CR/2023/001", "KP/SC/2023/001", "KP/RK/2023/001",
                       "KP/GS/2024/002", "KP/MD/2024/002")


def _free_future_day(days_ahead: int = 60) -> date:
    """A day no demo trip uses: the trip is planned there (the form refuses past dates) and
    then moved back to the day it took place."""
    return wita_today() + timedelta(days=days_ahead)


def _schedule_finished_trip(req, users, day: date):
    from webapp.trips import services as trips
    from webapp.trips.demo import _items, _short_of, _stock_within_balance
    from webapp.trips.services import MemberChoice, TripPlan

    planned = _free_future_day()
    disposed = next(r.at for r in db.session.execute(select(StatusHistory).where(
        StatusHistory.entity_type == "request", StatusHistory.entity_id == req.id,
        StatusHistory.to_status == "didisposisi")).scalars())
    equipment = _items(SHARED_FOR_FINISHED)
    with _happened_at(disposed + timedelta(minutes=9)):
        trip = trips.schedule_trip(TripPlan(
            start_date=planned, end_date=planned, node_code="BUS-01",
            meeting_point="Halaman kantor Disdukcapil HSS, Kandangan, pukul 06.00 WITA",
            notes="Bawa kertas akta lebih; banyak bayi belum berakta.", request_ids=[req.id],
            members=[MemberChoice(users["petugas"].id, "koordinator"),
                     MemberChoice(users["operator"].id, "operator")],
            equipment_ids=equipment, stock=_stock_within_balance(trips.preparation([req]).stock),
            accepted_missing=_short_of([req], equipment)), actor=users["kabid.dafduk"])
    with _happened_at(disposed + timedelta(minutes=14)):
        trips.update_trip(trip, TripPlan(members=[MemberChoice(users["petugas2"].id, "verifikator")]),
                          actor=users["kabid.capil"])
    trip.start_date = trip.end_date = day
    db.session.flush()
    return trip


# ---------------------------------------------------------------- order 50: the trip served and closed

class _Desk:
    """One officer's desk on a service day: call, take applications, close them, at given times."""

    def __init__(self, trip, officer, day: date):
        self.trip, self.officer, self.day = trip, officer, day

    def call(self, visit, at: datetime):
        from webapp.field import services as field
        with _happened_at(at):
            field.call_visit(visit, self.officer)

    def take(self, visit, service: str, subtype: str, at: datetime, **kwargs):
        with _happened_at(at):
            return _apply(visit, service, subtype, self.officer, **kwargs)

    def tick(self, application, at: datetime, **kwargs):
        with _happened_at(at):
            _tick(application, self.officer, **kwargs)

    def finish(self, application, at: datetime, *, spoiled: int = 0):
        with _happened_at(at):
            return _finish(application, self.officer, self.day, spoiled=spoiled)

    def receipt(self, visit, applications, at: datetime, collect_at: str):
        with _happened_at(at):
            return _receipt(visit, applications, self.officer, collect_at, self.day)

    def postpone(self, application, at: datetime, reason: str):
        from webapp.intake import services as intake
        with _happened_at(at):
            intake.postpone_application(application, reason=reason, actor=self.officer)

    def reject(self, application, at: datetime, reason: str):
        from webapp.intake import services as intake
        with _happened_at(at):
            intake.reject_application(application, reason=reason, actor=self.officer)

    def send_home(self, visit, at: datetime, reason: str):
        from webapp.field import services as field
        with _happened_at(at):
            field.send_home(visit, reason, self.officer)


def _serve_loksado(trip, users, day: date) -> dict:
    """The day at the bus in Loksado; returns {key: [applications]} and the receipts by key."""
    from webapp.field import services as field
    from webapp.field.services import WalkInInput
    from webapp.trips import services as trips
    from webapp.requests.demo import make_nik

    officer, verifier = users["petugas"], users["petugas2"]
    with _happened_at(_wita(day, "06:32")):
        trips.record_departure(trip, actor=officer)
    apps: dict[str, list] = {}
    receipts: dict[str, object] = {}
    with _on_node(trip.node_code):
        with _happened_at(_wita(day, "08:07")):
            trips.record_arrival(trip, actor=officer)
        with _happened_at(_wita(day, "08:11")):
            trips.set_siak_link(trip, True, actor=officer)
        with _happened_at(_wita(day, "08:12")):
            field.ensure_roster(trip, officer)
        by_key = {_key_of(v): v for v in field.roster(trip)}
        arrivals = ("aldi", "nur", "galuh", "rizky", "utuh", "putri", "hairani", "rabiatul", "saberi", "aulia",
                    "fadli", "kaspul", "mahmud", "jamilah", "siti", "jumiati", "masliani", "anang", "amat")
        for minute, key in enumerate(arrivals):
            with _happened_at(_wita(day, "08:14") + timedelta(minutes=3 * minute)):
                field.check_in(by_key[key], officer)
        walk_in_born = date(day.year - 47, 6, 2)
        with _happened_at(_wita(day, "09:41")):
            walker = field.add_walk_in(trip, WalkInInput(
                name="Ahmad Yani", nik=make_nik(LOKSADO_KECAMATAN, walk_in_born, "L", 5199), sex="L",
                birth_date=walk_in_born, desa_code=LOKSADO, phone="085249871234"), officer)
        by_key["walkin"] = walker

        dafduk = _Desk(trip, officer, day)
        capil = _Desk(trip, verifier, day)
        t = _wita(day, "08:25")

        def step(minutes: int) -> datetime:
            nonlocal t
            t += timedelta(minutes=minutes)
            return t

        # SIAK reaches the centre this morning: two residents finished on site.
        v = by_key["aldi"]
        dafduk.call(v, step(0))
        ktp = dafduk.take(v, "KTP_EL", "baru", step(2))
        rekam = dafduk.take(v, "PEREKAMAN", "perekaman", step(1))
        dafduk.tick(ktp, step(1))
        dafduk.tick(rekam, step(1))
        dafduk.finish(rekam, step(6))
        dafduk.finish(ktp, step(4))
        apps["aldi"] = [ktp, rekam]
        v = by_key["nur"]
        dafduk.call(v, step(2))
        kia = dafduk.take(v, "KIA", "5_17", step(2))
        dafduk.tick(kia, step(3), photo=11, scan=12)
        dafduk.finish(kia, step(5))
        apps["nur"] = [kia]
        with _happened_at(step(4)):
            trips.set_siak_link(trip, False, actor=officer)      # the signal goes: receipts from here on

        plan = [  # key, service, subtype, desk, collect at, checklist
            ("galuh", "KTP_EL", "rusak", dafduk, "kantor", {"scan": 13}),
            ("rizky", "KIA", "5_17", dafduk, "kantor", {"photo": 14}),
            ("utuh", "KK", "tambah_anggota", dafduk, "desa", {"scan": 15}),
            ("putri", "AKTA_LAHIR", "baru", capil, "desa", {"sptjm": ("Surat keterangan lahir",), "scan": 16}),
            ("hairani", "KIA", "bawah_5", dafduk, "desa", {}),
            ("rabiatul", "KTP_EL", "perubahan", dafduk, "desa", {"scan": 17}),
            ("saberi", "KK", "pisah", dafduk, "desa", {}),
            ("aulia", "AKTA_LAHIR", "baru", capil, "desa", {"sptjm": ("Buku nikah",), "scan": 18}),
            ("fadli", "KIA", "5_17", dafduk, "kantor", {"photo": 19}),
            ("kaspul", "KTP_EL", "hilang", dafduk, "kantor", {"scan": 20}),
            ("mahmud", "KK", "perubahan", dafduk, "desa", {"scan": 21}),
            ("siti", "AKTA_LAHIR", "baru", capil, "kantor", {"sptjm": ("Buku nikah",), "scan": 22}),
            ("jumiati", "KTP_EL", "perubahan", dafduk, "kantor", {}),
        ]
        for n, (key, service, subtype, desk, collect_at, ticks) in enumerate(plan):
            v = by_key[key]
            desk.call(v, step(2 + n % 3))
            application = desk.take(v, service, subtype, step(2))
            desk.tick(application, step(3 + 2 * n % 5), **ticks)
            receipts[key] = desk.receipt(v, [application], step(4 + n % 4), collect_at)
            apps[key] = [application]

        v = by_key["jamilah"]             # her husband died seven weeks ago: a late report
        capil.call(v, step(3))
        husband = _husband_of(v, day)
        death = capil.take(v, "AKTA_MATI", "baru", step(3), subject=husband, event_date=day - timedelta(days=50))
        capil.tick(death, step(4), scan=23)
        receipts["jamilah"] = capil.receipt(v, [death], step(5), "desa")
        apps["jamilah"] = [death]

        v = by_key["walkin"]
        dafduk.call(v, step(3))
        change = dafduk.take(v, "KK", "perubahan", step(2), note="Perubahan pekerjaan dan pendidikan terakhir")
        dafduk.tick(change, step(4), scan=24)
        receipts["walkin"] = dafduk.receipt(v, [change], step(5), "kantor")
        apps["walkin"] = [change]

        v = by_key["masliani"]
        dafduk.call(v, step(3))
        application = dafduk.take(v, "KK", "perubahan", step(2))
        dafduk.tick(application, step(3), missing=("Bukti peristiwa",))
        dafduk.postpone(application, step(3), "Bukti perubahan data (ijazah SMA) belum dibawa; warga menyusul "
                                              "pada kunjungan berikutnya.")
        apps["masliani"] = [application]

        v = by_key["anang"]
        dafduk.call(v, step(3))
        application = dafduk.take(v, "KTP_EL", "baru", step(2))
        dafduk.reject(application, step(3), "Belum berusia 17 tahun dan belum kawin: KTP-el belum dapat dibuat. "
                                            "Silakan datang lagi setelah ulang tahun ke-17.")
        apps["anang"] = [application]

        v = by_key["amat"]
        dafduk.call(v, step(3))
        application = dafduk.take(v, "KK", "hilang", step(2))
        dafduk.tick(application, step(2), missing=("kehilangan",))
        dafduk.send_home(v, step(3), "Surat keterangan kehilangan dari kepolisian belum ada; warga diminta ke Polsek "
                                     "Loksado lalu datang lagi.")
        apps["amat"] = [application]

        with _happened_at(_wita(day, "13:30")):
            field.mark_absent(by_key["norhasanah"], officer)
        with _happened_at(_wita(day, "15:20")):
            field.finish_trip_day(trip, officer)
        for line in field.stock_lines(trip):
            if line.outstanding:
                with _happened_at(_wita(day, "16:45")):
                    field.return_blanks(trip, line.code, line.outstanding, officer)
    return {"apps": apps, "receipts": receipts}


def _key_of(visit) -> str:
    by_name = {v.name: v.key for v in LOKSADO_LIST}
    return by_name.get(visit.name, visit.name)


def _husband_of(visit, day: date):
    from webapp.intake import services as intake
    return intake.Subject(name="Husin bin Arsyad", relation="suami_istri", sex="L",
                          birth_date=_years_before(day, 38, 41), birth_place="Loksado", no_kk=visit.no_kk,
                          address="Desa Loksado RT 002/RW 001", married=True)


def _office_work(trip, served: dict, users, day: date, now: datetime) -> None:
    """Step 6 at the office: files received, SIAK numbers typed or imported, printed, handed over;
    the files that came later are in the queue today."""
    from webapp.documents import pickup, queue
    from webapp.intake.receipts import add_working_days

    operator = users["operator"]
    apps, receipts = served["apps"], served["receipts"]
    first_batch = ["galuh", "rizky", "utuh", "putri", "hairani", "rabiatul", "saberi", "aulia", "fadli", "jumiati"]
    office_day = [add_working_days(day, n) for n in range(1, 5)]

    received = _wita(office_day[0], "08:10")
    with _happened_at(received):
        queue.receive_files([apps[k][0] for k in first_batch], operator)
    t = received + timedelta(minutes=2)
    for key in first_batch[:7]:                      # typed from SIAK's own client, one by one
        application = apps[key][0]
        with _happened_at(t):
            queue.take(application, operator)
        t += timedelta(minutes=4)
        with _happened_at(t):
            queue.record_document_number(application, _document_number(application.service_code, office_day[0]),
                                         office_day[0], actor=operator, today=office_day[0])
        t += timedelta(minutes=1)
    with _happened_at(t):                            # the other three through the SIAK files
        exported = queue.export_ready(actor=operator, formats=("json",), at=t)
    t += timedelta(minutes=6)
    results = [{"id_permohonan": str(a.id), "no_dokumen": _document_number(a.service_code, office_day[0]),
                "tgl_terbit": office_day[0].isoformat()} for a in exported.applications if a is not apps["jumiati"][0]]
    results.append({"id_permohonan": str(apps["jumiati"][0].id),
                    "alasan_tolak": "NIK terdaftar ganda dengan penduduk lain di SIAK; perlu verifikasi Ditjen "
                                    "Dukcapil sebelum data dapat diubah."})
    data = json.dumps({"format": "ketupat-pecel/siak-hasil", "versi": 1, "hasil": results}).encode()
    with _happened_at(t):
        queue.import_results(data, filename=f"siak-hasil-{office_day[0]:%Y%m%d}.json", actor=operator, at=t)

    printed_first = ["galuh", "rizky", "utuh", "putri", "hairani"]
    for minutes, key in enumerate(printed_first):
        with _happened_at(_wita(office_day[0], "10:05") + timedelta(minutes=3 * minutes)):
            queue.record_printing(apps[key][0], actor=operator)
    with _happened_at(_wita(office_day[1], "10:15")):
        pickup.hand_over(receipts["galuh"], [apps["galuh"][0].id], pickup.Receiver("sendiri", "Galuh Sari"),
                         actor=operator)
    with _happened_at(_wita(office_day[2], "09:40")):
        pickup.hand_over(receipts["rizky"], [apps["rizky"][0].id],
                         pickup.Receiver("keluarga", "Hamidah", relation="orang_tua"), actor=operator)
    with _happened_at(_wita(office_day[3], "11:00")):
        pickup.bulk_hand_over(LOKSADO, [apps[k][0].id for k in ("utuh", "putri", "hairani")],
                              receiver_name="Masrani", receiver_position="Sekretaris Desa Loksado", actor=operator)
    for minutes, key in enumerate(("rabiatul", "saberi", "aulia", "fadli")):
        with _happened_at(_wita(office_day[3], "14:10") + timedelta(minutes=4 * minutes)):
            queue.record_printing(apps[key][0], actor=operator)

    # Files that came later (the late reports waited for the Kepala Dinas): in the queue now.
    with _happened_at(now - timedelta(hours=2, minutes=40)):
        queue.receive_files([apps["kaspul"][0], apps["mahmud"][0]], operator)
    # Kaspul's file waited in the tray while the operator served the counter: over the 1-hour rule.
    for key, taken, done in (("kaspul", 92, 88), ("mahmud", 148, 144)):
        application = apps[key][0]
        with _happened_at(now - timedelta(minutes=taken)):
            queue.take(application, operator)
        with _happened_at(now - timedelta(minutes=done)):
            queue.record_document_number(application, _document_number(application.service_code, wita_today()),
                                         wita_today(), actor=operator)
    with _happened_at(now - timedelta(hours=1, minutes=35)):
        queue.receive_files([apps["siti"][0]], operator)
    with _happened_at(now - timedelta(minutes=50)):
        queue.receive_files([apps["jamilah"][0]], operator)
    with _happened_at(now - timedelta(minutes=9)):
        queue.take(apps["jamilah"][0], operator)
    with _happened_at(now - timedelta(minutes=25)):
        queue.receive_files([apps["walkin"][0]], operator)


@demo_loader(order=50)
def load_finished_trip() -> list[str]:
    from webapp.requests.models import VillageRequest
    from webapp.trips import services as trips

    users = _users()
    req = VillageRequest.query.filter_by(letter_number=FINISHED_LETTER).first()
    trip = trips.active_trip_of_request(req.id) if req is not None else None
    if trip is None or any(u is None for u in users.values()):
        return ["Lapangan: perjalanan Loksado atau akun demo belum ada, perjalanan selesai dilewati."]
    if trip.status != "dijadwalkan":
        return _finished_summary(req)
    day, now = trip.start_date, utcnow()
    try:
        with db.session.begin_nested():      # a failed part leaves the rest of the demo
            served = _serve_loksado(trip, users, day)
            _office_work(trip, served, users, day, now)
    except DomainError as error:
        return [f"Lapangan: perjalanan selesai dilewati: {error.message}"]
    return _finished_summary(req)


def _finished_summary(req) -> list[str]:
    from webapp.documents.public_status import derive_status
    from webapp.intake.models import Receipt
    from webapp.trips import services as trips

    trip = next((t for t in _trips_of_request(req) if t.status == "selesai"), None)
    if trip is None:
        return []
    receipts = list(db.session.execute(select(Receipt).where(Receipt.trip_id == trip.id)
                                       .order_by(Receipt.number)).scalars())
    states: dict[str, list] = {}
    for receipt in receipts:
        public = derive_status(receipt)
        states.setdefault(public.state, []).append((receipt, public))
    lines = [f"Lapangan: perjalanan {trip.number} ({trips.desa_name(req.desa_code)}, {trip.start_date:%d-%m-%Y}) "
             f"selesai; {len(receipts)} tanda terima: "
             + ", ".join(f"{found[0][1].label.lower()} {len(found)}" for found in states.values())]
    for state in ("siap_diambil", "diproses"):
        if states.get(state):
            receipt, public = states[state][0]
            lines.append(f"  Coba /status: {receipt.number}, kode cek {receipt.check_code} ({public.label.lower()})")
    return lines


def _trips_of_request(req) -> list:
    from webapp.trips.models import Trip, TripRequest
    return list(db.session.execute(select(Trip).join(TripRequest, TripRequest.trip_id == Trip.id)
                                   .where(TripRequest.request_id == req.id)).scalars())


# ---------------------------------------------------------------- order 55: the trip on site today

def _departed_today():
    from webapp.trips.demo import DEPARTED_CANDIDATES, _requests_by_letter
    from webapp.trips.models import ARRIVED, DEPARTED
    for req in _requests_by_letter(DEPARTED_CANDIDATES):
        for trip in _trips_of_request(req):
            if trip.status in (DEPARTED, ARRIVED) and trip.start_date == wita_today():
                return trip
    return None


def _move_departure(trip, at: datetime) -> None:
    """Demo only: the trips demo left 50 minutes ago; this team left early this morning."""
    from webapp.trips import services as trips
    ids = [trip.id] + [r.id for r in trips.requests_of(trip)]
    for row in db.session.execute(select(StatusHistory).where(
            StatusHistory.entity_id.in_(ids), StatusHistory.to_status == "berangkat")).scalars():
        row.at = at
    trip.departed_at = at
    db.session.flush()


def _pick(visits: list, used: set, service: str, subtype: str, *, ages: range | None = None):
    """The youngest resident not yet given a part whose list asks for this service (and of
    these ages today)."""
    from webapp.field import services as field
    wanted = field.requested_services(visits)
    today = wita_today()
    for visit in sorted(visits, key=lambda v: (v.birth_date or today, v.name), reverse=True):
        if visit.id in used or (service, subtype) not in wanted.get(visit.id, []):
            continue
        if ages is not None and (visit.birth_date is None or field.age_on(visit.birth_date, today) not in ages):
            continue
        used.add(visit.id)
        return visit
    return None


def _walk_in_mother(trip):
    """A mother from the register who is not on the village's list (her NIK is checked at once)."""
    from webapp.field.models import Visit
    from webapp.quality import services as quality
    from webapp.quality.models import Person
    from webapp.trips import services as trips
    desa = trips.requests_of(trip)[0].desa_code
    on_trip = set(db.session.execute(select(Visit.nik).where(Visit.trip_id == trip.id)).scalars())
    today = wita_today()
    for person in db.session.execute(quality.current_persons().where(
            Person.desa_code == desa, Person.sex == "P", Person.no_kk.isnot(None), Person.birth_date.between(
                _years_before(today, 38), _years_before(today, 21))).order_by(Person.row_no).limit(50)).scalars():
        if person.nik and person.nik not in on_trip:
            return person
    return None


def _walk_in(trip, officer, at: datetime):
    from webapp.field import services as field
    from webapp.field.services import WalkInInput
    from webapp.requests.demo import make_nik
    from webapp.trips import services as trips

    mother = _walk_in_mother(trip)
    born = _years_before(wita_today(), 27, 60)
    data = WalkInInput(name=mother.name.title() if mother else "Norma Yanti",
                       nik=mother.nik if mother else make_nik("63.06.10", born, "P", 7001), sex="P",
                       birth_date=mother.birth_date if mother else born, no_kk=mother.no_kk if mother else None,
                       desa_code=trips.requests_of(trip)[0].desa_code, phone="081250004321")
    with _happened_at(at):
        return field.add_walk_in(trip, data, officer)


class _Today:
    """Today's service in Malinau, one resident after another; each part in its own savepoint,
    so a village list that lacks someone (or a rule that refuses) leaves the rest."""

    def __init__(self, trip, now: datetime):
        team = [m.user for m in trip.members]
        self.trip, self.now, self.today = trip, now, wita_today()
        self.officer, self.colleague = team[0], team[1] if len(team) > 1 else team[0]
        self.desk, self.other = _Desk(trip, self.officer, self.today), _Desk(trip, self.colleague, self.today)
        self.arrival = now - timedelta(hours=2, minutes=30)
        self.at = self.arrival + timedelta(minutes=8)
        self.notes: list[str] = []

    def step(self, minutes: int) -> datetime:
        self.at += timedelta(minutes=minutes)
        return self.at

    def part(self, label: str, visit, serve) -> None:
        if visit is None:
            self.notes.append(f"Lapangan: daftar desa tidak memuat warga untuk bagian \"{label}\", dilewati.")
            return
        try:
            with db.session.begin_nested():
                serve(visit)
        except DomainError as error:
            self.notes.append(f"Lapangan: bagian \"{label}\" dilewati: {error.message}")

    # --- the residents' parts

    def recorded_and_printed(self, v) -> None:          # 17 years old: recorded and printed on the spot
        desk = self.desk
        desk.call(v, self.step(0))
        ktp = desk.take(v, "KTP_EL", "baru", self.step(2))
        rekam = desk.take(v, "PEREKAMAN", "perekaman", self.step(1))
        desk.tick(ktp, self.step(1))
        desk.tick(rekam, self.step(1))
        desk.finish(rekam, self.step(5))
        desk.finish(ktp, self.step(4))

    def kia_with_photo(self, v) -> None:                # a six-year-old's KIA with its photo, a card spoiled
        desk = self.desk
        desk.call(v, self.step(2))
        kia = desk.take(v, "KIA", "5_17", self.step(1), note="Didampingi ibu kandung")
        desk.tick(kia, self.step(3), photo=31, scan=32)
        desk.finish(kia, self.step(5), spoiled=1)

    def death_and_new_kk(self, v) -> None:              # a father's death, the new KK: one receipt
        from webapp.intake import services as intake
        other = self.other
        other.call(v, self.step(2))
        father = intake.Subject(name="Asnawi bin Saleh", relation="anak", sex="L",
                                birth_date=_years_before(self.today, 79, 30), birth_place="Loksado", no_kk=v.no_kk,
                                address="Desa Malinau RT 001/RW 001", married=True)
        death = other.take(v, "AKTA_MATI", "baru", self.step(2), subject=father,
                           event_date=self.today - timedelta(days=18))
        subject = _subject_of(v, self.colleague)
        subject.address = "Desa Malinau RT 003/RW 001"      # moved within the village: noted as a correction
        kk = other.take(v, "KK", "kepala_meninggal", self.step(2), subject=subject)
        other.tick(death, self.step(2), scan=33)
        other.tick(kk, self.step(1))
        other.receipt(v, [death, kk], self.step(6), "desa")

    def late_birth(self, v) -> None:                    # day 75, SPTJM; the receipt reissued
        from webapp.intake import receipts as receipt_service
        from webapp.intake import services as intake
        desk = self.desk
        desk.call(v, self.step(3))
        baby = intake.Subject(name="Muhammad Alfarizi", relation="orang_tua", sex="L",
                              birth_date=self.today - timedelta(days=75), birth_place="Malinau", no_kk=v.no_kk)
        birth = desk.take(v, "AKTA_LAHIR", "baru", self.step(2), subject=baby, event_date=baby.birth_date)
        # The SPTJM written out by hand and both witnesses fetched from the village: over the
        # SOP's 20 minutes for this resident (step 5).
        desk.tick(birth, self.step(16), sptjm=("Buku nikah",), scan=34)
        first = desk.receipt(v, [birth], self.step(5), "desa")
        with _happened_at(self.step(2)):
            receipt_service.cancel_receipt(first, "Salah tempat pengambilan: ibu akan mengambil sendiri di kantor "
                                                  "Disdukcapil.", actor=self.officer)
        second = desk.receipt(v, [birth], self.step(1), "kantor")
        with _happened_at(self.step(1)):
            receipt_service.reprint_receipt(second, actor=self.officer)

    def postponed(self, v) -> None:                     # a paper missing
        desk = self.desk
        desk.call(v, self.step(2))
        application = desk.take(v, "KK", "perubahan", self.step(2))
        desk.tick(application, self.step(3), missing=("Bukti peristiwa",))
        desk.postpone(application, self.step(3), "Bukti perubahan data (ijazah) tidak dibawa; warga kembali pada "
                                                 "kunjungan berikutnya.")

    def case_for_the_centre(self, v) -> None:           # a data problem: a case, postponed until verified
        from webapp.intake import services as intake
        desk = self.desk
        desk.call(v, self.step(2))
        application = desk.take(v, "KTP_EL", "rusak", self.step(2))
        with _happened_at(self.step(3)):
            case = intake.open_quality_case(application, actor=self.officer,
                                            summary="Tanggal lahir pada KTP-el lama berbeda dengan database "
                                                    "kependudukan; mohon verifikasi pusat.")
        desk.postpone(application, self.step(3), f"Menunggu verifikasi pusat atas kasus {case.number}.")

    def already_registered(self, v) -> None:            # the death is on record: rejected; the KK goes ahead
        from webapp.intake import services as intake
        other = self.other
        other.call(v, self.step(2))
        wife = intake.Subject(name="Salasiah binti Mahmud", relation="suami_istri", sex="P",
                              birth_date=_years_before(self.today, 64, 12), birth_place="Malinau", no_kk=v.no_kk,
                              married=True)
        death = other.take(v, "AKTA_MATI", "baru", self.step(2), subject=wife,
                           event_date=self.today - timedelta(days=20))
        kk = other.take(v, "KK", "kepala_meninggal", self.step(1))
        other.reject(death, self.step(3), "Kematian ini sudah tercatat di SIAK: kutipan akta kematian telah terbit "
                                          "dan dibawa warga.")
        other.tick(kk, self.step(2))
        other.receipt(v, [kk], self.step(5), "kantor")

    def sent_home(self, v) -> None:                     # with the missing-items slip
        desk = self.desk
        desk.call(v, self.step(2))
        application = desk.take(v, "KIA", "5_17", self.step(2))
        desk.tick(application, self.step(2), missing=("akta kelahiran", "KTP-el kedua orang tua", "Pas foto"))
        desk.send_home(v, self.step(3), "Kutipan akta kelahiran anak dan KTP-el orang tua tidak dibawa.")

    def absent(self, v) -> None:
        from webapp.field import services as field
        with _happened_at(self.step(2)):
            field.mark_absent(v, self.officer)

    def at_the_desk(self, v) -> None:                   # called a few minutes ago, checklist half done
        desk, now = self.desk, self.now
        desk.call(v, now - timedelta(minutes=7))
        application = desk.take(v, "KIA", "5_17", now - timedelta(minutes=5))
        desk.tick(application, now - timedelta(minutes=3), missing=("KTP-el kedua orang tua", "Pas foto"))


def _serve_today(trip, now: datetime) -> list[str]:
    from webapp.field import services as field
    from webapp.trips import services as trips

    day = _Today(trip, now)
    # The road to Malinau after the night's rain: 2 h 25 min, over the SOP's 2 hours (step 4).
    _move_departure(trip, day.arrival - timedelta(hours=2, minutes=25))
    with _on_node(trip.node_code):
        with _happened_at(day.arrival):
            trips.record_arrival(trip, actor=day.officer)
        with _happened_at(day.arrival + timedelta(minutes=2)):
            trips.set_siak_link(trip, True, actor=day.officer)
        with _happened_at(day.arrival + timedelta(minutes=3)):
            field.ensure_roster(trip, day.officer)
        visits, used = field.roster(trip), set()
        adults, children = range(17, 60), range(5, 17)
        cast = [  # label, resident, part (in the order they are served); checked in unless absent
            ("KTP-el dan perekaman selesai di lokasi", _pick(visits, used, "KTP_EL", "baru", ages=adults),
             day.recorded_and_printed),
            ("KIA anak 6 tahun", _pick(visits, used, "KIA", "5_17", ages=range(5, 9)), day.kia_with_photo),
            ("akta kematian dan KK", _pick(visits, used, "AKTA_MATI", "baru"), day.death_and_new_kk),
            ("ditunda", _pick(visits, used, "KK", "perubahan"), day.postponed),
            ("kasus kualitas data", _pick(visits, used, "KTP_EL", "rusak"), day.case_for_the_centre),
            ("ditolak", _pick(visits, used, "AKTA_MATI", "baru"), day.already_registered),
            ("dipulangkan", _pick(visits, used, "KIA", "5_17", ages=children), day.sent_home),
        ]
        desk_visit = _pick(visits, used, "KIA", "5_17", ages=children)
        absent = _pick(visits, used, "KTP_EL", "baru")
        waiting = [v for v in (_pick(visits, used, "KTP_EL", "baru"), _pick(visits, used, "KIA", "5_17")) if v]
        for n, visit in enumerate([v for _l, v, _p in cast if v] + [v for v in [desk_visit] if v]):
            with _happened_at(day.arrival + timedelta(minutes=5 + 2 * n)):
                field.check_in(visit, day.officer)
        for n, visit in enumerate(waiting):
            with _happened_at(day.arrival + timedelta(minutes=70 + 25 * n)):
                field.check_in(visit, day.officer)
        walk_in = _walk_in(trip, day.officer, day.arrival + timedelta(minutes=45))
        cast.insert(3, ("akta kelahiran terlambat (warga datang langsung)", walk_in, day.late_birth))
        for label, visit, serve in cast:
            day.part(label, visit, serve)
        day.part("tidak hadir", absent, day.absent)
        day.part("sedang dilayani", desk_visit, day.at_the_desk)
    return day.notes


@demo_loader(order=55)
def load_trip_in_progress() -> list[str]:
    from webapp.trips.models import DEPARTED

    trip = _departed_today()
    if trip is None:
        return ["Lapangan: tidak ada perjalanan yang berangkat hari ini, pelayanan hari ini dilewati."]
    lines = []
    if trip.status == DEPARTED and len(trip.members) >= 1:
        try:
            with db.session.begin_nested():
                lines += _serve_today(trip, utcnow())
        except DomainError as error:
            return [f"Lapangan: pelayanan hari ini dilewati: {error.message}"]
    return lines + _today_summary(trip)


def _today_summary(trip) -> list[str]:
    from webapp.documents.public_status import derive_status
    from webapp.field import services as field
    from webapp.field.models import VISIT_LABELS
    from webapp.intake.models import Receipt
    counts = field.trip_counts(trip)
    receipts = list(db.session.execute(select(Receipt).where(Receipt.trip_id == trip.id)
                                       .order_by(Receipt.number)).scalars())
    line = (f"Lapangan: perjalanan {trip.number} {trip.status_label.lower()} (SIAK "
            f"{'terhubung' if trip.siak_online else 'tidak terhubung'}), {counts['total']} warga: "
            + ", ".join(f"{str(VISIT_LABELS[status]).lower()} {n}" for status, n in counts.items()
                        if n and status in VISIT_LABELS)
            + f"; {len(receipts)} tanda terima")
    active = next((r for r in receipts if derive_status(r).state == "diterima"), None)
    lines = [line]
    if active is not None:
        lines.append(f"  Coba /status: {active.number}, kode cek {active.check_code} (diterima)")
    return lines
