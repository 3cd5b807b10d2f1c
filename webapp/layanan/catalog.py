"""The six services of Ketupat Pecel (SOP "Jenis pelayanan"), their sub-types, the division that
handles them, and what each application consumes: the fixed vocabulary every domain shares.

Requirement checklists are editable data (webapp.requirements); this catalogue is code because the
services and their divisions are set by the SOP and national rules, not by the office."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

DAFDUK = "dafduk"   # Pendaftaran Penduduk: KTP-el, KK, KIA, perekaman
CAPIL = "capil"     # Pencatatan Sipil: akta kelahiran, akta kematian


@dataclass(frozen=True)
class SubType:
    code: str
    label: object


@dataclass(frozen=True)
class Service:
    code: str
    label: object
    division: str
    subtypes: tuple[SubType, ...]
    stock_per_application: dict[str, int] = field(default_factory=dict)
    equipment: tuple[str, ...] = ()

    def subtype(self, code: str | None) -> SubType | None:
        return next((s for s in self.subtypes if s.code == code), None)


# Blank stock (blangko) and consumables kept in the ledger.
STOCK_ITEMS: dict[str, tuple[object, str]] = {
    "BLANGKO_KTP": (_l("Blangko KTP-el"), "keping"),
    "BLANGKO_KIA": (_l("Blangko KIA"), "keping"),
    "KERTAS_AKTA": (_l("Kertas akta (security paper)"), "lembar"),
    "KERTAS_KK": (_l("Kertas KK (HVS A4)"), "lembar"),
    "PITA_PRINTER_KARTU": (_l("Pita (ribbon) printer kartu"), "rol"),
    "KERTAS_STRUK": (_l("Kertas struk tanda terima"), "rol"),
}

# Equipment kinds in the register.
EQUIPMENT_KINDS: dict[str, object] = {
    "laptop": _l("Laptop"),
    "printer": _l("Printer dokumen"),
    "printer_kartu": _l("Printer kartu"),
    "printer_struk": _l("Printer struk (tanda terima)"),
    "kamera": _l("Kamera"),
    "pembaca_kartu": _l("Pembaca kartu (card reader)"),
    "scanner": _l("Pemindai (scanner)"),
    "perekaman_kit": _l("Perangkat perekaman KTP-el (sidik jari, iris, tanda tangan)"),
    "genset": _l("Genset"),
    "modem": _l("Modem / router"),
}

# Taken on every trip, whatever the residents asked for.
BASE_EQUIPMENT = ("laptop", "printer", "printer_struk", "scanner", "genset", "modem")

SERVICES: dict[str, Service] = {s.code: s for s in (
    Service("KTP_EL", _l("KTP-el"), DAFDUK, (
        SubType("baru", _l("Baru")), SubType("hilang", _l("Hilang")), SubType("rusak", _l("Rusak")),
        SubType("perubahan", _l("Perubahan data")),
    ), {"BLANGKO_KTP": 1}, ("printer_kartu", "pembaca_kartu")),
    Service("PEREKAMAN", _l("Perekaman KTP-el"), DAFDUK, (
        SubType("perekaman", _l("Perekaman biometrik")),
    ), {}, ("perekaman_kit", "kamera")),
    Service("KK", _l("Kartu Keluarga"), DAFDUK, (
        SubType("baru", _l("Baru")), SubType("tambah_anggota", _l("Tambah anggota")),
        SubType("pisah", _l("Pisah KK")), SubType("kepala_meninggal", _l("Kepala keluarga meninggal")),
        SubType("perubahan", _l("Perubahan data")), SubType("hilang", _l("Hilang")), SubType("rusak", _l("Rusak")),
    ), {"KERTAS_KK": 1}),
    Service("AKTA_LAHIR", _l("Akta Kelahiran"), CAPIL, (
        SubType("baru", _l("Baru")),
    ), {"KERTAS_AKTA": 1}),
    Service("AKTA_MATI", _l("Akta Kematian"), CAPIL, (
        SubType("baru", _l("Baru")),
    ), {"KERTAS_AKTA": 1}),
    Service("KIA", _l("Kartu Identitas Anak"), DAFDUK, (
        SubType("bawah_5", _l("Di bawah 5 tahun")), SubType("5_17", _l("5 sampai di bawah 17 tahun")),
    ), {"BLANGKO_KIA": 1}, ("printer_kartu",)),
)}

# KIA from age 5 needs a photo: the camera comes.
SUBTYPE_EXTRA_EQUIPMENT = {("KIA", "5_17"): ("kamera",)}

# Cards per printer ribbon (for how many ribbons to take), and spare blanks for spoilage.
CARDS_PER_RIBBON = 200
SPARE_RATIO = 0.10

LATE_REPORT_DAYS = {"AKTA_LAHIR": 60, "AKTA_MATI": 30}


def service(code: str) -> Service | None:
    return SERVICES.get(code)


def service_label(code: str, subtype: str | None = None) -> str:
    svc = SERVICES.get(code)
    if svc is None:
        return code
    sub = svc.subtype(subtype)
    return f"{svc.label} — {sub.label}" if sub and len(svc.subtypes) > 1 else str(svc.label)


def service_choices() -> list[tuple[str, str]]:
    """(CODE:subtype, label) pairs for forms."""
    return [(f"{s.code}:{sub.code}", service_label(s.code, sub.code)) for s in SERVICES.values() for sub in s.subtypes]


def parse_service_token(token: str) -> tuple[str, str] | None:
    """'KTP_EL:baru' or 'ktp-el baru' or a bare 'KIA' (single or first sub-type) → (code, subtype)."""
    raw = (token or "").strip()
    if not raw:
        return None
    if ":" in raw:
        code_part, _, sub = raw.partition(":")
        words, sub_words = code_part.split(), sub.split()
    else:
        words, sub_words = raw.split(), []
    # The longest run of leading words that names a service; the rest names the sub-type.
    for cut in range(len(words), 0, -1):
        code = _code_of("_".join(words[:cut]))
        if code:
            sub_words = words[cut:] + sub_words
            break
    else:
        return None
    svc = SERVICES[code]
    sub = "_".join(sub_words).lower()
    if not sub:
        return code, svc.subtypes[0].code
    return (code, sub) if svc.subtype(sub) else None


_ALIASES = {"KTP": "KTP_EL", "KTPEL": "KTP_EL", "AKTA_KELAHIRAN": "AKTA_LAHIR", "AKTA_KEMATIAN": "AKTA_MATI",
            "REKAM": "PEREKAMAN", "PEREKAMAN_KTP_EL": "PEREKAMAN", "KARTU_KELUARGA": "KK",
            "KARTU_IDENTITAS_ANAK": "KIA"}


def _code_of(text: str) -> str | None:
    code = text.upper().replace("-", "_")
    code = _ALIASES.get(code, code)
    return code if code in SERVICES else None


def equipment_for(services: set[tuple[str, str]]) -> list[str]:
    """Equipment kinds a trip needs for these (service, subtype) pairs: the base set plus
    what the services add (a perekaman kit only when someone needs perekaman)."""
    kinds = list(BASE_EQUIPMENT)
    for code, sub in sorted(services):
        svc = SERVICES.get(code)
        extra = (svc.equipment if svc else ()) + SUBTYPE_EXTRA_EQUIPMENT.get((code, sub), ())
        for kind in extra:
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def stock_for(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    """Blank stock to take for these application counts, with spares and printer ribbons."""
    import math
    need: dict[str, int] = {}
    for (code, _sub), n in counts.items():
        svc = SERVICES.get(code)
        for stock, per in (svc.stock_per_application.items() if svc else ()):
            need[stock] = need.get(stock, 0) + per * n
    for stock, qty in list(need.items()):
        need[stock] = qty + math.ceil(qty * SPARE_RATIO)
    cards = need.get("BLANGKO_KTP", 0) + need.get("BLANGKO_KIA", 0)
    if cards:
        need["PITA_PRINTER_KARTU"] = math.ceil(cards / CARDS_PER_RIBBON)
    if counts:
        need["KERTAS_STRUK"] = 1
    return need
