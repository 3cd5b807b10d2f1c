"""Behind nginx (docs/operations.md): PROXY_COUNT=1 makes the client's address and scheme the ones
the proxy forwards (werkzeug ProxyFix), so the login rate limit, the throttle, the audit log and
TRUSTED_NETWORKS see the real client; without it X-Forwarded-* is ignored (nobody can claim an
intranet address by sending the header)."""
from __future__ import annotations

import pytest
from flask import request

from webapp import create_app
from webapp.core.authz import public


def _app(tmp_path, **config):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": str(tmp_path / "files"),
                      "SERVER_NAME": None, "TRUSTED_NETWORKS": "10.63.6.0/24", **config})

    @public
    def echo():
        return f"{request.remote_addr} {request.scheme} {request.host}"

    app.add_url_rule("/_echo", "echo", echo)
    return app


FORWARDED = {"X-Forwarded-For": "10.63.6.21", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ketupat.hss.go.id"}


def test_behind_one_proxy_the_forwarded_client_is_the_client(tmp_path):
    client = _app(tmp_path, PROXY_COUNT=1).test_client()
    assert client.get("/_echo", headers=FORWARDED).text == "10.63.6.21 https ketupat.hss.go.id"
    # TRUSTED_NETWORKS judges the forwarded address: the office LAN gets the login page ...
    assert client.get("/", headers=FORWARDED).status_code == 302
    # ... an address outside it (the internet, through the same proxy) gets 403 on intranet pages.
    outside = {**FORWARDED, "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/", headers=outside).status_code == 403
    # Only the proxy's own entry counts: a client's forged first entry is not believed.
    forged = {**FORWARDED, "X-Forwarded-For": "10.63.6.21, 203.0.113.9"}
    assert client.get("/", headers=forged).status_code == 403


@pytest.mark.parametrize("count", [None, 0])
def test_without_proxy_count_the_headers_are_ignored(tmp_path, count):
    config = {} if count is None else {"PROXY_COUNT": count}
    client = _app(tmp_path, **config).test_client()
    assert client.get("/_echo", headers=FORWARDED).text == "127.0.0.1 http localhost"
    assert client.get("/", headers=FORWARDED).status_code == 403      # 127.0.0.1 is not the office LAN


def test_proxy_count_comes_from_the_environment(monkeypatch, tmp_path):
    from webapp.config import Config
    monkeypatch.setenv("PROXY_COUNT", "1")
    assert Config(tmp_path).PROXY_COUNT == 1
    monkeypatch.delenv("PROXY_COUNT")
    assert Config(tmp_path).PROXY_COUNT == 0
