"""Equipment register and blank stock ledger. Plain arguments in; DomainError (Indonesian) out.

Stock API (callers compose these in their one transaction; nothing here commits):
    balances() -> dict[str, int]; balance(code) -> int
    receive(code, quantity, *, actor, reason) -> StockMovement
    issue_to_trip(code, quantity, *, trip_id, actor, reason) -> StockMovement
    record_use / record_spoiled(code, quantity, *, trip_id, actor, reason) -> StockMovement
    return_from_trip(code, quantity, *, trip_id, actor, reason) -> StockMovement
    adjust(code, delta, *, actor, reason) -> StockMovement
    trip_stock(trip_id) -> dict[str, TripStock]; movements(stock_code=None, trip_id=None, page=1, kind=None)

The warehouse balance only ever changes through one conditional UPDATE
(`quantity = quantity - :q WHERE quantity >= :q`), so two concurrent issues cannot drive it
negative whatever the isolation level; the CHECK constraint is the last line of defence.
Operations on stock already out with a trip (use, spoil, return) first take the balance row's
write lock (a no-op UPDATE), so their "no more than is outstanding" check is serialised too."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.core.changes import record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.paging import Page, paginate
from webapp.core.validation import clean_text
from webapp.extensions import db
from webapp.inventory.models import CONDITIONS, EquipmentItem, StockBalance, StockMovement
from webapp.layanan.catalog import EQUIPMENT_KINDS, STOCK_ITEMS

MAX_QUANTITY = 100_000
MAX_REASON = 500
PAGE_SIZE = 50

CONDITION_LABELS = {
    "baik": _l("Baik"),
    "rusak_ringan": _l("Rusak ringan"),
    "rusak_berat": _l("Rusak berat"),
}
MOVEMENT_LABELS = {
    "receipt": _l("Penerimaan"),
    "issue": _l("Dibawa perjalanan"),
    "use": _l("Terpakai"),
    "spoil": _l("Rusak/gagal cetak"),
    "return": _l("Kembali dari perjalanan"),
    "adjust": _l("Koreksi stok"),
}


# --------------------------------------------------------------------------- stock helpers

def stock_label(code: str) -> str:
    return str(STOCK_ITEMS[code][0]) if code in STOCK_ITEMS else code


def stock_unit(code: str) -> str:
    return STOCK_ITEMS[code][1] if code in STOCK_ITEMS else ""


def stock_choices() -> list[tuple[str, str]]:
    return [(code, f"{label} ({unit})") for code, (label, unit) in STOCK_ITEMS.items()]


def _amount(code: str, quantity: int) -> str:
    return f"{quantity:,}".replace(",", ".") + f" {stock_unit(code)}"


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")     # "1.000" as Indonesians write it


def parse_quantity(raw, *, field: str = "quantity", signed: bool = False) -> int:
    """A whole number of pieces from a form or a caller: 1…100.000 (or ±, never 0, if signed)."""
    if isinstance(raw, bool) or isinstance(raw, float):
        raise DomainError(_l("Jumlah harus bilangan bulat, misalnya 20."), field=field)
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw if raw is not None else "").strip().replace(" ", "")
        if not text:
            raise DomainError(_l("Isi jumlah."), field=field)
        if _THOUSANDS.match(text):
            text = text.replace(".", "")
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            raise DomainError(_l("Jumlah harus bilangan bulat, misalnya 20."), field=field)
        number = int(text)
    if signed:
        if number == 0:
            raise DomainError(_l("Koreksi tidak boleh 0."), field=field)
        if abs(number) > MAX_QUANTITY:
            raise DomainError(_l("Koreksi paling banyak %(n)s.", n="100.000"), field=field)
        return number
    if number <= 0:
        raise DomainError(_l("Jumlah harus lebih dari 0."), field=field)
    if number > MAX_QUANTITY:
        raise DomainError(_l("Jumlah paling banyak %(n)s.", n="100.000"), field=field)
    return number


def _check_code(code: str) -> str:
    if code not in STOCK_ITEMS:
        raise DomainError(_l("Jenis stok tidak dikenal."), field="stock_code")
    return code


def _check_reason(reason) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_l("Isi alasan atau dasar mutasi (misalnya nomor berita acara)."), field="reason")
    if len(text) > MAX_REASON:
        raise DomainError(_l("Alasan terlalu panjang: maksimal %(n)d karakter.", n=MAX_REASON), field="reason")
    return text


def _check_trip(trip_id) -> uuid.UUID:
    if trip_id is None:
        raise DomainError(_l("Perjalanan wajib disebutkan."), field="trip_id")
    try:
        return trip_id if isinstance(trip_id, uuid.UUID) else uuid.UUID(str(trip_id))
    except ValueError:
        raise DomainError(_l("Perjalanan tidak dikenal."), field="trip_id") from None


def _ensure_row(code: str) -> None:
    """Create the balance row at 0 if missing (safe when two sessions do it at once)."""
    table = StockBalance.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases are not supported
        if balance(code) is None:
            db.session.execute(table.insert().values(stock_code=code, quantity=0))
        return
    db.session.execute(insert(table).values(stock_code=code, quantity=0).on_conflict_do_nothing())


def _take(code: str, quantity: int) -> bool:
    """The one conditional UPDATE: False when the warehouse holds less than `quantity`."""
    table = StockBalance.__table__
    result = db.session.execute(
        update(table).where(table.c.stock_code == code, table.c.quantity >= quantity)
        .values(quantity=table.c.quantity - quantity))
    return result.rowcount == 1


def _put(code: str, quantity: int) -> None:
    _ensure_row(code)
    table = StockBalance.__table__
    db.session.execute(update(table).where(table.c.stock_code == code)
                       .values(quantity=table.c.quantity + quantity))


def _lock(code: str) -> None:
    """Take the balance row's write lock for the rest of the transaction (PostgreSQL row
    lock; SQLite database write lock) so checks on trip stock are serialised."""
    _ensure_row(code)
    table = StockBalance.__table__
    db.session.execute(update(table).where(table.c.stock_code == code).values(quantity=table.c.quantity))


def _trip_number(trip_id) -> str:
    """The number people use (TRP-OFFICE-000012) for the audit summary, not the row's UUID."""
    from webapp.trips.models import Trip
    return db.session.scalar(select(Trip.number).where(Trip.id == trip_id)) or str(trip_id)[:8]


