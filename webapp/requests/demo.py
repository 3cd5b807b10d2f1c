"""Demo requests: villages of Loksado and elsewhere in HSS, in every state of SOP steps 1–2, with
resident lists whose NIKs follow the DOMAIN rules (kecamatan of first registration, day + 40
for women). The trips demo schedules and departs the requests named in DEMO_REQUESTS_FOR_TRIPS."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from webapp.auth import services as auth_services
from webapp.core.timefmt import wita_today
from webapp.demo import demo_loader
from webapp.extensions import db
from webapp.quality.demo import demo_register_records
from webapp.quality.records import PersonRecord
from webapp.requests import services
from webapp.requests.importer import ResidentRow
from webapp.requests.models import RequestResident, VillageRequest
from webapp.wilayah.services import get_region

# Letter numbers of two disposed requests the trips demo schedules (the first) and departs (the second).
DEMO_REQUESTS_FOR_TRIPS = ["140/031/DS-LKS/2026", "140/017/DS-HRT/2026"]

MALE = ["Anang", "Utuh", "Ahmad", "Muhammad", "Rahmat", "Jumberi", "Saberi", "Syahrani", "Basri", "Fauzi",
        "Hairani", "Rusdi", "Masrani", "Ijai", "Amat", "Kaspul", "Mahyuni", "Aldi", "Rizky", "Fadli"]
FEMALE = ["Galuh", "Aluh", "Siti", "Norhayati", "Masliani", "Rusmini", "Fitriani", "Jumiati", "Halimah",
          "Salasiah", "Rabiatul", "Mariyani", "Nurul", "Aisyah", "Hamidah", "Putri", "Zahra", "Nadia"]
SECOND = ["Arsyad", "Saputra", "Hidayat", "Rahman", "Ramadhan", "Fitri", "Aulia", "Rizqa", "Maulida", "Hasanah",
          "Sarkani", "Husin", "Darmawan", "Yusuf", "Wahyudi", "Noor", "Apriani", "Lestari"]


def make_nik(kecamatan_code: str, birth_date: date, sex: str, serial: int) -> str:
    """A NIK per DOMAIN.md: PPKKCC + DDMMYY (day + 40 for women) + 4-digit serial."""
    day = birth_date.day + (40 if sex == "P" else 0)
    return f"{kecamatan_code.replace('.', '')}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(MALE if sex == "L" else FEMALE)
    return f"{first} {rng.choice(SECOND)}" if rng.random() < 0.8 else first


def _birth(rng: random.Random, today: date, low: int, high: int) -> date:
    years = rng.randint(low, high)
    return today - timedelta(days=years * 365 + rng.randint(0, 360))


def _residents(rng: random.Random, kecamatan: str, count: int, service_date: date) -> list[ResidentRow]:
    rows = []
    kk = f"{kecamatan.replace('.', '')}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(10, 22):02d}{rng.randint(1, 999):04d}"
    for i in range(count):
        sex = rng.choice("LP")
        kind = rng.random()
        note = ""
        if kind < 0.35:      # turning 17: new KTP-el and biometric recording
            birth = service_date - timedelta(days=17 * 365 + rng.randint(10, 300))
            services = [("KTP_EL", "baru"), ("PEREKAMAN", "perekaman")]
        elif kind < 0.55:    # a child: KIA
            birth = _birth(rng, service_date, 1, 15)
            services = [("KIA", "bawah_5" if (service_date - birth).days < 5 * 365 else "5_17")]
        elif kind < 0.67:    # no birth certificate yet, often no NIK either
            birth = _birth(rng, service_date, 0, 6)
            services = [("AKTA_LAHIR", "baru")]
            note = "belum punya akta kelahiran"
        elif kind < 0.75:    # reporting a death in the family, KK changes
            birth = _birth(rng, service_date, 40, 70)
            services = [("AKTA_MATI", "baru"), ("KK", "kepala_meninggal")]
            note = "pelapor kematian orang tua"
        elif kind < 0.87:
            birth = _birth(rng, service_date, 20, 60)
            services = [("KK", rng.choice(["tambah_anggota", "perubahan", "pisah"]))]
        else:
            birth = _birth(rng, service_date, 18, 65)
            services = [("KTP_EL", rng.choice(["hilang", "rusak", "perubahan"]))]
        nik = make_nik(kecamatan, birth, sex, rng.randint(1, 400))
        if services == [("AKTA_LAHIR", "baru")] and rng.random() < 0.7:
            nik = None
        record_sex = sex
        if nik and i == 2:   # a few records disagree with the NIK: shown as warnings
            record_sex = "P" if sex == "L" else "L"
            note = note or "jenis kelamin di daftar desa berbeda dengan NIK"
        rows.append(ResidentRow(row=i + 1, name=_name(rng, record_sex), sex=record_sex, birth_date=birth,
                                services=services, nik=nik, no_kk=kk if rng.random() < 0.7 else None,
                                phone=f"08{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}" if rng.random() < 0.3 else None,
                                note=note))
    return rows


# (letter number, desa code, signatory, residents, state, days ago, minutes to disposition, divisions, reason)
DEMO_LETTERS = [
    ("140/031/DS-LKS/2026", "63.06.10.2009", "Anang Sarkani", 18, "didisposisi", 9, 4, ["dafduk", "capil"], None),
    ("140/017/DS-HRT/2026", "63.06.10.2010", "Rahmat Hidayat", 14, "didisposisi", 8, 7, ["dafduk"], None),
    ("470/022/DS-MLN/2026", "63.06.10.2004", "Saberi", 12, "didisposisi", 6, 12, ["capil", "dafduk"], None),
    ("140/009/DS-LLH/2026", "63.06.10.2008", "Jumberi", 9, "baru", 1, None, None, None),
    ("470/044/DS-HBY/2026", "63.06.10.2005", "Masrani", 7, "dikembalikan", 4, 6, None,
     "Daftar warga belum memuat tanggal lahir yang benar untuk 3 anak; mohon diperbaiki dan dikirim ulang."),
    ("140/112/DS-PDB/2026", "63.06.02.2008", "H. Syahrani", 21, "baru", 0, None, None, None),
    ("470/058/DS-DU/2026", "63.06.08.2001", "Fauzi Rahman", 25, "didisposisi", 3, 3, ["dafduk"], None),
]


def _kecamatan_of(desa_code: str) -> str:
    return desa_code.rsplit(".", 1)[0]


@demo_loader(order=20)
def load_requests() -> list[str]:
    rng = random.Random(6306)
    kadis = auth_services.find_by_username("kadis")
    office = auth_services.find_by_username("operator") or kadis
    kades = auth_services.find_by_username("kades.loksado")
    today = wita_today()
    lines = []
    created = 0
    for letter, desa, signer, count, state, days_ago, minutes, divisions, reason in DEMO_LETTERS:
        if VillageRequest.query.filter_by(letter_number=letter).first() is not None or get_region(desa) is None:
            continue
        registered = datetime.combine(today - timedelta(days=days_ago), time(1, 30), tzinfo=timezone.utc) \
            + timedelta(minutes=rng.randint(0, 300))
        registered = min(registered, datetime.now(timezone.utc) - timedelta(minutes=40))
        actor = kades if kades is not None and desa == kades.desa_code else office
        region = get_region(desa)
        data = services.LetterData(
            letter_number=letter, letter_date=registered.date() - timedelta(days=rng.randint(2, 6)), desa_code=desa,
            signatory_name=signer, signatory_title="Kepala Desa", location=f"Balai Desa {region.name}",
            requested_date=today + timedelta(days=rng.randint(7, 21)), contact_phone=f"0813{rng.randint(10000000, 99999999)}",
            notes="Mohon pelayanan perekaman dan pencetakan di desa karena jarak ke kantor jauh.")
        req = services.register_request(data, actor=actor, at=registered)
        for row in _residents(rng, _kecamatan_of(desa), count, data.requested_date):
            services.add_resident(req, row, actor=actor)
        db.session.flush()
        if state == "didisposisi" and kadis is not None:
            services.dispose_request(req, divisions=divisions, instruction="Segera jadwalkan dan siapkan tim serta blangko.",
                                     due_date=data.requested_date - timedelta(days=2), actor=kadis,
                                     at=registered + timedelta(minutes=minutes, seconds=rng.randint(0, 59)))
        elif state == "dikembalikan" and kadis is not None:
            from webapp.core.changes import change_status
            from webapp.requests.models import REQUEST_WORKFLOW
            change_status(req, "dikembalikan", actor=kadis, workflow=REQUEST_WORKFLOW, note=reason,
                          at=registered + timedelta(minutes=minutes))
            req.return_reason = reason
        created += 1
    db.session.flush()
    total = VillageRequest.query.count()
    lines.append(f"Permohonan desa: {created} dibuat, {total} seluruhnya "
                 f"(untuk demo perjalanan: {', '.join(DEMO_REQUESTS_FOR_TRIPS)}).")
    return lines


# --- the villagers in the demo register (registered with the quality demo) ---------------------

REGISTER_SEED = 2026
MOTHERS = ("Siti Aisyah", "Masliani", "Nurhayati", "Rabiatul Adawiyah", "Jamilah", "Salasiah", "Hamidah",
           "Aluh Saidah", "Norhasanah", "Rusmilawati", "Fatimah", "Halimah")
FATHERS = ("Abdul Hamid", "Husin", "Mahmud", "Asnawi", "Saleh", "Jumberi", "Rusdiansyah", "Ahmad Yani",
           "Muhammad Nur", "Gusti Rahmat", "Utuh Jaya", "Anang Fauzi")
PLACES = ("Kandangan", "Loksado", "Negara", "Banjarmasin", "Barabai")


def _family_card(resident, desa_code: str) -> str:
    """A KK number for a villager whose list left it empty: issuing area + issue date + serial."""
    area = desa_code.replace(".", "")[:6]
    serial = int(resident.id.hex[-6:], 16) % 9000 + 1000   # the random end of the UUIDv7
    return f"{area}150320{serial}"


def _parents_for_lone_children(records: list, rng) -> list:
    """A child on a village's list has parents in the register: add a head of family for
    every KK that has only children on the list."""
    families: dict[str, list] = {}
    for record in records:
        families.setdefault(record.no_kk, []).append(record)
    parents = []
    for kk, members in families.items():
        if any(m.family_role == "KEPALA KELUARGA" for m in members):
            continue
        eldest = min(members, key=lambda m: m.birth_date)
        born = eldest.birth_date.replace(year=eldest.birth_date.year - 28, day=min(eldest.birth_date.day, 28))
        kecamatan = eldest.desa_code.rsplit(".", 1)[0]
        parents.append(PersonRecord(
            ref=0, nik=make_nik(kecamatan, born, "L", 9000 + len(parents)), no_kk=kk, name=eldest.father_name,
            sex="L", birth_place=rng.choice(PLACES), birth_date=born, marital_status="KAWIN",
            family_role="KEPALA KELUARGA", mother_name=rng.choice(MOTHERS).upper(),
            father_name=rng.choice(FATHERS).upper(), address=eldest.address, rt=eldest.rt, rw=eldest.rw,
            desa_code=eldest.desa_code, extra={"letter": None}))
        for member in members:
            if member.family_role != "KEPALA KELUARGA":
                member.family_role = "ANAK"
    return parents


@demo_register_records
def request_residents_as_records(first_ref: int) -> list:
    """The demo villages' residents belong in the demo register too, so the pre-trip check
    finds most of them; two are planted with problems the check must catch: one NIK that a
    second person also carries (blocked until the centre verifies) and one whose register
    birth date differs from the village's list (a warning)."""
    rng = random.Random(REGISTER_SEED)
    rows = db.session.execute(
        select(RequestResident, VillageRequest.desa_code, VillageRequest.letter_number)
        .join(VillageRequest, RequestResident.request_id == VillageRequest.id)
        .order_by(VillageRequest.number, RequestResident.position)).all()
    records: list = []
    heads: set[str] = set()
    family_size: dict[str, int] = {}
    for resident, _desa, _letter in rows:
        family_size[resident.no_kk] = family_size.get(resident.no_kk, 0) + 1
    for resident, desa_code, letter in sorted(rows, key=lambda r: (r[0].no_kk or "", r[0].birth_date)):
        if not resident.nik:
            continue
        age = (wita_today() - resident.birth_date).days // 365
        # A village list may repeat one KK number for many people; the register keeps families small.
        kk = resident.no_kk if resident.no_kk and family_size[resident.no_kk] <= 5 else _family_card(resident, desa_code)
        if kk and kk not in heads and age >= 18:
            heads.add(kk)
            role = "KEPALA KELUARGA"
        else:
            role = "ANAK" if age < 18 or not kk else "FAMILI LAIN"
        records.append(PersonRecord(
            ref=first_ref + len(records), nik=resident.nik, no_kk=kk, name=resident.name.upper(), sex=resident.sex,
            birth_place=rng.choice(PLACES), birth_date=resident.birth_date,
            marital_status="KAWIN" if age >= 22 else "BELUM KAWIN", family_role=role,
            mother_name=rng.choice(MOTHERS).upper(), father_name=rng.choice(FATHERS).upper(),
            address=f"JL. DESA RT {rng.randint(1, 9):03d}", rt=f"{rng.randint(1, 9):03d}", rw="001",
            desa_code=desa_code, extra={"letter": letter}))
    records += _parents_for_lone_children(records, rng)
    for index, record in enumerate(records):
        record.ref = first_ref + index
    planted = [r for r in records if r.extra["letter"] in DEMO_REQUESTS_FOR_TRIPS]
    if planted:
        shared = planted[0]   # a stranger carries the same NIK: the record cannot be served on site
        records.append(PersonRecord(
            ref=first_ref + len(records), nik=shared.nik, no_kk=None, name="SAMSUDIN", sex=shared.sex,
            birth_place="Barabai", birth_date=shared.birth_date.replace(year=shared.birth_date.year - 3),
            marital_status="KAWIN", family_role="KEPALA KELUARGA", mother_name="JUBAIDAH", father_name="ARSYAD",
            address="JL. PASAR RT 002", rt="002", rw="001", desa_code="63.06.05.1001"))
    if len(planted) > 3:
        moved = planted[3]    # the register has another birth date than the village's list
        moved.birth_date = moved.birth_date.replace(day=1 if moved.birth_date.day != 1 else 2)
    return records
