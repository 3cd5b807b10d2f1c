"""Roles of the office's staff (DOMAIN.md "Roles")."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"
    KEPALA_DINAS = "kepala_dinas"
    KABID_DAFDUK = "kabid_dafduk"
    KABID_CAPIL = "kabid_capil"
    PETUGAS = "petugas"
    OPERATOR = "operator"
    VIEWER = "viewer"
    KEPALA_DESA = "kepala_desa"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.KEPALA_DINAS: _l("Kepala Dinas"),
    Role.KABID_DAFDUK: _l("Kabid Dafduk"),
    Role.KABID_CAPIL: _l("Kabid Pencapil"),
    Role.PETUGAS: _l("Petugas Lapangan"),
    Role.OPERATOR: _l("Operator"),
    Role.VIEWER: _l("Peninjau (hanya baca)"),
    Role.KEPALA_DESA: _l("Kepala Desa"),
}

ALL_ROLES = frozenset(Role)
OFFICE_STAFF = frozenset(Role) - {Role.KEPALA_DESA}
KABID = frozenset({Role.KABID_DAFDUK, Role.KABID_CAPIL})


def desa_allowed(user, desa_code: str | None) -> bool:
    """A kepala_desa sees only their own desa's records; office staff see all. Use with
    `webapp.core.authz.require_record` (→ 404 for another village's record)."""
    if user.role == Role.KEPALA_DESA:
        return desa_code is not None and desa_code == user.desa_code
    return True