def trip_numbers(movements) -> dict:
    """{trip id: trip number} for the movements of one page (one query)."""
    from webapp.trips.models import Trip
    ids = {m.trip_id for m in movements if m.trip_id}
    return dict(db.session.execute(select(Trip.id, Trip.number).where(Trip.id.in_(list(ids)))).all()) if ids else {}


def _movement(code: str, kind: str, quantity: int, delta: int, *, actor, reason: str,
              trip_id: uuid.UUID | None) -> StockMovement:
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    actor_name = getattr(actor, "username", None) if actor_id else "system"
    movement = StockMovement(stock_code=code, kind=kind,
                             quantity=quantity, balance_delta=delta, trip_id=trip_id, actor_id=actor_id,
                             actor_name=actor_name or "system", reason=reason, at=utcnow())
    db.session.add(movement)
    trip = f" (perjalanan {_trip_number(trip_id)})" if trip_id else ""
    record_change(movement, "create", actor=actor,
                  summary=f"{stock_label(code)}: {MOVEMENT_LABELS[kind]} {_amount(code, quantity)}{trip} — {reason[:120]}",
                  data={"stock_code": code, "kind": kind, "quantity": quantity, "balance_delta": delta})
    db.session.flush()
    return movement


def _shortfall(code: str, quantity: int) -> DomainError:
    return DomainError(_l("Stok %(item)s tidak cukup: sisa %(left)s, diminta %(asked)s.", item=stock_label(code),
                          left=_amount(code, balance(code)), asked=f"{quantity:,}".replace(",", ".")),
                       field="quantity")


