"""Demo data: a synthetic register of ~3,000 residents of HSS imported through the real
pipeline, scanned, and cases in every status (open, submitted to the centre, resolved,
rejected, one duplicate pair decided "bukan ganda")."""
from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import select

from webapp.core.changes import StatusHistory
from webapp.core.timefmt import wita_today
from webapp.core.db import utcnow
from webapp.demo import demo_loader
from webapp.extensions import db
from webapp.quality import importer, services
from webapp.quality.models import QualityCase, RegisterImport
from webapp.quality.records import PersonRecord

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


# Other domains' demo residents belong in the demo register too: the requests demo adds the
# villagers on its lists, so the pre-trip check finds most of them. Quality imports no domain
# that uses it; they register a source here (called with the first free row number).
_REGISTER_SOURCES: list[Callable[[int], list[PersonRecord]]] = []


def demo_register_records(source: Callable[[int], list[PersonRecord]]):
    if source not in _REGISTER_SOURCES:
        _REGISTER_SOURCES.append(source)
    return source


def _records_from_other_domains(first_ref: int) -> list[PersonRecord]:
    records: list[PersonRecord] = []
    for source in _REGISTER_SOURCES:
        records += source(first_ref + len(records))
    return records


@demo_loader(order=40)
def load_quality_demo() -> list[str]:
    done = db.session.execute(select(RegisterImport).where(
        RegisterImport.filename == DEMO_FILENAME, RegisterImport.status == "selesai")).scalar()
    if done is not None:
        return [f"Kualitas data: register demo sudah ada ({done.rows_read} penduduk)."]
    from webapp.synthetic import generate_register, write_siak_csv

    register = generate_register(DEMO_SIZE, seed=DEMO_SEED)
    villagers = _records_from_other_domains(len(register.records) + 1)
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
    today = wita_today()
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
