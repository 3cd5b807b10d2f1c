"""The pick-up desk (SOP: documents handed over): find the receipt, hand over what is ready,
close the receipt; a village's ready documents to its official in one go.

    find_for_desk(text) -> Receipt                  # typed number or the scanner's QR text
    find_lost_receipts(name, birth_date, desa_code, actor=) -> list[Receipt]
    hand_over(receipt, application_ids, Receiver, actor=) -> Handover
    ready_in_desa(desa_code) -> list[Application]; ready_counts_by_desa() -> [(desa_code, n)]
    bulk_hand_over(desa_code, application_ids, receiver_name=, receiver_position=, actor=) -> Handover

Every hand-over is all or nothing: one wrong item (not ready, not on the receipt, another
village's) refuses the whole of it with the reason next to the field."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz

from webapp.core.changes import audit, change_status, record_change
from webapp.core.counters import human_number
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.documents.models import RECEIVER_KINDS, Handover
from webapp.extensions import db
from webapp.identity import nik as nik_rules
from webapp.intake import receipts
from webapp.intake.models import (APPLICATION_WORKFLOW, COLLECTED, READY, RECEIPT_ACTIVE, RECEIPT_CANCELLED,
                                  RELATIONS, Application, Receipt)
from webapp.quality.services import normalise_name
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.wilayah.services import get_region, village_label

NAME_MATCH_SCORE = 80      # rapidfuzz token-sort ratio on normalised names (spelling variants)
MAX_LOST_RESULTS = 20
FAMILY_RELATIONS = {k: v for k, v in RELATIONS.items() if k not in ("sendiri", "aparat_desa")}


class PickupInputError(DomainError):
    """Several problems at once, each for its own field: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)
        self.errors = errors


@dataclass
class Receiver:
    """Who collects: the resident, a family member (with the relation) or the village's
    official (with the position). The NIK is optional."""

    kind: str
    name: str
    relation: str = ""
    nik: str = ""


@dataclass
class _Problems:
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message) -> None:
        self.errors.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise PickupInputError(self.errors)


# ---------------------------------------------------------------- finding the receipt

