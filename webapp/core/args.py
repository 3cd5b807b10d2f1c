"""Reading query-string filters safely: a bad value means "no filter", never an error page."""
from __future__ import annotations

from datetime import date

MAX_PAGE = 10_000


def arg_page(args, name: str = "page") -> int:
    try:
        return max(1, min(int(args.get(name) or 1), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def arg_date(args, name: str) -> date | None:
    try:
        return date.fromisoformat(args.get(name) or "")
    except ValueError:
        return None


def arg_text(args, name: str, limit: int) -> str:
    return (args.get(name) or "").strip()[:limit]
