"""Anomaly rules (data anomali) for population-register records.

A registry of small named rules. Each :class:`Rule` has a stable ``code``, a ``severity``,
an Indonesian ``title`` and one-paragraph ``doc`` (shown to the office next to each case), a
``kind`` and a check function:

- ``record`` rules look at one :class:`PersonRecord`: ``check(record, ctx) -> Finding | None``;
- ``kk`` rules look at all members of one No. KK and ``nik`` rules at all records sharing one
  NIK: ``check(members, ctx) -> Finding | None``.

Severities (what the bus team may do with the resident):

- ``error`` — cannot be served on the spot until verified/corrected with the centre
  (Ditjen Dukcapil);
- ``warning`` — worth a look by the office before the trip, does not block service;
- ``info`` — for the record (statistics, cleaning campaigns).

The severity of every rule can be overridden, and any rule switched off, with
:class:`RuleConfig` (``severities``, ``disabled``) — the office confirms them in practice.

A NIK from another province or regency is normal (the NIK never changes when a person
moves) and is never a finding. Messages never contain a full NIK or No. KK.

Entry points: :func:`run_rules` for a whole register (239,471 records in a few seconds),
:func:`check_record` for one resident (on the bus), optionally against a
:class:`RegisterIndex` so the KK and NIK rules see the rest of the register.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.identity.nik import check_kk, check_nik, mask
from webapp.core.timefmt import wita_today
from webapp.quality.records import PersonRecord

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

HEAD = "KEPALA KELUARGA"
SPOUSES = frozenset({"SUAMI", "ISTRI"})
CHILD = "ANAK"
NOT_MARRIED = "BELUM KAWIN"


# --- data shapes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One anomaly. ``refs`` are the records concerned (PersonRecord.ref), one for a record
    rule, several for a KK or NIK rule. ``message`` is Indonesian text without full NIK/KK;
    ``detail`` is JSON-serialisable."""

    rule_code: str
    severity: str
    refs: tuple
    message: str
    detail: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_code, "severity": self.severity, "refs": list(self.refs),
                "message": self.message, "detail": self.detail}


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds and switches; every default is documented in the rule it drives.

    ``severities`` overrides a rule's severity by code; ``disabled`` switches rules off.
    Build it from app configuration with :meth:`from_mapping`.
    """

    max_kk_members: int = 15           # kk.too_many_members: more than this many members
    min_parent_age_gap: int = 12       # kk.parent_too_young: parent at least this much older
    max_age: int = 120                 # age.too_old: older than this
    min_marriage_age: int = 16         # marriage.underage: married and younger than this
    max_name_length: int = 60          # name.too_long (Permendagri 73/2022: 60 incl. spaces)
    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> RuleConfig:
        """From e.g. ``app.config["QUALITY_RULES"]``; unknown keys raise ValueError."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown rule settings: {sorted(unknown)}")
        if "disabled" in values:
            values["disabled"] = frozenset(values["disabled"])
        config = cls(**values)
        for code, severity in config.severities.items():
            if severity not in SEVERITIES:
                raise ValueError(f"severity for {code} must be one of {SEVERITIES}")
        return config

    def severity(self, rule: Rule) -> str:
        return self.severities.get(rule.code, rule.severity)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    kind: str  # record | kk | nik
    title: Any  # lazy Indonesian string: str() it where shown
    doc: Any
    check: Callable[..., Finding | None]

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "kind": self.kind,
                "title": str(self.title), "doc": str(self.doc)}


RULES: dict[str, Rule] = {}
"""All rules by code, in registration order."""


def _rule(code: str, severity: str, kind: str, title: Any, doc: Any):
    if severity not in SEVERITIES or kind not in ("record", "kk", "nik"):
        raise ValueError(f"rule {code}: bad severity {severity!r} or kind {kind!r}")

    def register(check):
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, severity, kind, title, doc, check)
        return check

    return register


# --- context ----------------------------------------------------------------------------------


class RuleContext:
    """What a rule needs besides the record: today, the configuration, and per-value caches
    (check_nik once per record however many NIK rules ask; check_kk once per No. KK)."""

    def __init__(self, today: date | None = None, config: RuleConfig | None = None) -> None:
        self.today = today or wita_today()
        self.config = config or RuleConfig()
        self._nik_for: PersonRecord | None = None
        self._nik_check = None
        self._kk_checks: dict[str, Any] = {}

    def nik(self, record: PersonRecord):
        """check_nik of the record (with its sex and birth date), None when NIK is empty."""
        if record is not self._nik_for:
            self._nik_for = record
            sex = record.sex if record.sex in ("L", "P") else None
            self._nik_check = (
                check_nik(record.nik, sex=sex, birth_date=record.birth_date, today=self.today)
                if record.nik and record.nik.strip() else None)
        return self._nik_check

    def kk(self, value: str):
        result = self._kk_checks.get(value)
        if result is None:
            if len(self._kk_checks) > 500_000:
                self._kk_checks.clear()
            result = self._kk_checks[value] = check_kk(value, today=self.today)
        return result

    def age(self, born: date) -> int:
        return _years_between(born, self.today)

    def finding(self, code: str, refs: Iterable, message: Any, **detail: Any) -> Finding:
        return Finding(code, self.config.severity(RULES[code]), tuple(refs), str(message), detail)


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _problems(problems) -> str:
    return " ".join(str(p.message) for p in problems)


