"""Device results the web app keeps, and the receipt as the agent prints it.

    record_card_reading(application, reader=, atr=, uid=, actor=) -> CardReading
    card_readings(application_id) -> [CardReading]     (newest first)
    printable_receipt(receipt) -> dict                  (docs/agent-protocol.md, printer.print)

Nothing here commits (the request's unit of work does)."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.core.changes import record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.timefmt import format_date, to_wita
from webapp.core.validation import clean_text
from webapp.devices.models import CardReading
from webapp.extensions import db
from webapp.identity.nik import mask
from webapp.intake import receipts
from webapp.intake.models import DRAFT, RECEIPT_CANCELLED, Application, Receipt
from webapp.sync import checkout as trip_checkout   # the office refuses edits while a trip is on the bus
from webapp.wilayah.services import village_label

MAX_READER = 120
# An ATR is 2 to 33 bytes; a UID (GET DATA) 4, 7 or 10 bytes, some readers give up to 32.
ATR_BYTES = (2, 33)
UID_BYTES = (1, 32)
_HEX_SEPARATORS = re.compile(r"[\s:.-]")
_HEX = re.compile(r"[0-9A-F]*")


def _hex(value, field: str, *, required: bool, size: tuple[int, int]) -> str | None:
    text = _HEX_SEPARATORS.sub("", str(value or "")).upper()
    if not text:
        if required:
            raise DomainError(_l("Wajib diisi."), field=field)
        return None
    low, high = size
    if not _HEX.fullmatch(text) or len(text) % 2 or not low <= len(text) // 2 <= high:
        raise DomainError(_l("Bukan data kartu yang sah (heksadesimal %(a)d–%(b)d bita).", a=low, b=high),
                          field=field)
    return text


def record_card_reading(application: Application, *, reader, atr, uid=None, actor) -> CardReading:
    """Note on the application that a KTP-el was presented (while it is being taken: draf)."""
    trip_checkout.ensure_editable_at_office(application.trip_id)
    if application.status != DRAFT:
        raise DomainError(_l("Permohonan berstatus %(s)s tidak dapat diubah.", s=application.status_label))
    reading = CardReading(
        application_id=application.id,
        reader=clean_text(reader, "reader", required=True, limit=MAX_READER),
        atr=_hex(atr, "atr", required=True, size=ATR_BYTES),
        uid=_hex(uid, "uid", required=False, size=UID_BYTES),
        at=utcnow(), actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", "system"),
    )
    db.session.add(reading)
    record_change(reading, "create", actor=actor, summary=f"{application.label}: KTP-el dibaca ({reading.reader})")
    db.session.flush()
    return reading


def card_readings(application_id) -> list[CardReading]:
    return list(db.session.execute(select(CardReading).where(CardReading.application_id == application_id)
                                   .order_by(CardReading.at.desc(), CardReading.id)).scalars())


# --- the receipt for the thermal printer -----------------------------------------------------------------

def _service_text(application: Application) -> str:
    if application.relation == "sendiri":
        return application.label
    return _("%(s)s — untuk %(n)s", s=application.label, n=application.subject_name)


def _status_line() -> str:
    url = current_app.config.get("PUBLIC_STATUS_URL")
    if url:
        return _("Cek status dokumen di %(url)s dengan nomor dan kode cek di atas.", url=url)
    return _("Cek status dokumen dengan nomor dan kode cek di atas.")


def printable_receipt(receipt: Receipt) -> dict | None:
    """The structured receipt `printer.print` takes (masked NIK only); None for a cancelled one."""
    if receipt.status == RECEIPT_CANCELLED:
        return None
    collect = receipt.collect_label
    if receipt.collect_at == "desa" and receipt.desa_code:
        collect = f"{collect}: {village_label(receipt.desa_code)}"
    return {
        "title": _("TANDA TERIMA BERKAS"),
        "office": _("Disdukcapil Kab. Hulu Sungai Selatan"),
        "number": receipt.number,
        "check_code": receipt.check_code,
        "date": to_wita(receipt.issued_at).strftime("%d-%m-%Y %H:%M") + " WITA",
        "name": receipt.holder_name,
        "nik_masked": mask(receipt.holder_nik),
        "services": [_service_text(a) for a in receipts.applications_on(receipt)],
        "ready_date": format_date(receipt.expected_ready_on, True) if receipt.expected_ready_on else "—",
        "collect_at": collect,
        "qr": receipts.qr_payload(receipt),
        "lines": [_("Simpan tanda terima ini dan bawa saat mengambil dokumen."), _status_line()],
        "copy": receipt.print_count or None,
    }
