"""Deterministic synthetic population register of a regency like Hulu Sungai Selatan.

For the demo data, the benchmarks in ``bench/`` and the tests: never imported by the running
office (views, services, importers). ``generate_register(n, seed)`` builds families under a
No. KK over the regency's desa, with Banjar/Indonesian names and NIK / No. KK numbers per
shared/DOMAIN.md, plants true duplicates, hard negatives and anomalies, and keeps the truth
apart from the records; ``write_siak_csv`` / ``write_siak_xlsx`` write a SIAK-style export.

The modules, in the order a register is made:

- ``names``: name pools and the ways one name is written otherwise;
- ``regions``: the regency's desa and the regions people move in from;
- ``people``: persons, families, NIK and No. KK numbers (`Population`);
- ``negatives``: hard negatives (twins come with the families);
- ``duplicates``: planted duplicates, one change (VARIANTS) or two (CHANGE_PAIRS) each;
- ``anomalies``: planted anomalies (ANOMALY_CODES);
- ``register``: `generate_register` and the truth;
- ``writers``: the SIAK-style CSV and XLSX.

The names below are loaded on first use, so importing this package costs nothing (the app
factory looks into every package of ``webapp`` for domain modules).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "generate_register": "register", "SyntheticRegister": "register", "SyntheticTruth": "register",
    "REFERENCE_DATE": "register",
    "VARIANTS": "duplicates", "CHANGES": "duplicates", "CHANGE_PAIRS": "duplicates",
    "SECOND_CHANGES": "duplicates", "add_second_change": "duplicates",
    "HARD_NEGATIVE_KINDS": "negatives", "ANOMALY_CODES": "anomalies",
    "NORMAL_KK_MAX_MEMBERS": "people", "OVERSIZED_KK_MIN_MEMBERS": "people",
    "WILAYAH_6306_CSV": "regions", "WILAYAH_NASIONAL_CSV": "regions",
    "SIAK_COLUMNS": "writers", "REGION_COLUMNS": "writers", "siak_header": "writers",
    "siak_rows": "writers", "write_siak_csv": "writers", "write_siak_xlsx": "writers",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