# --------------------------------------------------------------------------- stock API

def balance(code: str) -> int:
    value = db.session.execute(select(StockBalance.quantity).where(StockBalance.stock_code == code)).scalar()
    return int(value or 0)


def balances() -> dict[str, int]:
    rows = dict(db.session.execute(select(StockBalance.stock_code, StockBalance.quantity)).all())
    return {code: int(rows.get(code, 0)) for code in STOCK_ITEMS}


def receive(stock_code: str, quantity, *, actor, reason: str) -> StockMovement:
    """Stock arrives at the office warehouse (e.g. distribution from Ditjen Dukcapil)."""
    code, qty, why = _check_code(stock_code), parse_quantity(quantity), _check_reason(reason)
    _put(code, qty)
    return _movement(code, "receipt", qty, qty, actor=actor, reason=why, trip_id=None)


def issue_to_trip(stock_code: str, quantity, *, trip_id, actor, reason: str) -> StockMovement:
    code, qty, why = _check_code(stock_code), parse_quantity(quantity), _check_reason(reason)
    trip = _check_trip(trip_id)
    if not _take(code, qty):
        raise _shortfall(code, qty)
    return _movement(code, "issue", qty, -qty, actor=actor, reason=why, trip_id=trip)


def _trip_out(code: str, trip_id: uuid.UUID, qty: int, kind: str, *, actor, reason: str,
              back_to_warehouse: bool) -> StockMovement:
    _lock(code)
    left = trip_stock(trip_id).get(code, TripStock()).outstanding
    if qty > left:
        raise DomainError(_l("%(item)s yang masih dibawa perjalanan ini tinggal %(left)s; tidak dapat mencatat %(asked)s.",
                             item=stock_label(code), left=_amount(code, left), asked=_amount(code, qty)),
                          field="quantity")
    if back_to_warehouse:
        _put(code, qty)
    return _movement(code, kind, qty, qty if back_to_warehouse else 0, actor=actor, reason=reason,
                     trip_id=trip_id)


def _use_or_spoil(kind: str, stock_code: str, quantity, *, trip_id, actor, reason: str) -> StockMovement:
    code, qty, why = _check_code(stock_code), parse_quantity(quantity), _check_reason(reason)
    if trip_id is None:   # used or spoiled at the office desk: straight from the warehouse
        if not _take(code, qty):
            raise _shortfall(code, qty)
        return _movement(code, kind, qty, -qty, actor=actor, reason=why, trip_id=None)
    return _trip_out(code, _check_trip(trip_id), qty, kind, actor=actor, reason=why,
                     back_to_warehouse=False)


def record_use(stock_code: str, quantity, *, trip_id, actor, reason: str) -> StockMovement:
    """Blanks used for finished documents: on a trip (from what it carries) or, with
    trip_id=None, at the office (from the warehouse)."""
    return _use_or_spoil("use", stock_code, quantity, trip_id=trip_id, actor=actor, reason=reason)


def record_spoiled(stock_code: str, quantity, *, trip_id, actor, reason: str) -> StockMovement:
    """Blanks spoiled (failed print, damaged): same rules as record_use."""
    return _use_or_spoil("spoil", stock_code, quantity, trip_id=trip_id, actor=actor, reason=reason)


def return_from_trip(stock_code: str, quantity, *, trip_id, actor, reason: str) -> StockMovement:
    """Unused blanks back to the warehouse: at most issued − used − spoiled − returned."""
    code, qty, why = _check_code(stock_code), parse_quantity(quantity), _check_reason(reason)
    return _trip_out(code, _check_trip(trip_id), qty, "return", actor=actor, reason=why,
                     back_to_warehouse=True)


