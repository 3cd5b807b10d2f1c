from webapp.extensions import db
import time

from webapp.core.audit import AuditEntry
from webapp.auth.models import User
from webapp.auth.roles import Role
from tests.conftest import PASSWORD


def test_login_page_is_indonesian_and_login_works(client, make_user):
    user = make_user(Role.OPERATOR)
    page = client.get("/masuk").get_data(as_text=True)
    assert "Nama pengguna" in page and "Kata sandi" in page
    resp = client.post_form("/masuk", {"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert user.full_name in home


def test_wrong_password_gives_one_message_for_name_and_password(client, make_user):
    user = make_user()
    wrong_pw = client.post_form("/masuk", {"username": user.username, "password": "salah-sekali-1"})
    no_user = client.post_form("/masuk", {"username": "tidakada", "password": "salah-sekali-1"})
    for resp in (wrong_pw, no_user):
        assert resp.status_code == 200
        assert "Nama pengguna atau kata sandi salah." in resp.get_data(as_text=True)
    # what was typed stays in the form (not the password)
    assert f'value="{user.username}"' in wrong_pw.get_data(as_text=True)


def test_passwords_are_argon2_hashes(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_repeated_failures_slow_the_address_down_with_a_clear_message(app, client, make_user, monkeypatch):
    from datetime import datetime, timezone
    from webapp.auth import services
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))  # a still clock
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user()
    for _ in range(2):
        resp = client.post_form("/masuk", {"username": user.username, "password": "salah-sekali-1"})
        assert "Nama pengguna atau kata sandi salah." in resp.get_data(as_text=True)
    third = client.post_form("/masuk", {"username": user.username, "password": "salah-sekali-1"})
    assert "Terlalu banyak percobaan masuk yang gagal. Tunggu 2 detik" in third.get_data(as_text=True)
    # during the wait even the right password is refused, with how long to wait
    waiting = client.post_form("/masuk", {"username": user.username, "password": PASSWORD})
    assert waiting.status_code == 200
    assert "Tunggu" in waiting.get_data(as_text=True) and "detik" in waiting.get_data(as_text=True)
    assert AuditEntry.query.filter_by(action="login_throttled").count() == 1


def test_login_rate_limit_per_address_has_a_message(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    user = make_user()
    statuses = []
    for _ in range(4):
        resp = client.post_form("/masuk", {"username": user.username, "password": "salah-sekali-1"})
        statuses.append(resp.status_code)
    assert statuses[-1] == 429
    assert "Terlalu banyak percobaan masuk dari alamat ini" in resp.get_data(as_text=True)
    assert f'value="{user.username}"' in resp.get_data(as_text=True)


def test_session_is_renewed_at_login(client, make_user):
    user = make_user()
    client.get("/masuk")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
        before_token = sess.get("csrf_token")
    client.post_form("/masuk", {"username": user.username, "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != before_token
        assert "_user_id" in sess


def test_idle_timeout_sends_back_to_login(app, client, login_as):
    login_as(Role.VIEWER)
    with client.session_transaction() as sess:
        sess["last_seen"] = time.time() - (app.config["SESSION_IDLE_MINUTES"] * 60 + 5)
    resp = client.get("/")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]


def test_a_pages_own_polling_does_not_keep_an_idle_session_alive(app, client, login_as):
    """The menu badge polls every minute; an open tab left alone still logs out when idle, while
    a click (any other request) counts as activity."""
    login_as(Role.KEPALA_DINAS)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess["last_seen"] = seen = time.time() - (idle - 30)   # idle for all but 30 s
    polled = client.get("/permohonan/disposisi/jumlah?nav=1")
    assert polled.status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen"] == seen                       # the poll did not count
        sess["last_seen"] -= 60                                # a minute later: idle
    resp = client.get("/permohonan/disposisi/jumlah?nav=1", headers={"HX-Request": "true"})
    assert resp.status_code in (401, 302)
    assert client.get("/").status_code == 302                   # logged out
    login_as(Role.KEPALA_DINAS)
    with client.session_transaction() as sess:
        sess["last_seen"] = seen = time.time() - (idle - 30)
    assert client.get("/").status_code == 200                   # a page the user opened counts
    with client.session_transaction() as sess:
        assert sess["last_seen"] > seen


def test_absolute_timeout_even_when_active(app, client, login_as):
    login_as(Role.VIEWER)
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - (app.config["SESSION_ABSOLUTE_HOURS"] * 3600 + 5)
    assert client.get("/").status_code == 302


def test_reset_password_forces_change_before_anything_else(client, make_user, login):
    user = make_user(Role.OPERATOR, must_change_password=True)
    login(user)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/akun/kata-sandi")
    weak = client.post_form("/akun/kata-sandi", {"current_password": PASSWORD, "password": "pendek",
                                                 "confirm": "pendek"}, token_from="/akun/kata-sandi")
    assert "minimal 10 karakter" in weak.get_data(as_text=True)
    ok = client.post_form("/akun/kata-sandi", {"current_password": PASSWORD, "password": "sandi-baru-yang-kuat",
                                               "confirm": "sandi-baru-yang-kuat"}, token_from="/akun/kata-sandi")
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user(Role.OPERATOR)
    from tests.conftest import Client
    app.test_client_class = Client
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert c.post_form("/masuk", {"username": user.username, "password": PASSWORD}).status_code == 302
    first.post_form("/akun/kata-sandi", {"current_password": PASSWORD, "password": "sandi-baru-yang-kuat",
                                         "confirm": "sandi-baru-yang-kuat"}, token_from="/akun/kata-sandi")
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302  # the other browser must log in again


def test_logout_needs_post_with_csrf(client, login_as):
    login_as(Role.VIEWER)
    assert client.get("/keluar").status_code == 405
    assert client.post("/keluar").status_code == 400
    assert client.post_form("/keluar", token_from="/").status_code == 302
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, make_user):
    from webapp.auth import services
    user = make_user()
    services.set_active(user, False, actor=None)
    resp = client.post_form("/masuk", {"username": user.username, "password": PASSWORD})
    assert "tidak aktif" in resp.get_data(as_text=True)


def test_users_cli_creates_first_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "kepala", "--role", "admin"], input="sandi-admin-pertama\n")
    assert result.exit_code == 0, result.output
    user = User.query.filter_by(username="kepala").one()
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    weak = runner.invoke(args=["users", "create", "lemah", "--role", "admin"], input="123\n")
    assert weak.exit_code != 0 and "minimal 10 karakter" in weak.output


def test_successful_logins_do_not_use_up_the_address_limit(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    user = make_user()
    for _ in range(5):                                       # a busy desk behind one address
        assert client.post_form("/masuk", {"username": user.username, "password": PASSWORD}).status_code == 302
        client.post_form("/keluar", token_from="/")
