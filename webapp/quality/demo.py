"""Demo data: a synthetic register of ~3,000 residents of HSS imported through the real
pipeline, scanned, and cases in every status (open, submitted to the centre, resolved,
rejected, one duplicate pair decided "bukan ganda")."""
from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from webapp.core.changes import StatusHistory
from webapp.core.db import utcnow
from webapp.demo import demo_loader
from webapp.extensions import db
from webapp.quality import importer, services
from webapp.quality.models import QualityCase, RegisterImport

DEMO_FILENAME = "ekspor-siak-hss-demo.csv"
DEMO_SIZE = 3_000
DEMO_SEED = 2026


def _actor(username: str, role: str):
    from webapp.auth.services import find_by_username
    user = find_by_username(username)
    if user is not None:
        return SimpleNamespace(id=user.id, username=user.username, role=user.role, is_authenticated=True)
    return SimpleNamespace(id=None, username="demo", role=role, is_authenticated=True)


def _cases(kind: str, status: str = "terbuka") -> list[QualityCase]:
    return list(db.session.execute(select(QualityCase).where(QualityCase.kind == kind, QualityCase.status == status)
                                   .order_by(QualityCase.severity, QualityCase.number)).scalars())


def _age(case: QualityCase, days: int) -> None:
    """Spread the demo cases over the last weeks so their age means something."""
    opened = utcnow() - timedelta(days=days, hours=3)
    case.created_at = opened
    for row in db.session.execute(select(StatusHistory).where(
            StatusHistory.entity_type == "quality_case", StatusHistory.entity_id == case.id,
            StatusHistory.from_status.is_(None))).scalars():
        row.at = opened


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
    from webapp.quality.records import PersonRecord
    from webapp.requests.demo import make_nik

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


def _request_residents_as_records(first_ref: int) -> list:
    """The demo villages' residents belong in the demo register too, so the pre-trip check
    finds most of them; two are planted with problems the check must catch: one NIK that a
    second person also carries (blocked until the centre verifies) and one whose register
    birth date differs from the village's list (a warning)."""
    import random

    from webapp.quality.records import PersonRecord
    from webapp.requests.demo import DEMO_REQUESTS_FOR_TRIPS
    from webapp.requests.models import RequestResident, VillageRequest

    rng = random.Random(DEMO_SEED)
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
        age = (date.today() - resident.birth_date).days // 365
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


@demo_loader(order=40)
def load_quality_demo() -> list[str]:
    done = db.session.execute(select(RegisterImport).where(
        RegisterImport.filename == DEMO_FILENAME, RegisterImport.status == "selesai")).scalar()
    if done is not None:
        return [f"Kualitas data: register demo sudah ada ({done.rows_read} penduduk)."]
    from webapp.quality.synthetic import generate_register, write_siak_csv

    register = generate_register(DEMO_SIZE, seed=DEMO_SEED)
    villagers = _request_residents_as_records(len(register.records) + 1)
    taken_nik = {r.nik for r in villagers}
    taken_kk = {r.no_kk for r in villagers}
    # The synthetic register and the demo villages number NIKs and KKs the same way: keep the
    # villagers' own and drop synthetic namesakes, so no accidental "shared NIK" appears.
    records = [r for r in register.records if r.nik not in taken_nik and r.no_kk not in taken_kk] + villagers
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DEMO_FILENAME
        write_siak_csv(records, path)
        kabid = _actor("kabid.dafduk", "kabid_dafduk")
        outcome = importer.import_file(path, actor=None)
    if outcome.status != "selesai":
        return [f"Kualitas data: impor demo gagal: {outcome.error}"]

    operator = _actor("operator", "operator")
    today = date.today()
    anomalies = _cases("anomali")
    duplicates = _cases("ganda")
    for days, case in zip(range(45, 0, -1), anomalies[:40] + duplicates[:10]):
        _age(case, days)
    for number, case in zip(("VER/DUKCAPIL/2026/11/0143", "VER/DUKCAPIL/2026/11/0151",
                             "VER/DUKCAPIL/2026/11/0162", "VER/DUKCAPIL/2026/11/0170"), anomalies[:4]):
        services.submit_case(case, reference_number=number, reference_date=today - timedelta(days=3),
                             actor=kabid, note="Dikirim melalui surel verifikasi Ditjen Dukcapil")
    services.resolve_case(anomalies[2], note="Hasil verifikasi pusat: data dibetulkan di SIAK.", actor=operator)
    services.reject_case(anomalies[3], reason="Pusat: data sudah sesuai dokumen, tidak perlu perbaikan.",
                         actor=kabid)
    services.resolve_case(anomalies[4], note="Dibetulkan langsung di SIAK oleh operator (salah ketik nama).",
                          actor=operator)
    if duplicates:
        services.decide_duplicate(duplicates[0], decision="bukan_ganda", actor=kabid,
                                  reason="Dua orang berbeda: kembar, dicek dengan akta kelahiran masing-masing.")
    if len(duplicates) > 1:
        keep = duplicates[1].person_keys[0]
        services.decide_duplicate(duplicates[1], decision="ganda", kept_person_key=keep, actor=kabid,
                                  reason="Orang yang sama: NIK kedua dari pendaftaran ulang tahun 2019.")
        services.submit_case(duplicates[1], reference_number="VER/DUKCAPIL/2026/11/0177",
                             reference_date=today - timedelta(days=1), actor=kabid,
                             note="Permohonan hapus rekaman ganda")
    db.session.flush()
    counts = services.case_counts()
    return [f"Kualitas data: register demo {outcome.rows_read} penduduk diimpor "
            f"({outcome.import_seconds} s, pindai {outcome.scan_seconds} s); kasus: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))]
