"""Demo data: the villages and one user per role."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.auth import services
from webapp.auth.roles import Role
from webapp.demo import demo_loader
from webapp.main.dashboard import Card, card_provider
from webapp.wilayah.services import load_regions

DEMO_PASSWORD = "pecel-demo-2026"
DEMO_USERS = (
    ("admin", "Admin Sistem", Role.ADMIN, None),
    ("kadis", "H. Ahmad Rifani, S.Sos", Role.KEPALA_DINAS, None),
    ("kabid.dafduk", "Noor Hidayah, S.E.", Role.KABID_DAFDUK, None),
    ("kabid.capil", "Muhammad Ridwan, S.H.", Role.KABID_CAPIL, None),
    ("petugas", "Rahmat Hidayat", Role.PETUGAS, None),
    ("petugas2", "Siti Aisyah", Role.PETUGAS, None),
    ("petugas3", "Jumberi", Role.PETUGAS, None),
    ("operator", "Fitri Handayani", Role.OPERATOR, None),
    ("viewer", "Inspektorat (baca saja)", Role.VIEWER, None),
    ("kades.loksado", "Anang Sarkani (Kepala Desa Loksado)", Role.KEPALA_DESA, "63.06.10.2009"),
)


@demo_loader(order=0)
def load_regions_and_users():
    lines = [f"Kode wilayah: {load_regions()} baris."]
    for username, full_name, role, desa in DEMO_USERS:
        if services.find_by_username(username) is None:
            services.create_user(username=username, full_name=full_name, role=role, password=DEMO_PASSWORD,
                                 desa_code=desa, must_change_password=False)
    lines.append("Akun demo (kata sandi semua: %s):" % DEMO_PASSWORD)
    for username, _full, role, _desa in DEMO_USERS:
        lines.append(f"  {username:<15} {role.label}")
    return lines


@card_provider(order=90)
def admin_cards(user):
    return [
        Card(str(_l("Pengguna")), str(_l("Buat, ubah, nonaktifkan akun; reset kata sandi.")), "admin.users"),
        Card(str(_l("Log audit")), str(_l("Siapa melihat atau mengubah apa, kapan, dari mana.")), "audit.audit_log"),
    ]
