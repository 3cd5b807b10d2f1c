"""Office: the register of field nodes (bus laptops), their tokens and what each last reported."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.core.changes import record_change
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.core.validation import clean_text
from webapp.extensions import db
from webapp.sync import tokens
from webapp.sync.models import CHECKED_OUT, CONFLICT_OPEN, FieldNode, SyncConflict, TripCheckout

NODE_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")
RESERVED_CODES = frozenset({"OFFICE"})


def normalise_code(code: str | None) -> str:
    return (code or "").strip().upper()


def check_code(code: str | None) -> str:
    code = normalise_code(code)
    if not NODE_CODE.match(code) or code in RESERVED_CODES:
        raise DomainError(_l("Kode node: huruf besar, angka dan tanda hubung, 2–32 karakter, diawali huruf "
                             "(mis. BUS-01); bukan OFFICE."), field="code")
    return code


def get_by_code(code: str | None) -> FieldNode | None:
    return db.session.execute(select(FieldNode).where(FieldNode.code == normalise_code(code))).scalar_one_or_none()


def get_node(node_id) -> FieldNode | None:
    from webapp.sync.scope import as_uuid
    key = as_uuid(node_id)
    return db.session.get(FieldNode, key) if key else None


def add_node(code: str, *, name: str | None = None, actor=None) -> tuple[FieldNode, str]:
    """Register a node and make its token (returned once, stored hashed). A revoked node's code
    may be registered again (a replacement laptop for the same bus): it gets a new token."""
    code = check_code(code)
    name = clean_text(name, "name", required=False, limit=120)
    token = tokens.new_token()
    node = get_by_code(code)
    if node is not None and node.active:
        raise DomainError(_l("Node %(c)s sudah terdaftar dan aktif. Cabut dulu bila tokennya hilang.", c=code),
                          field="code")
    renewed = node is not None
    if node is None:
        node = FieldNode(code=code)
        db.session.add(node)
    node.name = name or node.name
    node.token_hash, node.token_hint = tokens.hash_token(token), tokens.hint(token)
    node.revoked_at = None
    node.last_error = None
    node.last_contact_at = None          # the new token has not been used yet (its first hello is audited)
    record_change(node, "create", actor=actor,
                  summary=f"{code}: " + ("token baru (node dipasang ulang)" if renewed else "node lapangan didaftarkan"))
    db.session.flush()
    return node, token


def revoke_node(node: FieldNode, *, actor=None) -> FieldNode:
    """The token stops working at once (the next call gets 401); the node's data stays."""
    if not node.active:
        raise DomainError(_l("Node %(c)s sudah dicabut.", c=node.code))
    node.revoked_at = utcnow()
    record_change(node, "revoke", actor=actor, summary=f"{node.code}: token dicabut")
    db.session.flush()
    return node


def authenticate(token: str | None) -> FieldNode | None:
    """The node this bearer token belongs to, revoked or not (the caller refuses a revoked one),
    or None. Not locked: a call reads its body first, then `lock()`s or writes the row."""
    token = (token or "").strip()
    if not tokens.looks_like_token(token):
        return None
    wanted = tokens.hash_token(token)
    node = db.session.execute(select(FieldNode).where(FieldNode.token_hash == wanted)).scalar_one_or_none()
    if node is None or not tokens.token_matches(token, node.token_hash):
        return None
    return node


def lock(node: FieldNode) -> FieldNode:
    """Lock the node's row for the rest of the transaction, so two pushes (or a push and a
    check-in) of one node apply one after the other (PostgreSQL; SQLite writers are serialised
    anyway). Taken only once the request's body is read: a body that stalls (a link that dies
    without a word in the middle of an upload) must not hold up the node's other calls."""
    db.session.execute(select(FieldNode).where(FieldNode.id == node.id).with_for_update()
                       .execution_options(populate_existing=True))
    return node


def touch(node: FieldNode, *, backlog: int | None = None, clock_offset_s: float | None = None,
          pushed: bool = False, error: str | None = None) -> None:
    """Note the node's contact (written at once: on SQLite the first write of a push takes the
    write lock before anything is read, so concurrent pushes queue instead of failing)."""
    now = utcnow()
    node.last_contact_at = now
    if pushed:
        node.last_push_at = now
    if backlog is not None:
        node.backlog = max(0, int(backlog))
    if clock_offset_s is not None:
        node.clock_offset_s = float(clock_offset_s)
    node.last_error = error
    db.session.flush()


def checked_out_trips(node_code: str) -> set:
    """The trips checked out to this node right now."""
    return set(db.session.execute(select(TripCheckout.trip_id).where(
        TripCheckout.node_code == node_code, TripCheckout.status == CHECKED_OUT)).scalars())


@dataclass(frozen=True)
class NodeRow:
    node: FieldNode
    trips: int                  # checked out to it now
    open_conflicts: int

    @property
    def last_contact_at(self) -> datetime | None:
        return self.node.last_contact_at


def list_nodes() -> list[NodeRow]:
    nodes = list(db.session.execute(select(FieldNode).order_by(FieldNode.code)).scalars())
    trips = dict(db.session.execute(select(TripCheckout.node_code, func.count()).where(
        TripCheckout.status == CHECKED_OUT).group_by(TripCheckout.node_code)).all())
    conflicts = dict(db.session.execute(select(SyncConflict.node_code, func.count()).where(
        SyncConflict.status == CONFLICT_OPEN).group_by(SyncConflict.node_code)).all())
    return [NodeRow(n, int(trips.get(n.code, 0)), int(conflicts.get(n.code, 0))) for n in nodes]