def adjust(stock_code: str, delta, *, actor, reason: str) -> StockMovement:
    """A stock count correction (stock opname): ± delta, never below 0."""
    code, change, why = _check_code(stock_code), parse_quantity(delta, signed=True), _check_reason(reason)
    if change > 0:
        _put(code, change)
    elif not _take(code, -change):
        raise DomainError(_l("Koreksi tidak boleh membuat stok %(item)s minus: sisa %(left)s, koreksi −%(asked)s.",
                             item=stock_label(code), left=_amount(code, balance(code)), asked=_amount(code, -change)),
                          field="quantity")
    return _movement(code, "adjust", abs(change), change, actor=actor, reason=why, trip_id=None)


@dataclass(frozen=True)
class TripStock:
    issued: int = 0
    used: int = 0
    spoiled: int = 0
    returned: int = 0

    @property
    def outstanding(self) -> int:
        """Still with the trip: issued − used − spoiled − returned."""
        return self.issued - self.used - self.spoiled - self.returned


def trip_stock(trip_id) -> dict[str, TripStock]:
    """Per stock code, what this trip took, used, spoiled and brought back."""
    try:
        trip = trip_id if isinstance(trip_id, uuid.UUID) else uuid.UUID(str(trip_id))
    except ValueError:
        return {}
    def total(kind):
        return func.coalesce(func.sum(case((StockMovement.kind == kind, StockMovement.quantity), else_=0)), 0)
    rows = db.session.execute(
        select(StockMovement.stock_code, total("issue"), total("use"), total("spoil"), total("return"))
        .where(StockMovement.trip_id == trip).group_by(StockMovement.stock_code)).all()
    return {code: TripStock(int(i), int(u), int(s), int(r)) for code, i, u, s, r in rows}


def movements(stock_code: str | None = None, trip_id=None, page: int = 1, *, kind: str | None = None) -> Page:
    stmt = select(StockMovement).order_by(StockMovement.at.desc(), StockMovement.id.desc())
    if stock_code:
        stmt = stmt.where(StockMovement.stock_code == stock_code)
    if kind:
        stmt = stmt.where(StockMovement.kind == kind)
    if trip_id:
        try:
            trip = trip_id if isinstance(trip_id, uuid.UUID) else uuid.UUID(str(trip_id))
        except ValueError:
            return Page.empty(PAGE_SIZE)
        stmt = stmt.where(StockMovement.trip_id == trip)
    return paginate(stmt, page=min(int(page or 1), 10_000), per_page=PAGE_SIZE, count=False)


# --------------------------------------------------------------------------- equipment

_INVENTORY_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9./_-]*$")


@dataclass
class EquipmentFilters:
    q: str = ""
    kind: str = ""
    condition: str = ""
    in_service: str = ""     # "", "ya", "tidak"

    @classmethod
    def from_args(cls, args) -> "EquipmentFilters":
        kind = args.get("kind", "")
        condition = args.get("condition", "")
        in_service = args.get("in_service", "")
        return cls(q=args.get("q", "").strip()[:60], kind=kind if kind in EQUIPMENT_KINDS else "",
                   condition=condition if condition in CONDITIONS else "",
                   in_service=in_service if in_service in ("ya", "tidak") else "")


def list_equipment(filters: EquipmentFilters | None = None) -> list[EquipmentItem]:
    filters = filters or EquipmentFilters()
    stmt = select(EquipmentItem).order_by(EquipmentItem.kind, EquipmentItem.inventory_number)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(EquipmentItem.inventory_number).like(like),
                              func.lower(EquipmentItem.name).like(like),
                              func.lower(EquipmentItem.serial_number).like(like)))
    if filters.kind:
        stmt = stmt.where(EquipmentItem.kind == filters.kind)
    if filters.condition:
        stmt = stmt.where(EquipmentItem.condition == filters.condition)
    if filters.in_service:
        stmt = stmt.where(EquipmentItem.in_service.is_(filters.in_service == "ya"))
    return list(db.session.execute(stmt).scalars())


