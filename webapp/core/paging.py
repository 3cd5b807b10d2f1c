"""One paginator for every list: a page of a select(), shown with the `pager` macro of
`_forms.html`.

    page = paginate(stmt.order_by(...), page=filters.page, per_page=PAGE_SIZE)

`count=False` is for long logs (the audit log, stock movements): no COUNT over the whole table,
one row more is read to know whether a next page exists, and the pager shows only « / »."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from webapp.extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int | None          # None when not counted
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, math.ceil(self.total / self.per_page))

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @classmethod
    def empty(cls, per_page: int) -> Page:
        return cls(items=[], page=1, per_page=per_page, total=0, has_next=False)


def paginate(stmt: Select, *, page: int, per_page: int, count: bool = True, scalars: bool = True) -> Page:
    """The `page`-th page (from 1) of `stmt`; a page past the end shows the last one.
    `scalars=False` keeps whole rows (a select of several columns)."""
    page = max(1, int(page or 1))

    def fetch(offset: int, limit: int) -> list[Any]:
        result = db.session.execute(stmt.offset(offset).limit(limit))
        return list(result.scalars() if scalars else result.all())

    if not count:
        rows = fetch((page - 1) * per_page, per_page + 1)
        return Page(items=rows[:per_page], page=page, per_page=per_page, total=None,
                    has_next=len(rows) > per_page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    return Page(items=fetch((page - 1) * per_page, per_page), page=page, per_page=per_page, total=total,
                has_next=page < pages)
