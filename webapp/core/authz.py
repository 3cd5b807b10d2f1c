"""Authorization: every endpoint declares who may call it; undeclared endpoints are refused.

`@roles_required(...)` and `@public` only annotate the view function; `enforce_access()` runs
before every request and does the checking, so a forgotten decorator fails closed (403), and
the route × role matrix test can read the declarations straight from `app.view_functions`."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC_ATTR = "_kp_public"
POLLED_ATTR = "_kp_polled"
ROLES_ATTR = "_kp_roles"


class _AnyRole:
    """The roles of `any_logged_in`: every role, without core knowing the list (the auth
    domain owns the roles; core imports no domain)."""

    def __contains__(self, role) -> bool:
        return role is not None

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY_ROLE"


ANY_ROLE = _AnyRole()


def public(view: Callable) -> Callable:
    """No login needed (the public status check, the login page, static files)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def polled(view: Callable) -> Callable:
    """A fragment the page refreshes by itself (a menu badge, a status line): it needs a login
    like any other view, but it is not the user's activity, so it does not keep an idle session
    alive (webapp.core.security)."""
    setattr(view, POLLED_ATTR, True)
    return view


def is_polled(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return bool(view and getattr(view, POLLED_ATTR, False))


def roles_required(*roles: str) -> Callable:
    """The roles (webapp.auth.roles.Role members) that may call the view."""
    if not roles:
        raise TypeError("roles_required() needs at least one role; use any_logged_in for every role")
    allowed = frozenset(str(r) for r in roles)

    def decorate(view: Callable) -> Callable:
        setattr(view, ROLES_ATTR, allowed)
        return view

    return decorate


def any_logged_in(view: Callable) -> Callable:
    setattr(view, ROLES_ATTR, ANY_ROLE)
    return view


def declared_roles(endpoint: str) -> frozenset[str] | _AnyRole | None:
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    if getattr(view, PUBLIC_ATTR, False):
        return None
    return getattr(view, ROLES_ATTR, frozenset())


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404s: let the router answer
    view = current_app.view_functions.get(endpoint)
    return endpoint == "static" or bool(view and getattr(view, PUBLIC_ATTR, False))


def role_allows(user, endpoint: str) -> bool:
    roles = declared_roles(endpoint)
    return bool(roles) and user.role in roles


def require_record(condition: bool) -> None:
    """Record-level check: the role may use the route but not this record → 404, not 403,
    so a kepala_desa cannot probe which ids exist in other villages."""
    if not condition:
        abort(404)


def wraps_view(view: Callable) -> Callable:
    """Keep the authorization annotations when a view is wrapped by another decorator."""
    def decorate(wrapper: Callable) -> Callable:
        wrapped = wraps(view)(wrapper)
        for attr in (PUBLIC_ATTR, ROLES_ATTR):
            if hasattr(view, attr):
                setattr(wrapped, attr, getattr(view, attr))
        return wrapped
    return decorate


def current_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


def request_endpoint() -> str | None:
    return request.endpoint
