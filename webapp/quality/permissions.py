"""Who may do what with data-quality cases and the register: one list for the routes, the case
workflow and the domains that link here (the pre-trip check on a village request)."""
from __future__ import annotations

from webapp.auth.roles import Role

MANAGE = (Role.OPERATOR, Role.KABID_DAFDUK, Role.KABID_CAPIL, Role.KEPALA_DINAS, Role.ADMIN)
READ = MANAGE + (Role.VIEWER, Role.PETUGAS)
OPEN = MANAGE + (Role.PETUGAS,)
