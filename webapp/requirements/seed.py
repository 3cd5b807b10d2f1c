"""The initial requirement templates (DOMAIN.md "Requirements per service"), loaded once by
`seed_templates()`; afterwards the office edits them as data.

Item tuples: (text, kind, options). Placeholders in braces are filled at display time:
{min_age} / {max_age} from the item's own condition, and any setting key ({birth_report_days}…).
Legal bases are stated generically where a precise article would be a guess."""
from __future__ import annotations

ADMINDUK = "UU 23/2006 jo. UU 24/2013 tentang Administrasi Kependudukan; Perpres 96/2018; Permendagri 108/2019"
SLA = "Permendagri 19/2018 (layanan selesai dalam 1 jam setelah persyaratan lengkap)"

D, P, F, E = "document", "presence", "photo", "eligibility"

KK_DOC = ("Kartu Keluarga (KK)", D, {})
PARENTS_KTP = ("KTP-el kedua orang tua", D, {})

TEMPLATES: list[dict] = [
    # --- KTP-el ---------------------------------------------------------------------------
    {"service": "KTP_EL", "subtype": "baru", "title": "KTP-el baru",
     "legal_basis": f"{ADMINDUK}; {SLA}",
     "notes": "Hanya dicetak bila perekaman biometrik sudah dilakukan.",
     "items": [
         ("Berusia minimal {min_age} tahun atau sudah/pernah kawin", E,
          {"age_setting": "ktp_min_age", "only_if": "unmarried"}),
         KK_DOC,
         ("Buku nikah / kutipan akta perkawinan (bila belum berusia {ktp_min_age} tahun)", D, {"only_if": "married"}),
     ]},
    {"service": "KTP_EL", "subtype": "hilang", "title": "KTP-el hilang",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [("Surat keterangan kehilangan dari kepolisian", D, {}), KK_DOC]},
    {"service": "KTP_EL", "subtype": "rusak", "title": "KTP-el rusak",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [("KTP-el yang rusak", D, {}), KK_DOC]},
    {"service": "KTP_EL", "subtype": "perubahan", "title": "KTP-el perubahan data",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "Data baru harus sudah tercatat di KK.",
     "items": [("KTP-el lama", D, {}), ("Kartu Keluarga (KK) yang memuat data baru", D, {})]},
    # --- Perekaman -----------------------------------------------------------------------
    {"service": "PEREKAMAN", "subtype": "perekaman", "title": "Perekaman KTP-el",
     "legal_basis": ADMINDUK,
     "notes": "Perekaman sidik jari, iris, foto wajah, dan tanda tangan; sekali seumur hidup.",
     "items": [
         ("Hadir sendiri di tempat perekaman", P, {}),
         ("Berusia minimal {min_age} tahun atau sudah/pernah kawin", E,
          {"age_setting": "perekaman_min_age", "only_if": "unmarried"}),
         ("Belum pernah melakukan perekaman KTP-el", E, {}),
         KK_DOC,
     ]},
    # --- Kartu Keluarga ------------------------------------------------------------------
    {"service": "KK", "subtype": "baru", "title": "KK baru",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [
         ("Buku nikah / kutipan akta perkawinan", D, {"alt_group": "A"}),
         ("Kutipan akta perceraian", D, {"alt_group": "A"}),
         ("Surat keterangan pindah (SKPWNI) bagi penduduk yang pindah datang", D, {"only_if": "moved_in"}),
     ]},
    {"service": "KK", "subtype": "tambah_anggota", "title": "KK tambah anggota keluarga",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [
         ("KK lama", D, {}),
         ("Kutipan akta kelahiran anggota baru", D, {"alt_group": "A"}),
         ("Surat keterangan pindah anggota yang pindah datang", D, {"alt_group": "A"}),
     ]},
    {"service": "KK", "subtype": "pisah", "title": "Pisah KK",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [
         ("KK lama", D, {}),
         ("Buku nikah / kutipan akta perkawinan", D, {"alt_group": "A"}),
         ("Kutipan akta perceraian", D, {"alt_group": "A"}),
     ]},
    {"service": "KK", "subtype": "kepala_meninggal", "title": "KK karena kepala keluarga meninggal",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "Keluarga mendapat nomor KK baru.",
     "items": [("KK lama", D, {}), ("Kutipan akta kematian kepala keluarga", D, {})]},
    {"service": "KK", "subtype": "perubahan", "title": "KK perubahan data",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [
         ("KK lama", D, {}),
         ("Bukti peristiwa (akta kelahiran, akta kematian, buku nikah, ijazah, atau dokumen lain yang sah)", D, {}),
     ]},
    {"service": "KK", "subtype": "hilang", "title": "KK hilang",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [("Surat keterangan kehilangan dari kepolisian", D, {}), ("KTP-el", D, {})]},
    {"service": "KK", "subtype": "rusak", "title": "KK rusak",
     "legal_basis": f"{ADMINDUK}; {SLA}", "notes": "",
     "items": [("KK yang rusak", D, {}), ("KTP-el", D, {})]},
    # --- Pencatatan sipil ----------------------------------------------------------------
    {"service": "AKTA_LAHIR", "subtype": "baru", "title": "Akta kelahiran",
     "legal_basis": f"{ADMINDUK}; Permendagri 9/2016 (SPTJM); {SLA}",
     "notes": "Dilaporkan lebih dari {birth_report_days} hari sejak kelahiran: pelaporan terlambat.",
     "items": [
         ("Surat keterangan lahir dari rumah sakit, puskesmas, bidan, atau kepala desa/lurah", D, {"alt_group": "A"}),
         ("SPTJM kebenaran data kelahiran dengan 2 orang saksi", D, {"alt_group": "A"}),
         ("Buku nikah / kutipan akta perkawinan orang tua", D, {"alt_group": "B"}),
         ("SPTJM kebenaran sebagai pasangan suami istri", D, {"alt_group": "B"}),
         KK_DOC,
         PARENTS_KTP,
         ("Surat pernyataan keterlambatan pelaporan kelahiran (lebih dari {birth_report_days} hari) "
          "untuk persetujuan Kepala Dinas", D, {"only_if": "late_report"}),
     ]},
    {"service": "AKTA_MATI", "subtype": "baru", "title": "Akta kematian",
     "legal_basis": f"{ADMINDUK}; {SLA}",
     "notes": "Dilaporkan lebih dari {death_report_days} hari sejak kematian: pelaporan terlambat.",
     "items": [
         ("Surat keterangan kematian dari dokter atau kepala desa/lurah", D, {}),
         ("KK almarhum/almarhumah", D, {"alt_group": "A"}),
         ("KTP-el almarhum/almarhumah", D, {"alt_group": "A"}),
         ("Surat pernyataan keterlambatan pelaporan kematian (lebih dari {death_report_days} hari) "
          "untuk persetujuan Kepala Dinas", D, {"only_if": "late_report"}),
     ]},
    # --- KIA -------------------------------------------------------------------------------
    {"service": "KIA", "subtype": "bawah_5", "title": "KIA anak di bawah 5 tahun",
     "legal_basis": f"{ADMINDUK}; Permendagri 2/2016 tentang Kartu Identitas Anak",
     "notes": "Berlaku sampai anak berusia 5 tahun.",
     "items": [
         ("Berusia di bawah {limit} tahun", E, {"max_age": 4}),
         ("Kutipan akta kelahiran anak", D, {}),
         ("KK orang tua", D, {}),
         PARENTS_KTP,
     ]},
    {"service": "KIA", "subtype": "5_17", "title": "KIA anak 5 sampai di bawah 17 tahun",
     "legal_basis": f"{ADMINDUK}; Permendagri 2/2016 tentang Kartu Identitas Anak",
     "notes": "Berlaku sampai sehari sebelum anak berusia 17 tahun.",
     "items": [
         ("Berusia {min_age} tahun sampai di bawah {limit} tahun", E, {"min_age": 5, "max_age": 16}),
         ("Kutipan akta kelahiran anak", D, {}),
         ("KK orang tua", D, {}),
         PARENTS_KTP,
         ("Pas foto berwarna 2×3 (diambil dengan kamera di bus)", F, {"age_setting": "kia_photo_from_age"}),
     ]},
]