def find_for_desk(text: str | None) -> Receipt:
    """The receipt for what was typed in the desk's search field: a number, or the QR text a
    keyboard-wedge scanner types (KPTT:number:check). A QR whose check code does not match
    its number is refused as not genuine."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Ketik nomor tanda terima atau pindai QR-nya."), field="q")
    if text.upper().startswith(receipts.QR_PREFIX + ":"):
        parsed = receipts.parse_qr_payload(text)
        receipt = receipts.find_receipt(parsed[0] if parsed else "")
        if parsed is None or not receipts.check_code_matches(receipt, parsed[1]):
            raise DomainError(_l("QR tidak sah: isinya tidak cocok dengan tanda terima mana pun."), field="q")
        return receipt
    receipt = receipts.find_receipt(text)
    if receipt is None:
        raise DomainError(_l("Tanda terima %(n)s tidak ditemukan. Periksa nomornya, atau cari dengan nama, "
                             "tanggal lahir dan desa bila tanda terima hilang.", n=receipts.normalise_number(text)),
                          field="q")
    return receipt


def find_lost_receipts(name: str | None, birth_date: date | None, desa_code: str | None, *, actor) -> list[Receipt]:
    """Receipts (not cancelled) of a holder with this birth date and village whose name is
    close to the one typed (case, punctuation and small spelling differences ignored). Audited:
    the desk looks people up."""
    problems = _Problems()
    wanted = normalise_name(name)
    if not wanted:
        problems.add("name", _l("Isi nama pemegang tanda terima."))
    if birth_date is None:
        problems.add("birth_date", _l("Isi tanggal lahir."))
    if not desa_code:
        problems.add("desa_code", _l("Pilih desa."))
    elif not _is_village(desa_code):
        problems.add("desa_code", _l("Pilih desa dari daftar."))
    problems.raise_if_any()
    candidates = (Receipt.query.filter(Receipt.holder_birth_date == birth_date, Receipt.desa_code == desa_code,
                                       Receipt.status != RECEIPT_CANCELLED)
                  .order_by(Receipt.issued_at.desc()).limit(200).all())
    found = [r for r in candidates if _name_score(wanted, r.holder_name) >= NAME_MATCH_SCORE][:MAX_LOST_RESULTS]
    audit("search", actor=actor, entity_type="receipt",
          summary=f"Cari tanda terima hilang (nama, tanggal lahir, {village_label(desa_code)}): {len(found)} hasil")
    return found


def _is_village(desa_code: str) -> bool:
    region = get_region(desa_code[:20])
    return region is not None and region.is_village


def _name_score(wanted: str, holder_name: str | None) -> float:
    return fuzz.token_sort_ratio(wanted, normalise_name(holder_name))


# ---------------------------------------------------------------- handing over

def ready_applications(receipt: Receipt) -> list[Application]:
    return [a for a in receipt.applications if a.status == READY]


def _read_receiver(receiver: Receiver, problems: _Problems) -> Receiver:
    cleaned = Receiver(kind=(receiver.kind or "").strip(), name=" ".join((receiver.name or "").split()),
                       relation=(receiver.relation or "").strip(), nik=nik_rules.normalise(receiver.nik or ""))
    if cleaned.kind not in RECEIVER_KINDS:
        problems.add("receiver_kind", _l("Pilih siapa yang mengambil dokumen."))
    if not cleaned.name:
        problems.add("receiver_name", _l("Isi nama penerima dokumen."))
    elif len(cleaned.name) > 120:
        problems.add("receiver_name", _l("Nama penerima terlalu panjang (paling banyak 120 huruf)."))
    if cleaned.kind == "keluarga" and cleaned.relation not in FAMILY_RELATIONS:
        problems.add("receiver_relation", _l("Pilih hubungan keluarga penerima dengan pemohon."))
    if cleaned.kind == "aparat_desa" and not cleaned.relation:
        problems.add("receiver_relation", _l("Isi jabatan aparat desa yang menerima."))
    if len(cleaned.relation) > 60:
        problems.add("receiver_relation", _l("Terlalu panjang (paling banyak 60 huruf)."))
    if cleaned.nik:
        check = nik_rules.check_nik(cleaned.nik)
        if not check.valid:
            problems.add("receiver_nik", check.errors[0].message)
    return cleaned


def _chosen(applications: list[Application], application_ids, problems: _Problems,
            not_listed_message) -> list[Application]:
    by_id = {str(a.id): a for a in applications}
    wanted = list(dict.fromkeys(str(i) for i in application_ids or [] if str(i).strip()))
    if not wanted:
        problems.add("applications", _l("Pilih dokumen yang diserahkan."))
        return []
    chosen = []
    for key in wanted:
        application = by_id.get(key)
        if application is None:
            problems.add("applications", not_listed_message)
        elif application.status != READY:
            problems.add("applications", _l("%(doc)s untuk %(name)s belum siap diambil (%(status)s).",
                                            doc=application.label, name=application.subject_name,
                                            status=application.status_label))
        else:
            chosen.append(application)
    return chosen


def _record_handover(applications: list[Application], receiver: Receiver, *, desa_code: str | None, actor,
                     at: datetime | None, note: str | None = None) -> Handover:
    for trip_id in {a.trip_id for a in applications}:
        trip_checkout.ensure_editable_at_office(trip_id)
    at = at or utcnow()
    handover = Handover(
        number=human_number("ST", "handover"), receiver_kind=receiver.kind, receiver_name=receiver.name,
        receiver_relation=receiver.relation or None, receiver_id_number=receiver.nik or None,
        desa_code=desa_code, document_count=len(applications), actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "system"), at=at, note=note)
    db.session.add(handover)
    record_change(handover, "create", actor=actor,
                  summary=f"{handover.number}: {len(applications)} dokumen kepada {receiver.name} "
                          f"({handover.receiver_label}{', NIK ' + nik_rules.mask(receiver.nik) if receiver.nik else ''})")
    for application in applications:
        change_status(application, COLLECTED, actor=actor, workflow=APPLICATION_WORKFLOW, at=at,
                      note=f"Serah terima {handover.number}", audit=False)
        application.handover_id = handover.id
    db.session.flush()
    receipt_ids = {a.receipt_id for a in applications if a.receipt_id}
    for receipt in Receipt.query.filter(Receipt.id.in_(receipt_ids)).all() if receipt_ids else []:
        receipts.close_receipt_if_done(receipt, actor=actor, at=at)
    db.session.flush()
    return handover


def hand_over(receipt: Receipt, application_ids, receiver: Receiver, *, actor,
              at: datetime | None = None) -> Handover:
    """Hand over the chosen ready documents of one receipt; the receipt closes when every
    application on it is handed over or rejected."""
    problems = _Problems()
    if receipt.status != RECEIPT_ACTIVE:
        raise DomainError(_l("Tanda terima ini berstatus %(s)s: tidak ada yang dapat diserahkan.",
                             s=receipt.status_label), field="applications")
    cleaned = _read_receiver(receiver, problems)
    chosen = _chosen(receipt.applications, application_ids, problems,
                     _l("Dokumen yang dipilih tidak tercantum di tanda terima ini."))
    problems.raise_if_any()
    return _record_handover(chosen, cleaned, desa_code=receipt.desa_code, actor=actor, at=at,
                            note=f"Tanda terima {receipt.number}")


# ---------------------------------------------------------------- a village's documents

def _ready_in_desa_query(desa_code: str | None):
    return (Application.query.join(Receipt, Application.receipt_id == Receipt.id)
            .filter(Application.status == READY, Receipt.status == RECEIPT_ACTIVE, Receipt.desa_code == desa_code))


def ready_in_desa(desa_code: str | None) -> list[Application]:
    """Ready documents of a village's receipts (collected at the office or through the village)."""
    return _ready_in_desa_query(desa_code).order_by(Receipt.number, Application.created_at).all()