# --- NIK and No. KK (record rules) ------------------------------------------------------------


@_rule("nik.missing", "error", "record", _l("NIK kosong"), _l(
    "Rekaman tanpa NIK. Setiap penduduk yang terdaftar harus memiliki NIK; rekaman seperti ini "
    "tidak dapat dilayani sebelum NIK-nya dipastikan bersama pusat (Ditjen Dukcapil)."))
def nik_missing(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if record.nik and record.nik.strip():
        return None
    return ctx.finding("nik.missing", (record.ref,), _l("NIK belum diisi."))


@_rule("nik.invalid", "error", "record", _l("NIK tidak sah"), _l(
    "NIK tidak memenuhi format PP KK CC DDMMYY SSSS: bukan 16 angka, kode provinsi+kabupaten "
    "yang tidak pernah ada (daftar Kemendagri yang berlaku maupun yang lama), tanggal lahir yang "
    "tidak mungkin (hari 01–31 atau 41–71 untuk perempuan, bulan 01–12), atau nomor urut 0000. "
    "NIK dari daerah lain tetap sah. Harus diverifikasi dengan pusat sebelum dilayani."))
def nik_invalid(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    check = ctx.nik(record)
    if check is None or check.valid:
        return None
    return ctx.finding("nik.invalid", (record.ref,), _problems(check.errors),
                       problems=[p.code for p in check.errors])


def _nik_warning(record: PersonRecord, ctx: RuleContext, code: str) -> Finding | None:
    check = ctx.nik(record)
    if check is None or not check.valid:
        return None
    for problem in check.warnings:
        if problem.code == code:
            return ctx.finding(code, (record.ref,), problem.message)
    return None


@_rule("nik.birth_date_mismatch", "warning", "record",
       _l("Tanggal lahir pada NIK berbeda dengan data"), _l(
    "Digit 7–12 NIK (DDMMYY, hari +40 untuk perempuan) tidak sama dengan tanggal lahir pada "
    "rekaman. Hanya hari, bulan dan dua angka tahun yang dibandingkan. NIK tetap sah, tetapi "
    "salah satunya mungkin salah ketik: periksa dokumen asli (akta kelahiran)."))
def nik_birth_date_mismatch(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    return _nik_warning(record, ctx, "nik.birth_date_mismatch")


@_rule("nik.sex_mismatch", "warning", "record", _l("Jenis kelamin pada NIK berbeda dengan data"),
       _l("Pada NIK perempuan, tanggal lahir ditambah 40. Rekaman ini jenis kelaminnya tidak "
          "sesuai dengan NIK: salah satunya salah ketik. NIK tetap sah; periksa dokumen asli."))
def nik_sex_mismatch(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    return _nik_warning(record, ctx, "nik.sex_mismatch")


@_rule("nik.kecamatan_unknown", "warning", "record", _l("Kode kecamatan NIK tidak dikenal"), _l(
    "Kode provinsi dan kabupaten/kota pada NIK ada, tetapi kode kecamatannya (digit 5–6) tidak "
    "ada dalam daftar kecamatan Kemendagri, yang berlaku maupun yang lama. NIK tetap sah; "
    "mungkin salah ketik."))
def nik_kecamatan_unknown(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    return _nik_warning(record, ctx, "nik.kecamatan_unknown")


@_rule("kk.missing", "warning", "record", _l("No. KK kosong"), _l(
    "Rekaman tanpa nomor Kartu Keluarga. Hampir semua layanan (KTP-el, akta, KIA) memerlukan "
    "KK; pastikan KK penduduk ini sebelum perjalanan."))
def kk_missing(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if record.no_kk and record.no_kk.strip():
        return None
    return ctx.finding("kk.missing", (record.ref,), _l("No. KK belum diisi."))


@_rule("kk.invalid", "warning", "record", _l("No. KK tidak sah"), _l(
    "Nomor KK bukan 16 angka, kode provinsi+kabupaten yang tidak pernah ada, atau nomor urut "
    "0000. Susunan No. KK (6 digit wilayah + tanggal terbit + nomor urut) belum dikonfirmasi, "
    "jadi tanggal terbit yang janggal tidak dihitung di sini; aturan ini berupa peringatan."))
def kk_invalid(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if not record.no_kk or not record.no_kk.strip():
        return None
    check = ctx.kk(record.no_kk)
    if check.valid:
        return None
    return ctx.finding("kk.invalid", (record.ref,), _problems(check.errors),
                       problems=[p.code for p in check.errors])


# --- dates and ages ---------------------------------------------------------------------------


@_rule("birth_date.missing", "error", "record", _l("Tanggal lahir kosong"), _l(
    "Rekaman tanpa tanggal lahir. Umur, syarat layanan (KTP-el 17 tahun, KIA) dan pencocokan "
    "dengan NIK tidak dapat diperiksa; pastikan dengan dokumen asli dan pusat."))
def birth_date_missing(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if record.birth_date is not None:
        return None
    return ctx.finding("birth_date.missing", (record.ref,), _l("Tanggal lahir belum diisi."))


@_rule("birth_date.future", "error", "record", _l("Tanggal lahir di masa depan"), _l(
    "Tanggal lahir sesudah hari ini: pasti salah ketik (sering tahun 20xx untuk 19xx)."))
def birth_date_future(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if record.birth_date is None or record.birth_date <= ctx.today:
        return None
    return ctx.finding("birth_date.future", (record.ref,), _l(
        "Tanggal lahir %(date)s sesudah hari ini.", date=_fmt(record.birth_date)))


@_rule("age.too_old", "error", "record", _l("Umur tidak wajar (lebih dari 120 tahun)"), _l(
    "Umur menurut tanggal lahir lebih dari batas (bawaan 120 tahun). Biasanya kematian yang "
    "tidak pernah dilaporkan atau tahun lahir yang salah; harus dipastikan sebelum dilayani."))
def age_too_old(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if record.birth_date is None:
        return None
    age = ctx.age(record.birth_date)
    if age <= ctx.config.max_age:
        return None
    return ctx.finding("age.too_old", (record.ref,), _l(
        "Umur %(age)s tahun (lahir %(date)s), di atas batas %(max)s tahun.",
        age=age, date=_fmt(record.birth_date), max=ctx.config.max_age), age=age)


@_rule("marriage.underage", "warning", "record", _l("Berstatus kawin di bawah umur"), _l(
    "Status perkawinan selain BELUM KAWIN untuk penduduk yang lebih muda dari batas (bawaan 16 "
    "tahun). Batas usia kawin menurut UU 16/2019 adalah 19 tahun dengan dispensasi pengadilan; "
    "di bawah 16 tahun hampir pasti salah data (status atau tanggal lahir)."))
def marriage_underage(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    status = record.marital_status
    if not status or status == NOT_MARRIED or record.birth_date is None:
        return None
    age = ctx.age(record.birth_date)
    if age < 0 or age >= ctx.config.min_marriage_age:
        return None
    return ctx.finding("marriage.underage", (record.ref,), _l(
        "Berstatus %(status)s pada umur %(age)s tahun.", status=status, age=age), age=age)


# --- names ------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_ALLOWED_PUNCT = frozenset(" '-.,")
# Religious and academic titles: not part of a name on civil-registration documents
# (Permendagri 73/2022) but common in older records, e.g. "H. AHMAD" (haji).
_TITLES = frozenset({"H", "HJ", "KH", "DR", "DRS", "DRA", "IR", "PROF", "NY", "TN"})
_TITLES_DOTTED_ONLY = frozenset({"DR", "IR", "NY", "TN"})  # titles only when written with a dot
# Abbreviations of a name part (with or without a dot); vowel-less tokens count too.
_ABBREVIATIONS = frozenset({"MUH", "MUHD", "MHD", "MOH", "MOHD", "MOCH", "MHMD", "ABD", "ST",
                            "SY", "SYD"})
_VOWELLESS_OK = frozenset({"NG"})  # Chinese surname
_PLACEHOLDERS = (
    re.compile(r"^(BY|BAYI)\b\.?"),                    # BAYI NY. SITI, BY NY SITI
    re.compile(r"^(NN|TN|NY)\.?$"),
    re.compile(r"^(TANPA NAMA|TIDAK ADA|TIDAK DIKETAHUI|TDK DIKETAHUI|BELUM ADA NAMA|TEST|TES|"
               r"COBA|DUMMY|ANAK (LAKI-LAKI|PEREMPUAN))$"),
)
_DEGREE = re.compile(r"^[A-Z]{1,5}(\.[A-Z]{0,5})*\.?$")  # S.PD  S.AG  A.MD.  M.PD.I
_DEGREES_UNDOTTED = frozenset({"SH", "SE", "ST", "MM", "MH", "MT", "MSI", "SPD", "SAG", "SKM",
                               "SKOM", "SSOS", "SIP", "SHI", "SPDI", "AMD", "AMA", "MPD", "MAG"})
_GLUED_ABBREVIATION = re.compile(r"^([A-Z]{1,4}\.)+[A-Z']+$")  # M.NOOR  A.RAHMAN
_VOWELS = frozenset("AEIOUY")


@dataclass(frozen=True, slots=True)
class NameAnalysis:
    """What :func:`analyse_name` found in one name (upper-cased tokens, for messages)."""

    digits: bool
    placeholder: bool
    abbreviations: tuple[str, ...]
    punctuation: tuple[str, ...]
    titles: tuple[str, ...]
    length: int


@lru_cache(maxsize=200_000)
def analyse_name(name: str) -> NameAnalysis:
    """Classify the odd parts of a name. Not flagged on purpose: single names (JUMBERI),
    apostrophes (MA'RUF, NUR'AINI), hyphens inside a name (SITI-AISYAH), the Balinese "I"
    and "NI", names like GUSTI AYU. See the ``name.*`` rules for what each field means."""
    text = " ".join(name.translate(_APOSTROPHES).upper().split())
    digits = any(ch.isdigit() for ch in text)
    letters = [ch for ch in text if ch.isalpha()]
    placeholder = (not letters or len(set(letters)) == 1
                   or any(p.search(text) for p in _PLACEHOLDERS))
    main, comma, suffix = text.partition(",")
    punctuation: list[str] = []
    titles: list[str] = []
    abbreviations: list[str] = []
    if comma:
        degrees = [part.strip() for part in suffix.split(",")]
        if all(_is_degree(part) for part in degrees):
            titles.extend(degrees)  # AHMAD, S.PD  /  AHMAD, S.PD, M.PD
        else:
            punctuation.append(",")
    odd = sorted({ch for ch in text if not (ch.isalpha() or ch.isdigit()
                                           or ch in _ALLOWED_PUNCT)})
    punctuation.extend(odd)
    tokens = main.split(" ")
    for position, token in enumerate(tokens):
        _classify_token(token, position, len(tokens), titles, abbreviations, punctuation)
    return NameAnalysis(digits, placeholder, tuple(abbreviations), tuple(punctuation),
                        tuple(titles), len(text))


def _classify_token(token: str, position: int, count: int, titles: list,
                    abbreviations: list, punctuation: list) -> None:
    """Put one space-separated token of the name part into titles, abbreviations or
    punctuation — or nowhere, for an ordinary name part."""
    if not token:
        return
    bare = token.rstrip(".")
    dotted = bare != token
    first_of_several = position == 0 and count > 1
    if bare in _TITLES and (dotted or (first_of_several and bare not in _TITLES_DOTTED_ONLY)):
        titles.append(token)  # H. AHMAD, HJ SITI, DRS. ...
        return
    if "." in bare or token.startswith(".") or token.count(".") > 1:
        if _GLUED_ABBREVIATION.match(token):
            abbreviations.append(token)  # M.NOOR, A.RAHMAN
        else:
            punctuation.append(token)    # .SITI, A..B
        return
    if token.startswith("-") or token.endswith("-") or "--" in token:
        punctuation.append(token)
        return
    word = bare.replace("'", "").replace("-", "")
    if not word.isalpha():
        return  # digits have their own rule; other characters are counted by the caller
    if _is_abbreviation(word, position, count):
        abbreviations.append(token)
    elif dotted:
        punctuation.append(token)  # AHMAD.  NUR.  (a full word with a stray dot)


def _is_degree(part: str) -> bool:
    compact = part.replace(" ", "")
    return ("." in compact and bool(_DEGREE.match(compact))) or compact in _DEGREES_UNDOTTED


def _is_abbreviation(word: str, position: int, count: int) -> bool:
    if len(word) == 1:
        return not (word == "I" and position == 0 and count > 1)  # Balinese I MADE, I GUSTI
    return word in _ABBREVIATIONS or (not (_VOWELS & set(word)) and word not in _VOWELLESS_OK)


def _name_finding(record: PersonRecord, ctx: RuleContext, code: str, message: Any,
                  **detail: Any) -> Finding:
    return ctx.finding(code, (record.ref,), message, **detail)


@_rule("name.digits", "error", "record", _l("Nama mengandung angka"), _l(
    "Nama lengkap berisi angka (mis. 'AHMAD 2', 'S1TI'). Nama tidak boleh memuat angka "
    "(Permendagri 73/2022); hampir selalu salah ketik atau data uji. Dokumen tidak boleh "
    "dicetak dengan nama ini sebelum dibetulkan."))
def name_digits(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if not analyse_name(record.name).digits:
        return None
    return _name_finding(record, ctx, "name.digits", _l("Nama mengandung angka."))


@_rule("name.placeholder", "error", "record", _l("Nama sementara atau bukan nama"), _l(
    "Nama yang bukan nama orang: nama bayi sementara ('BAYI NY. SITI', 'BY NY SITI'), 'NN', "
    "'TANPA NAMA', 'TEST', satu huruf yang diulang ('AAAA', 'X'). Nama harus ditetapkan dan "
    "dibetulkan sebelum dokumen dicetak."))
def name_placeholder(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if not analyse_name(record.name).placeholder:
        return None
    return _name_finding(record, ctx, "name.placeholder", _l(
        "Nama tampak seperti nama sementara, bukan nama orang."))


@_rule("name.abbreviation", "warning", "record", _l("Nama disingkat"), _l(
    "Nama berisi singkatan: 'M.', 'MUH.', 'MOH.', 'ST.' (Siti), 'A.', 'M.NOOR', huruf tunggal, "
    "atau singkatan tanpa titik seperti 'MHD' dan 'ABD'. Permendagri 73/2022 melarang nama "
    "disingkat pada pencatatan baru; rekaman lama tetap sah, tetapi singkatan menyulitkan "
    "pencocokan data ganda. Tidak ditandai: nama tunggal (JUMBERI), apostrof (MA'RUF, "
    "NUR'AINI), tanda hubung di dalam nama (SITI-AISYAH), 'I' Bali di awal nama (I GUSTI AYU), "
    "dan gelar H./HJ. (lihat name.title)."))
def name_abbreviation(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    analysis = analyse_name(record.name)
    if not analysis.abbreviations or analysis.placeholder:
        return None
    return _name_finding(record, ctx, "name.abbreviation", _l(
        "Nama berisi singkatan: %(parts)s.", parts=", ".join(analysis.abbreviations)),
        parts=list(analysis.abbreviations))


@_rule("name.punctuation", "warning", "record", _l("Tanda baca janggal pada nama"), _l(
    "Titik yang bukan singkatan ('AHMAD.', '.SITI'), koma yang bukan pemisah gelar, tanda "
    "hubung di awal/akhir kata, atau karakter lain seperti / ( ) @ & _ pada nama. Apostrof dan "
    "tanda hubung di dalam nama tidak ditandai."))
def name_punctuation(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    analysis = analyse_name(record.name)
    if not analysis.punctuation or analysis.placeholder:
        return None
    return _name_finding(record, ctx, "name.punctuation", _l(
        "Tanda baca janggal pada nama: %(parts)s.", parts=" ".join(analysis.punctuation)),
        parts=list(analysis.punctuation))


@_rule("name.title", "info", "record", _l("Gelar tercantum pada nama"), _l(
    "Gelar keagamaan atau akademik ditulis sebagai bagian nama: 'H.' / 'HJ.' (haji/hajah), "
    "'DRS.', 'IR.', atau gelar di belakang koma ('AHMAD, S.PD'). Lazim pada rekaman lama dan "
    "boleh tercantum di KTP-el, tetapi tidak pada akta (Permendagri 73/2022) dan mengganggu "
    "pencocokan nama; hanya informasi."))
def name_title(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    analysis = analyse_name(record.name)
    if not analysis.titles or analysis.placeholder:
        return None
    return _name_finding(record, ctx, "name.title", _l(
        "Gelar pada nama: %(parts)s.", parts=", ".join(analysis.titles)),
        parts=list(analysis.titles))


@_rule("name.too_long", "info", "record", _l("Nama lebih dari 60 karakter"), _l(
    "Permendagri 73/2022 membatasi nama pada pencatatan baru paling banyak 60 huruf termasuk "
    "spasi (batas dapat diatur). Rekaman lama tetap sah; hanya informasi, sebab nama panjang "
    "sering terpotong saat dicetak."))
def name_too_long(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    length = analyse_name(record.name).length
    if length <= ctx.config.max_name_length:
        return None
    return _name_finding(record, ctx, "name.too_long", _l(
        "Nama %(length)s karakter (batas %(max)s).", length=length,
        max=ctx.config.max_name_length), length=length)


_MISSING_PARENT = frozenset({"", "-", "--", "0", ".", "X", "XX", "XXX", "NN", "TIDAK ADA",
                             "TIDAK TAHU", "TIDAK DIKETAHUI", "TDK DIKETAHUI", "TDK TAHU",
                             "BELUM DIKETAHUI", "ALMARHUMAH", "ALM", "ALMH"})


@_rule("mother_name.missing", "warning", "record", _l("Nama ibu kandung kosong"), _l(
    "Nama ibu kandung tidak diisi atau berisi pengisi seperti '-', 'TIDAK TAHU', 'XXX'. Nama ibu "
    "diperlukan untuk akta kelahiran dan dipakai pusat untuk memastikan identitas (termasuk "
    "pencocokan data ganda)."))
def mother_name_missing(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    mother = (record.mother_name or "").strip().upper().rstrip(".")
    if mother not in _MISSING_PARENT:
        return None
    return ctx.finding("mother_name.missing", (record.ref,), _l("Nama ibu kandung belum diisi."))


# --- family role and status -------------------------------------------------------------------


@_rule("data.incomplete", "warning", "record", _l("Data pokok tidak lengkap"), _l(
    "Jenis kelamin, tempat lahir, status perkawinan atau status hubungan dalam keluarga tidak "
    "diisi. Tanpa itu syarat layanan dan aturan KK tidak dapat diperiksa."))
def data_incomplete(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    missing = [label for label, value in (
        ("JENIS_KLMIN", record.sex), ("TMPT_LHR", record.birth_place),
        ("STAT_KWN", record.marital_status), ("STAT_HBKEL", record.family_role),
    ) if not value]
    if not missing:
        return None
    return ctx.finding("data.incomplete", (record.ref,), _l(
        "Kolom belum diisi: %(columns)s.", columns=", ".join(missing)), columns=missing)


@_rule("role.sex_mismatch", "warning", "record",
       _l("Status SUAMI/ISTRI tidak sesuai jenis kelamin"), _l(
    "Rekaman berstatus ISTRI tetapi laki-laki, atau SUAMI tetapi perempuan: salah satu kolom "
    "salah isi."))
def role_sex_mismatch(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    if (record.family_role, record.sex) not in (("ISTRI", "L"), ("SUAMI", "P")):
        return None
    return ctx.finding("role.sex_mismatch", (record.ref,), _l(
        "Berstatus %(role)s dengan jenis kelamin %(sex)s.", role=record.family_role,
        sex=_l("laki-laki") if record.sex == "L" else _l("perempuan")))


@_rule("role.marital_mismatch", "warning", "record", _l("SUAMI/ISTRI berstatus belum kawin"),
       _l("Rekaman berstatus SUAMI atau ISTRI dalam KK tetapi status perkawinannya BELUM KAWIN "
          "(atau cerai): status hubungan keluarga atau status perkawinan perlu dibetulkan."))
def role_marital_mismatch(record: PersonRecord, ctx: RuleContext) -> Finding | None:
    status = record.marital_status
    if record.family_role not in SPOUSES or not status or status.startswith("KAWIN"):
        return None
    return ctx.finding("role.marital_mismatch", (record.ref,), _l(
        "Berstatus %(role)s tetapi status perkawinan %(status)s.",
        role=record.family_role, status=status))


# --- KK rules (members of one No. KK) ---------------------------------------------------------


@_rule("kk.too_many_members", "warning", "kk", _l("Anggota KK terlalu banyak"), _l(
    "Satu No. KK dengan anggota lebih dari batas (bawaan 15). Rata-rata keluarga di HSS 3–4 "
    "orang; KK sebesar ini biasanya 'KK penampung' atau anggota yang pindah/meninggal tanpa "
    "dilaporkan."))
def kk_too_many_members(members: Sequence[PersonRecord], ctx: RuleContext) -> Finding | None:
    if len(members) <= ctx.config.max_kk_members:
        return None
    return ctx.finding("kk.too_many_members", _refs(members), _l(
        "KK %(kk)s beranggota %(count)s orang (batas %(max)s).", kk=mask(members[0].no_kk),
        count=len(members), max=ctx.config.max_kk_members), count=len(members))


@_rule("kk.multiple_heads", "error", "kk", _l("KK dengan lebih dari satu kepala keluarga"), _l(
    "Dua orang atau lebih berstatus KEPALA KELUARGA pada No. KK yang sama. KK seperti ini tidak "
    "dapat dicetak; biasanya pecah KK yang tidak tuntas atau data ganda."))
def kk_multiple_heads(members: Sequence[PersonRecord], ctx: RuleContext) -> Finding | None:
    heads = [m for m in members if m.family_role == HEAD]
    if len(heads) < 2:
        return None
    return ctx.finding("kk.multiple_heads", _refs(heads), _l(
        "KK %(kk)s memiliki %(count)s kepala keluarga.", kk=mask(members[0].no_kk),
        count=len(heads)), count=len(heads))


@_rule("kk.no_head", "warning", "kk", _l("KK tanpa kepala keluarga"), _l(
    "Tidak ada anggota berstatus KEPALA KELUARGA pada No. KK ini (dalam data yang diperiksa). "
    "Sering terjadi bila kepala keluarga meninggal atau pindah tanpa KK baru. Pada daftar "
    "sebagian (mis. satu desa) bisa juga karena kepala keluarga tidak ikut dalam daftar."))
def kk_no_head(members: Sequence[PersonRecord], ctx: RuleContext) -> Finding | None:
    if any(m.family_role == HEAD for m in members):
        return None
    return ctx.finding("kk.no_head", _refs(members), _l(
        "KK %(kk)s (%(count)s anggota) tanpa kepala keluarga.", kk=mask(members[0].no_kk),
        count=len(members)), count=len(members))


def _dated(members: Sequence[PersonRecord], roles) -> list[PersonRecord]:
    return [m for m in members if m.family_role in roles and m.birth_date is not None]


def _pair_finding(code: str, ctx: RuleContext, pairs: list, message: Any) -> Finding:
    refs = sorted({ref for child, parent in pairs for ref in (child.ref, parent.ref)}, key=str)
    return ctx.finding(code, refs, message, pairs=[
        {"child": child.ref, "parent": parent.ref, "parent_role": parent.family_role,
         "gap_years": _years_between(parent.birth_date, child.birth_date)
         if parent.birth_date <= child.birth_date else
         -_years_between(child.birth_date, parent.birth_date)}
        for child, parent in pairs])


@_rule("kk.child_older_than_head", "error", "kk", _l("Anak lebih tua dari kepala keluarga"), _l(
    "Anggota berstatus ANAK lahir pada hari yang sama atau sebelum KEPALA KELUARGA. Status "
    "hubungan dihitung terhadap kepala keluarga, jadi ini mustahil (juga untuk anak angkat): "
    "tanggal lahir atau status hubungan salah."))
def kk_child_older_than_head(members: Sequence[PersonRecord], ctx: RuleContext):
    heads = _dated(members, (HEAD,))
    pairs = [(child, head) for child in _dated(members, (CHILD,)) for head in heads
             if child.birth_date <= head.birth_date]
    if not pairs:
        return None
    return _pair_finding("kk.child_older_than_head", ctx, pairs, _l(
        "Pada KK %(kk)s, %(count)s anak lebih tua dari (atau seumur) kepala keluarga.",
        kk=mask(members[0].no_kk), count=len({c.ref for c, _ in pairs})))


@_rule("kk.child_older_than_spouse", "warning", "kk", _l("Anak lebih tua dari istri/suami"), _l(
    "Anggota berstatus ANAK lahir pada hari yang sama atau sebelum ISTRI/SUAMI kepala keluarga. "
    "Bisa sah (anak tiri dari perkawinan terdahulu), tetapi sering salah tanggal lahir: "
    "peringatan saja."))
def kk_child_older_than_spouse(members: Sequence[PersonRecord], ctx: RuleContext):
    spouses = _dated(members, SPOUSES)
    pairs = [(child, spouse) for child in _dated(members, (CHILD,)) for spouse in spouses
             if child.birth_date <= spouse.birth_date]
    if not pairs:
        return None
    return _pair_finding("kk.child_older_than_spouse", ctx, pairs, _l(
        "Pada KK %(kk)s, %(count)s anak lebih tua dari (atau seumur) istri/suami.",
        kk=mask(members[0].no_kk), count=len({c.ref for c, _ in pairs})))


@_rule("kk.parent_too_young", "warning", "kk", _l("Selisih umur orang tua dan anak terlalu kecil"),
       _l("Anggota berstatus ANAK lahir kurang dari batas (bawaan 12 tahun) sesudah KEPALA "
          "KELUARGA atau ISTRI/SUAMI-nya (tetapi sesudahnya; lebih tua ditangani aturan "
          "kk.child_older_than_*). Hampir selalu tanggal lahir yang salah."))
def kk_parent_too_young(members: Sequence[PersonRecord], ctx: RuleContext):
    gap = ctx.config.min_parent_age_gap
    parents = _dated(members, SPOUSES | {HEAD})
    pairs = [(child, parent) for child in _dated(members, (CHILD,)) for parent in parents
             if child.birth_date > parent.birth_date
             and _years_between(parent.birth_date, child.birth_date) < gap]
    if not pairs:
        return None
    return _pair_finding("kk.parent_too_young", ctx, pairs, _l(
        "Pada KK %(kk)s, orang tua kurang dari %(gap)s tahun lebih tua dari anaknya.",
        kk=mask(members[0].no_kk), gap=gap))


@_rule("kk.generation_order", "warning", "kk", _l("Urutan generasi dalam KK janggal"), _l(
    "CUCU yang tidak lebih muda dari kepala keluarga, atau ORANG TUA/MERTUA yang tidak lebih tua "
    "darinya: tanggal lahir atau status hubungan salah."))
def kk_generation_order(members: Sequence[PersonRecord], ctx: RuleContext):
    heads = _dated(members, (HEAD,))
    if not heads:
        return None
    odd = [m for m in members if m.birth_date is not None and any(
        (m.family_role == "CUCU" and m.birth_date <= h.birth_date)
        or (m.family_role in ("ORANG TUA", "MERTUA") and m.birth_date >= h.birth_date)
        for h in heads)]
    if not odd:
        return None
    return ctx.finding("kk.generation_order", _refs(odd + heads), _l(
        "Pada KK %(kk)s, %(count)s anggota berumur janggal terhadap kepala keluarga.",
        kk=mask(members[0].no_kk), count=len(odd)), members=[m.ref for m in odd])


@_rule("kk.multiple_desa", "warning", "kk", _l("Anggota KK tercatat di beberapa desa"), _l(
    "Anggota satu No. KK tercatat pada lebih dari satu desa/kelurahan. Satu KK hanya punya satu "
    "alamat: pindah yang tidak dilaporkan atau kode wilayah yang salah."))
def kk_multiple_desa(members: Sequence[PersonRecord], ctx: RuleContext):
    desa = sorted({m.desa_code for m in members if m.desa_code})
    if len(desa) < 2:
        return None
    return ctx.finding("kk.multiple_desa", _refs(members), _l(
        "Anggota KK %(kk)s tercatat di %(count)s desa/kelurahan.", kk=mask(members[0].no_kk),
        count=len(desa)), desa=desa)


# --- NIK rule (records sharing one NIK) -------------------------------------------------------


@_rule("nik.shared", "error", "nik", _l("Satu NIK dipakai lebih dari satu rekaman"), _l(
    "NIK yang sama tercatat pada dua rekaman atau lebih. Satu NIK hanya untuk satu orang: "
    "entah rekaman ganda orang yang sama, entah NIK orang lain yang terpakai. Harus diverifikasi "
    "dengan pusat sebelum salah satunya dilayani."))
def nik_shared(members: Sequence[PersonRecord], ctx: RuleContext) -> Finding | None:
    if len(members) < 2:
        return None
    return ctx.finding("nik.shared", _refs(members), _l(
        "NIK %(nik)s dipakai oleh %(count)s rekaman.", nik=mask(members[0].nik),
        count=len(members)), count=len(members))


# --- running ----------------------------------------------------------------------------------


def _refs(members: Iterable[PersonRecord]) -> tuple:
    seen: dict = {}
    for member in members:
        seen.setdefault(member.ref, None)
    return tuple(seen)


def _fmt(value: date) -> str:
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def _key(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value or None


def _enabled(kind: str, config: RuleConfig) -> list[Callable]:
    return [rule.check for rule in RULES.values()
            if rule.kind == kind and rule.code not in config.disabled]


class RegisterIndex:
    """Records grouped by No. KK and by NIK, so one new or changed record can be checked with
    the KK and NIK rules without scanning the register again (:func:`check_record`)."""

    def __init__(self, records: Iterable[PersonRecord]) -> None:
        self.by_kk: dict[str, list[PersonRecord]] = defaultdict(list)
        self.by_nik: dict[str, list[PersonRecord]] = defaultdict(list)
        for record in records:
            self.add(record)

    def add(self, record: PersonRecord) -> None:
        kk, nik = _key(record.no_kk), _key(record.nik)
        if kk:
            self.by_kk[kk].append(record)
        if nik:
            self.by_nik[nik].append(record)

    def group(self, kind: str, record: PersonRecord) -> list[PersonRecord]:
        """The record's group with the record itself in place of any stored version."""
        key = _key(record.no_kk if kind == "kk" else record.nik)
        if key is None:
            return []
        stored = (self.by_kk if kind == "kk" else self.by_nik).get(key, ())
        return [m for m in stored if m.ref != record.ref] + [record]


def run_rules(records: Sequence[PersonRecord], *, today: date | None = None,
              config: RuleConfig | None = None) -> list[Finding]:
    """Every enabled rule over a whole register: record findings in record order, then the
    KK findings, then the NIK findings."""
    ctx = RuleContext(today, config)
    findings: list[Finding] = []
    append = findings.append
    record_checks = _enabled("record", ctx.config)
    for record in records:
        for check in record_checks:
            found = check(record, ctx)
            if found is not None:
                append(found)
    index = RegisterIndex(records)
    _run_groups(_enabled("kk", ctx.config), index.by_kk.values(), ctx, append)
    _run_groups(_enabled("nik", ctx.config),
                (group for group in index.by_nik.values() if len(group) > 1), ctx, append)
    return findings


def _run_groups(checks: list[Callable], groups: Iterable[list[PersonRecord]],
                ctx: RuleContext, append) -> None:
    for members in groups:
        for check in checks:
            found = check(members, ctx)
            if found is not None:
                append(found)


def check_record(record: PersonRecord, *, today: date | None = None,
                 config: RuleConfig | None = None,
                 register: RegisterIndex | None = None) -> list[Finding]:
    """The rules for one record (a new resident on the bus). With ``register`` the KK and
    NIK rules run too, on the record's KK and NIK groups with this record in them; only
    findings that concern this record are returned."""
    ctx = RuleContext(today, config)
    findings = [found for check in _enabled("record", ctx.config)
                if (found := check(record, ctx)) is not None]
    if register is not None:
        for kind in ("kk", "nik"):
            members = register.group(kind, record)
            if not members:
                continue
            for check in _enabled(kind, ctx.config):
                found = check(members, ctx)
                if found is not None and record.ref in found.refs:
                    findings.append(found)
    return findings


def count_by_rule(findings: Iterable[Finding]) -> dict[str, int]:
    """{rule code: number of findings} for every registered rule (zero included)."""
    counts = dict.fromkeys(RULES, 0)
    for found in findings:
        counts[found.rule_code] = counts.get(found.rule_code, 0) + 1
    return counts


def worst_severity(findings: Iterable[Finding]) -> str | None:
    """"error", "warning", "info" or None: what decides ok / warning / blocked for a resident."""
    ranks = [SEVERITY_RANK[f.severity] for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None
