"""Demo data: the bus's equipment register and the first blank stock receipts."""
from __future__ import annotations

from sqlalchemy import select

from webapp.demo import demo_loader
from webapp.extensions import db

EQUIPMENT = (
    # inventory number, kind, name, serial, condition, in service, notes
    ("KP/LT/2023/001", "laptop", "Lenovo ThinkPad E14 Gen 4", "PF3XK1A2", "baik", True, "Laptop operator Dafduk"),
    ("KP/LT/2023/002", "laptop", "Lenovo ThinkPad E14 Gen 4", "PF3XK1B7", "baik", True, "Laptop operator Pencapil"),
    ("KP/PR/2023/001", "printer", "Epson L3210", "X8JZ012345", "baik", True, None),
    ("KP/PR/2023/002", "printer", "Epson L5290", "X9KA067812", "rusak_ringan", False,
     "Head printer tersumbat; dikirim ke servis resmi Epson Banjarmasin."),
    ("KP/PR/2024/003", "printer", "HP LaserJet Pro M404dn", "PHBBL12345", "baik", True, "Untuk akta (kertas security)"),
    ("KP/PK/2023/001", "printer_kartu", "Evolis Primacy 2", "PM2-0A12345", "baik", True, "Printer KTP-el dan KIA"),
    ("KP/PS/2023/001", "printer_struk", "Epson TM-T82X", "X4RT009876", "baik", True, "Tanda terima berkas"),
    ("KP/PS/2024/002", "printer_struk", "Xprinter XP-58IIH", None, "baik", True, "Cadangan"),
    ("KP/KM/2023/001", "kamera", "Canon EOS 3000D", "093021004512", "baik", True, "Pas foto KIA dan KTP-el"),
    ("KP/KM/2023/002", "kamera", "Logitech Brio 4K", "2231LZ0ABC9", "baik", True, "Kamera perekaman"),
    ("KP/KM/2024/003", "kamera", "Canon EOS M50 Mark II", "183052001234", "baik", True, None),
    ("KP/CR/2023/001", "pembaca_kartu", "ACS ACR39U (pembaca KTP-el)", "RR123-004512", "baik", True, None),
    ("KP/CR/2023/002", "pembaca_kartu", "ACS ACR39U (pembaca KTP-el)", "RR123-004513", "baik", True, None),
    ("KP/CR/2024/003", "pembaca_kartu", "Identiv uTrust 2700 R", "53691234", "baik", True, None),
    ("KP/SC/2023/001", "scanner", "Epson DS-530 II", "X6NZ004321", "baik", True, "Pindai berkas persyaratan"),
    ("KP/RK/2023/001", "perekaman_kit", "Paket perekaman KTP-el (Futronic FS80H, IriShield MK2120U, Wacom STU-430)",
     "RK-HSS-07", "baik", True, "Pinjam pakai dari Ditjen Dukcapil"),
    ("KP/GS/2023/001", "genset", "Honda EU22i 2,2 kVA", "EAJJ-1234567", "baik", True, None),
    ("KP/GS/2024/002", "genset", "Yamaha EF2000iS", "7YA-0045678", "baik", True, "Cadangan untuk Loksado"),
    ("KP/MD/2023/001", "modem", "Huawei B312 4G", "G4X7N19A2000123", "baik", True, None),
    ("KP/MD/2024/002", "modem", "Starlink Standard Kit", "KIT00412345", "baik", True,
     "Untuk desa tanpa sinyal seluler (Meratus)"),
)

RECEIPTS = (
    ("BLANGKO_KTP", 500, "Distribusi blangko KTP-el dari Ditjen Dukcapil Kemendagri, BA No. 470/0142/Dukcapil/II/2026"),
    ("BLANGKO_KIA", 200, "Pengadaan blangko KIA APBD 2026, BAST No. 027/015/Disdukcapil-HSS/2026"),
    ("KERTAS_AKTA", 300, "Distribusi kertas security akta dari Ditjen Dukcapil, BA No. 470/0188/Dukcapil/II/2026"),
    ("KERTAS_KK", 500, "Pengadaan kertas HVS A4 80 g untuk KK, BAST No. 027/016/Disdukcapil-HSS/2026"),
    ("PITA_PRINTER_KARTU", 5, "Pengadaan ribbon YMCKO Evolis, BAST No. 027/017/Disdukcapil-HSS/2026"),
    ("KERTAS_STRUK", 10, "Pembelian kertas struk 58 mm, nota No. 112/TB-Sinar/III/2026"),
)


@demo_loader(order=8)
def load_inventory():
    from webapp.auth.services import find_by_username
    from webapp.inventory import services
    from webapp.inventory.models import EquipmentItem, StockMovement

    admin = find_by_username("admin")
    created = 0
    for number, kind, name, serial, condition, in_service, notes in EQUIPMENT:
        if db.session.execute(select(EquipmentItem.id).where(EquipmentItem.inventory_number == number)).first():
            continue
        services.create_equipment(inventory_number=number, kind=kind, name=name, serial_number=serial,
                                  condition=condition, in_service=in_service, notes=notes, actor=admin)
        created += 1
    received = 0
    if not db.session.execute(select(StockMovement.id).where(StockMovement.kind == "receipt")).first():
        for code, quantity, reason in RECEIPTS:
            services.receive(code, quantity, actor=admin, reason=reason)
            received += 1
    return [f"Peralatan: {created} dicatat; penerimaan stok: {received}."]
