"""The route × role matrix, generated from the URL map: a route added tomorrow is covered
the day it is added. Every endpoint must declare its roles (or be public); each role gets
403 exactly where it is not allowed; anonymous users are sent to the login page."""
import re
import uuid

import pytest

from webapp.auth.roles import Role
from webapp.core.authz import PUBLIC_ATTR, ROLES_ATTR

DUMMY = {"int": "1", "string": "x", "uuid": str(uuid.uuid4()), "path": "x", "default": str(uuid.uuid4())}


def _url_for_rule(rule) -> str:
    def replace(match):
        converter = match.group(1) or "default"
        return DUMMY.get(converter, DUMMY["default"])
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", replace, rule.rule)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method, app.view_functions[rule.endpoint]


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [rule.rule for rule, _m, view in _routes(app)
                  if not getattr(view, PUBLIC_ATTR, False) and not getattr(view, ROLES_ATTR, None)]
    assert undeclared == []


def test_anonymous_users_reach_only_public_routes(app, client):
    for rule, method, view in _routes(app):
        if getattr(view, PUBLIC_ATTR, False):
            continue
        token = client.csrf_token() if method != "GET" else None
        resp = client.open(_url_for_rule(rule), method=method, data={"csrf_token": token} if token else None)
        assert resp.status_code == 302 and "/masuk" in resp.headers["Location"], (rule.rule, resp.status_code)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_403_exactly_where_not_allowed(app, client, login_as, role):
    login_as(role)
    token = client.csrf_token("/")
    checked = 0
    for rule, method, view in _routes(app):
        if getattr(view, PUBLIC_ATTR, False) or rule.endpoint in {"auth.logout"}:
            continue
        allowed = role in getattr(view, ROLES_ATTR)
        resp = client.open(_url_for_rule(rule), method=method,
                           data={"csrf_token": token} if method != "GET" else None)
        if allowed:
            assert resp.status_code != 403, (role, rule.rule)
            assert resp.status_code < 500, (role, rule.rule, resp.status_code)
        else:
            assert resp.status_code == 403, (role, rule.rule, resp.status_code)
            assert "Akses ditolak" in resp.get_data(as_text=True)
        checked += 1
    assert checked > 0
