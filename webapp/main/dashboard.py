"""The home page: each domain contributes cards (links and counts) for the roles it serves."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import url_for

from webapp.core.authz import role_allows


@dataclass
class Card:
    title: str
    text: str
    endpoint: str
    count: int | None = None
    url_args: dict | None = None

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **(self.url_args or {}))


_PROVIDERS: list[tuple[int, Callable]] = []


def card_provider(order: int):
    def register(func):
        _PROVIDERS.append((order, func))
        return func
    return register


_HIDDEN: list[Callable[[str], bool]] = []


def hide_endpoints(predicate: Callable[[str], bool]) -> None:
    """A domain hides the menu entries, cards and `can()` links of pages this installation does
    not serve (e.g. office-only pages on a field node): `predicate(endpoint)` → hide."""
    if predicate not in _HIDDEN:
        _HIDDEN.append(predicate)


def endpoint_shown(endpoint: str) -> bool:
    return not any(hidden(endpoint) for hidden in _HIDDEN)


def dashboard_cards(user) -> list[Card]:
    cards: list[Card] = []
    for _, provider in sorted(_PROVIDERS, key=lambda p: p[0]):
        for card in provider(user) or []:
            if role_allows(user, card.endpoint) and endpoint_shown(card.endpoint):
                cards.append(card)
    return cards


@dataclass(frozen=True)
class NavItem:
    order: int
    endpoint: str
    label: object  # lazy string
    section: str   # endpoint prefix that marks the item current
    badge_endpoint: str | None = None   # a fragment with a count, refreshed by htmx

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def badge_url(self) -> str | None:
        return url_for(self.badge_endpoint, nav=1) if self.badge_endpoint else None


_NAV: list[NavItem] = []


def nav_item(order: int, endpoint: str, label, section: str | None = None,
             badge_endpoint: str | None = None) -> None:
    """Domains add their menu entries here; each is shown only to roles its route allows.
    `badge_endpoint` answers a small count fragment that the menu refreshes every minute."""
    if not any(item.endpoint == endpoint for item in _NAV):
        _NAV.append(NavItem(order, endpoint, label, section or endpoint.split(".")[0] + ".", badge_endpoint))


def nav_items(user) -> list[NavItem]:
    return [item for item in sorted(_NAV, key=lambda i: i.order)
            if role_allows(user, item.endpoint) and endpoint_shown(item.endpoint)]
