"""The public status check (/status): receipt number + check code → only how far the documents
are and where to collect them. No personal data, and one answer for every wrong input.

    public_status(number, check_code) -> PublicStatus | None      # None: "does not match"
    read_status_input(number_text, check_text) -> (number, check code)   # typed, or the QR text
    derive_status(receipt) -> PublicStatus

Every lookup takes the same path whatever was typed: one query by number (also for a malformed
or unknown number) and a constant-time comparison of the check code (against a stand-in when
no receipt matched), so neither the answer nor its timing tells an unknown number from a wrong
code."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from webapp.intake import receipts
from webapp.intake.models import (AT_OFFICE, COLLECTED, ISSUED, PROCESSING, READY, RECEIPT_CANCELLED, REJECTED,
                                  Receipt)
from webapp.wilayah.services import village_label

RECEIVED = "diterima"
IN_PROCESS = "diproses"
READY_TO_COLLECT = "siap_diambil"
HANDED_OVER = "sudah_diambil"
NOT_VALID = "tidak_berlaku"
FOLLOW_UP = "tindak_lanjut"

STATUS_LABELS = {
    RECEIVED: _l("Diterima"),
    IN_PROCESS: _l("Diproses"),
    READY_TO_COLLECT: _l("Siap diambil"),
    HANDED_OVER: _l("Sudah diambil"),
    NOT_VALID: _l("Tidak berlaku"),
    FOLLOW_UP: _l("Perlu tindak lanjut: hubungi kantor"),
}
STATUS_TEXTS = {
    RECEIVED: _l("Berkas sudah diterima petugas dan menunggu diproses di kantor."),
    IN_PROCESS: _l("Dokumen sedang diproses di kantor Disdukcapil."),
    READY_TO_COLLECT: _l("Dokumen sudah selesai dan dapat diambil."),
    HANDED_OVER: _l("Dokumen sudah diserahkan."),
    NOT_VALID: _l("Tanda terima ini sudah dibatalkan dan tidak berlaku lagi."),
    FOLLOW_UP: _l("Permohonan tidak dapat diselesaikan. Silakan hubungi kantor Disdukcapil."),
}
NO_MATCH = _l("Nomor atau kode cek tidak cocok.")

# How far an application is, as the public sees it (rejected ones are counted apart).
_RANK_OF_STATUS = {AT_OFFICE: 1, PROCESSING: 1, ISSUED: 1, READY: 2, COLLECTED: 3}
_STATE_OF_RANK = {0: RECEIVED, 1: IN_PROCESS, 2: READY_TO_COLLECT, 3: HANDED_OVER}


@dataclass(frozen=True)
class PublicStatus:
    state: str
    number: str
    partly_ready: bool = False            # "sebagian siap diambil"
    some_need_follow_up: bool = False     # some applications were rejected
    collect_label: str | None = None
    expected_ready_on: date | None = None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.state])

    @property
    def text(self) -> str:
        return str(STATUS_TEXTS[self.state])


def read_status_input(number_text: str | None, check_text: str | None) -> tuple[str, str]:
    """What to look up: the QR text (pasted or scanned into either field) wins over the typed
    pair. A QR text that is not ours gives an empty number, which matches nothing."""
    for text in (number_text, check_text):
        if (text or "").strip().upper().startswith(receipts.QR_PREFIX + ":"):
            parsed = receipts.parse_qr_payload(text)
            return parsed if parsed else ("", "")
    return receipts.normalise_number(number_text), receipts.normalise_check_code(check_text)


def public_status(number: str | None, check_code: str | None) -> PublicStatus | None:
    """The receipt's public status, or None when the number and check code do not match."""
    receipt = receipts.find_receipt(number)
    if not receipts.check_code_matches(receipt, check_code):
        return None
    return derive_status(receipt)


def _collect_label(receipt: Receipt) -> str:
    if receipt.collect_at == "desa" and receipt.desa_code:
        return str(_l("Melalui kantor desa: %(desa)s", desa=village_label(receipt.desa_code)))
    return receipt.collect_label


def derive_status(receipt: Receipt) -> PublicStatus:
    """Cancelled → not valid; otherwise the least advanced of its applications (rejected ones
    apart: all rejected → follow up with the office)."""
    if receipt.status == RECEIPT_CANCELLED:
        return PublicStatus(NOT_VALID, receipt.number)
    statuses = [a.status for a in receipt.applications]
    going = [s for s in statuses if s != REJECTED]
    rejected = len(going) < len(statuses)
    if not going and rejected:
        return PublicStatus(FOLLOW_UP, receipt.number, some_need_follow_up=True)
    ranks = [_RANK_OF_STATUS.get(s, 0) for s in going] or [0]
    least = min(ranks)
    return PublicStatus(
        _STATE_OF_RANK[least], receipt.number,
        partly_ready=least < 2 and 2 in ranks,
        some_need_follow_up=rejected,
        collect_label=_collect_label(receipt) if least < 3 else None,
        expected_ready_on=receipt.expected_ready_on if least < 2 else None,
    )