def ready_counts_by_desa() -> list[tuple[str, int]]:
    rows = (db.session.query(Receipt.desa_code, db.func.count(Application.id))
            .join(Application, Application.receipt_id == Receipt.id)
            .filter(Application.status == READY, Receipt.status == RECEIPT_ACTIVE, Receipt.desa_code.isnot(None))
            .group_by(Receipt.desa_code).all())
    return sorted(((code, n) for code, n in rows), key=lambda row: village_label(row[0]))


def bulk_hand_over(desa_code: str, application_ids, *, receiver_name: str | None, receiver_position: str | None,
                   receiver_nik: str | None = None, actor, at: datetime | None = None) -> Handover:
    """The village's official takes the chosen ready documents for the whole village: one
    hand-over with a list to sign."""
    problems = _Problems()
    cleaned = _read_receiver(Receiver("aparat_desa", receiver_name or "", receiver_position or "",
                                      receiver_nik or ""), problems)
    chosen = _chosen(ready_in_desa(desa_code), application_ids, problems,
                     _l("Dokumen yang dipilih bukan dokumen siap diambil desa ini (mungkin sudah diserahkan)."))
    problems.raise_if_any()
    return _record_handover(chosen, cleaned, desa_code=desa_code, actor=actor, at=at,
                            note=f"Penyerahan kolektif {village_label(desa_code)}")


# ---------------------------------------------------------------- reading a hand-over

def get_handover(handover_id) -> Handover | None:
    return db.session.get(Handover, handover_id)


def handover_applications(handover: Handover) -> list[tuple[Application, Receipt | None]]:
    applications = (Application.query.filter_by(handover_id=handover.id)
                    .order_by(Application.receipt_id, Application.created_at).all())
    receipt_ids = {a.receipt_id for a in applications if a.receipt_id}
    by_id = {r.id: r for r in Receipt.query.filter(Receipt.id.in_(receipt_ids)).all()} if receipt_ids else {}
    return [(a, by_id.get(a.receipt_id)) for a in applications]


def parse_ids(values) -> list[str]:
    """Application ids from a form (checkbox values); what is not a UUID is dropped."""
    found = []
    for value in values or []:
        try:
            found.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return found
