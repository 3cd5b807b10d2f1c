"""Loading and querying the region reference data."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

from webapp.extensions import db
from webapp.wilayah.models import Region
from webapp.wilayah.reference import national_regions, regency_regions

REGENCY_CODE = "63.06"


def _parent(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def load_regions() -> int:
    """Upsert the national list and the regency's villages; safe to run again."""
    rows: dict[str, dict] = {}
    for region in national_regions().values():
        rows[region.code] = dict(code=region.code, name=region.name, level=region.level,
                                 parent_code=_parent(region.code), current=region.current,
                                 last_year=region.last_year)
    for region in regency_regions():
        level = "kabupaten_kota" if region.level == "kabupaten" else region.level
        rows[region.code] = dict(code=region.code, name=region.name, level=level,
                                 parent_code=_parent(region.code), current=True, last_year=None)
    existing = {r.code: r for r in Region.query.all()}
    for code, data in rows.items():
        region = existing.get(code)
        if region is None:
            db.session.add(Region(**data))
        else:
            for key, value in data.items():
                setattr(region, key, value)
    db.session.flush()
    village_choices.cache_clear()
    return len(rows)


def get_region(code: str | None) -> Region | None:
    return db.session.get(Region, code) if code else None


def kecamatan_list() -> list[Region]:
    return db.session.execute(
        select(Region).where(Region.parent_code == REGENCY_CODE, Region.level == "kecamatan")
        .order_by(Region.name)).scalars().all()


def villages(kecamatan_code: str | None = None) -> list[Region]:
    stmt = select(Region).where(Region.level.in_(("desa", "kelurahan")),
                                Region.code.like(REGENCY_CODE + ".%"))
    if kecamatan_code:
        stmt = stmt.where(Region.parent_code == kecamatan_code)
    return db.session.execute(stmt.order_by(Region.code)).scalars().all()


@lru_cache(maxsize=1)
def village_choices() -> tuple[tuple[str, str], ...]:
    """(code, "Desa X — Kec. Y") for select fields; names repeat, so the kecamatan is shown."""
    kec = {r.code: r.name for r in kecamatan_list()}
    return tuple((v.code, f"{v.label} — Kec. {kec.get(v.parent_code, '?')}") for v in villages())


_labels_of: list = [None, {}]   # [the village_choices() tuple, its dict]: rebuilt when that cache is cleared


def village_label(code: str | None) -> str:
    choices = village_choices()
    if _labels_of[0] is not choices:      # a list page asks once per row: one dict, not one per call
        _labels_of[:] = [choices, dict(choices)]
    return _labels_of[1].get(code or "", code or "—")