def get_equipment(item_id) -> EquipmentItem | None:
    try:
        return db.session.get(EquipmentItem, item_id if isinstance(item_id, uuid.UUID) else uuid.UUID(str(item_id)))
    except ValueError:
        return None




def _equipment_values(*, inventory_number, kind, name, serial_number, condition, in_service, notes,
                      exclude_id=None) -> dict:
    number = (clean_text(inventory_number, "inventory_number", required=True, limit=40) or "").upper()
    if not _INVENTORY_NUMBER.match(number):
        raise DomainError(_l("Nomor inventaris hanya boleh huruf, angka, titik, garis miring (/), "
                             "garis bawah, dan tanda hubung; contoh KP/LT/2023/001."), field="inventory_number")
    stmt = select(EquipmentItem.id).where(func.upper(EquipmentItem.inventory_number) == number)
    if exclude_id is not None:
        stmt = stmt.where(EquipmentItem.id != exclude_id)
    if db.session.execute(stmt).first():
        raise DomainError(_l("Nomor inventaris %(n)s sudah dipakai peralatan lain.", n=number),
                          field="inventory_number")
    if kind not in EQUIPMENT_KINDS:
        raise DomainError(_l("Pilih jenis peralatan."), field="kind")
    if condition not in CONDITIONS:
        raise DomainError(_l("Pilih kondisi peralatan."), field="condition")
    if condition == "rusak_berat" and in_service:
        raise DomainError(_l("Peralatan rusak berat tidak dapat dinyatakan siap pakai."), field="in_service")
    return {"inventory_number": number, "kind": kind,
            "name": clean_text(name, "name", required=True, limit=120),
            "serial_number": clean_text(serial_number, "serial_number", required=False, limit=80),
            "condition": condition, "in_service": bool(in_service),
            "notes": clean_text(notes, "notes", required=False, limit=2000)}


def _flush_or_duplicate() -> None:
    """The unique index decides under concurrency; the caller rolls back on the DomainError."""
    try:
        db.session.flush()
    except IntegrityError:
        raise DomainError(_l("Nomor inventaris sudah dipakai peralatan lain."), field="inventory_number") from None


def create_equipment(*, inventory_number: str, kind: str, name: str, serial_number: str | None = None,
                     condition: str = "baik", in_service: bool = True, notes: str | None = None,
                     actor=None) -> EquipmentItem:
    values = _equipment_values(inventory_number=inventory_number, kind=kind, name=name,
                               serial_number=serial_number, condition=condition, in_service=in_service, notes=notes)
    item = EquipmentItem(**values)
    db.session.add(item)
    record_change(item, "create", actor=actor, summary=f"{item.inventory_number} {item.name}")
    _flush_or_duplicate()
    db.session.flush()
    return item


def update_equipment(item: EquipmentItem, *, actor, **fields) -> EquipmentItem:
    values = _equipment_values(exclude_id=item.id, **fields)
    changed = [key for key, value in values.items() if getattr(item, key) != value]
    for key, value in values.items():
        setattr(item, key, value)
    record_change(item, "update", actor=actor,
                  summary=f"{item.inventory_number}: " + (", ".join(changed) if changed else "tanpa perubahan"))
    _flush_or_duplicate()
    db.session.flush()
    return item


def set_in_service(item: EquipmentItem, in_service: bool, *, actor, note: str | None = None) -> EquipmentItem:
    """Take an item out of service (repair, loss) or back in."""
    note = clean_text(note, "note", required=False, limit=300)
    if in_service and item.condition == "rusak_berat":
        raise DomainError(_l("Peralatan rusak berat tidak dapat dinyatakan siap pakai. Ubah dulu kondisinya."),
                          field="note")
    item.in_service = bool(in_service)
    state = "kembali siap pakai" if in_service else "tidak dipakai"
    record_change(item, "update", actor=actor,
                  summary=f"{item.inventory_number}: {state}" + (f" — {note}" if note else ""))
    db.session.flush()
    return item
