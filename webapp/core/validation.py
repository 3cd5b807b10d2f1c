"""Small input checks shared by the services (messages next to the field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.core.errors import DomainError


def clean_text(value, field: str, *, required: bool, limit: int) -> str | None:
    """Trimmed text or None; a DomainError on the field when required and empty or too long."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_l("Wajib diisi."), field=field)
    if len(text) > limit:
        raise DomainError(_l("Terlalu panjang: maksimal %(n)d karakter.", n=limit), field=field)
    return text or None
