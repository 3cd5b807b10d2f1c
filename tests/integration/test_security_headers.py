import pytest

from webapp.auth.roles import Role

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _check(resp):
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, name
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "connect-src 'self' ws://127.0.0.1:8765" in csp  # only self and the local agent


@pytest.mark.parametrize("path", ["/masuk", "/sehat", "/tidak-ada", "/static/css/app.css", "/"])
def test_security_headers_on_anonymous_responses(client, path):
    _check(client.get(path))


def test_security_headers_on_logged_in_pages_and_errors(client, login_as):
    login_as(Role.VIEWER)
    for path in ("/", "/admin/pengguna", "/tidak-ada"):
        resp = client.get(path)
        _check(resp)
        assert resp.headers["Cache-Control"] == "no-store"
    _check(client.post("/keluar"))  # a CSRF refusal too


def test_pages_have_no_inline_script_or_style(client, login_as):
    login_as(Role.ADMIN)
    for path in ("/masuk", "/", "/admin/pengguna", "/admin/pengguna/baru", "/admin/audit/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page and " on" + "click=" not in page
