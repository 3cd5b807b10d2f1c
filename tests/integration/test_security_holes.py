"""The holes the security probe found (issue 7 §3), each closed and kept closed by a test.

Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL=postgresql://…)."""
from __future__ import annotations

import io
import os
import re
import stat
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from tests.conftest import PASSWORD, Client
from tests.integration.test_requests_workflow import PDF, letter_form, make_request  # noqa: F401 (fixture)
from webapp.auth import services as auth_services
from webapp.auth import throttle
from webapp.auth.models import LoginSession, LoginThrottle
from webapp.auth.roles import Role
from webapp.auth.throttle import ThrottlePolicy
from webapp.core.audit import AuditEntry
from webapp.core.authz import PUBLIC_ATTR, ROLES_ATTR
from webapp.core.changes import audit
from webapp.extensions import db
from webapp.requests.models import RequestResident, VillageRequest

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def still_clock(monkeypatch, at=T0):
    """The login service's clock, stopped: no assertion depends on how fast the test runs."""
    monkeypatch.setattr(auth_services, "utcnow", lambda: at)


# --- 1. logout ends the login on the server ----------------------------------------------------

def test_a_cookie_replayed_after_logout_is_sent_to_the_login_page(client, login_as):
    login_as(Role.OPERATOR)
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("kp_session").value
    assert client.post_form("/keluar", token_from="/").status_code == 302

    client.set_cookie("kp_session", cookie)          # an attacker who copied the cookie
    resp = client.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/masuk"
    assert LoginSession.query.one().ended_at is not None


def test_logout_ends_this_login_only_not_the_other_devices(app, make_user):
    user = make_user(Role.OPERATOR)
    app.test_client_class = Client
    office_pc, phone = app.test_client(), app.test_client()
    for device in (office_pc, phone):
        assert device.post_form("/masuk", {"username": user.username, "password": PASSWORD}).status_code == 302
    office_pc.post_form("/keluar", token_from="/")
    assert office_pc.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_a_cookie_replayed_after_an_idle_timeout_is_refused_too(app, client, login_as):
    login_as(Role.VIEWER)
    cookie = client.get_cookie("kp_session").value
    with client.session_transaction() as sess:
        sess["last_seen"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 5
    stale = client.get_cookie("kp_session").value
    assert client.get("/").status_code == 302          # timed out: the login row is ended
    for replay in (cookie, stale):
        client.set_cookie("kp_session", replay)
        assert client.get("/").status_code == 302


# --- 2. next= never leaves the site, never fails -----------------------------------------------

NASTY_NEXT = [
    "/\t/evil.example/", "/%09/evil.example/", "//evil.example/", "///evil.example/", "/\\evil.example/",
    "\\\\evil.example/", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
    "/%2F%2Fevil.example/", "/%252F%252Fevil.example/", "/%5Cevil.example/", "/%5C%5Cevil.example/",
    "/\r\nSet-Cookie: kp=1", "/%0D%0ALocation: https://evil.example/", "/\nevil", " /evil", "/ /evil",
    "/\u3000/evil.example/", "/\u200b/evil.example/", "/%E2%80%8B/evil.example/", "/\x00/evil.example/",
    "\x00//evil.example/", "/%00/evil",
    "evil.example", "", "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", NASTY_NEXT)
def test_login_never_redirects_off_site_nor_fails(client, make_user, target):
    user = make_user()
    page = client.get("/masuk", query_string={"next": target})
    assert page.status_code == 200
    resp = client.post_form("/masuk", {"username": user.username, "password": PASSWORD, "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", NASTY_NEXT)
def test_language_switch_never_redirects_off_site_nor_fails(client, target):
    resp = client.post_form("/bahasa", {"lang": "en", "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_a_local_next_is_still_followed(client, make_user):
    user = make_user(Role.OPERATOR)
    target = "/permohonan/?q=budi%20santoso&status=baru"
    resp = client.post_form("/masuk", {"username": user.username, "password": PASSWORD, "next": target})
    assert resp.headers["Location"] == target
    assert client.post_form("/bahasa", {"lang": "id", "next": "/permohonan/"}).headers["Location"] == "/permohonan/"


# --- 3. failed logins: slowed down, never a lockout, names not revealed --------------------------

POLICY = ThrottlePolicy(free_failures=3, max_wait=timedelta(seconds=60), forget_after=timedelta(hours=24),
                        account_free_failures=6, account_max_wait=timedelta(seconds=10),
                        account_window=timedelta(hours=1))


def attempt(username, password, *, address="10.1.1.1", at=T0):
    """The message the login form would show, or "ok"."""
    try:
        auth_services.authenticate(username, password, address=address, policy=POLICY, now=at)
    except auth_services.LoginError as error:
        return str(error.message)
    return "ok"


def test_unknown_and_real_names_get_exactly_the_same_answers(app, make_user):
    user = make_user()
    real = [attempt(user.username, "salah-sekali-1") for _ in range(5)]
    unknown = [attempt("tidak.ada", "salah-sekali-1") for _ in range(5)]
    assert real == unknown
    assert real[:2] == ["Nama pengguna atau kata sandi salah."] * 2
    assert real[2] == real[3] == "Terlalu banyak percobaan masuk yang gagal. Tunggu 2 detik, lalu coba lagi."
    assert all(user.username not in message for message in real)


def test_the_wait_doubles_per_failure_and_is_capped(app, make_user):
    user = make_user()
    at, waits = T0, []
    for _ in range(10):
        message = attempt(user.username, "salah-sekali-1", at=at)
        wait = throttle.wait_before_attempt(throttle.account_key(user.username), "10.1.1.1", now=at)
        waits.append(int(wait.total_seconds()))
        assert "Tunggu" in message or message == "Nama pengguna atau kata sandi salah."
        at += wait                                 # the guesser waits exactly as long as told
    assert waits == [0, 0, 2, 4, 8, 16, 32, 60, 60, 60]
    # during a wait even the right password is refused, and the refusal does not count
    assert attempt(user.username, PASSWORD, at=at - timedelta(seconds=1)).startswith("Terlalu banyak")
    assert attempt(user.username, PASSWORD, at=at) == "ok"


def test_the_owner_on_another_address_is_not_blocked(app, make_user):
    user = make_user()
    for _ in range(5):
        attempt(user.username, "salah-sekali-1", address="203.0.113.9")
    assert attempt(user.username, PASSWORD, address="203.0.113.9").startswith("Terlalu banyak")
    assert attempt(user.username, PASSWORD, address="10.1.1.20") == "ok"


def test_failures_from_many_addresses_only_slow_the_account_down(app, make_user):
    user = make_user()
    at = T0
    for n in range(30):                            # a botnet, each address failing once
        attempt(user.username, "salah-sekali-1", address=f"198.51.100.{n}", at=at)
        at += timedelta(seconds=10)                # waiting out the account-wide wait each time
    owner_at = at - timedelta(seconds=10)
    assert attempt(user.username, PASSWORD, address="10.1.1.20", at=owner_at).startswith("Terlalu banyak")
    assert attempt(user.username, PASSWORD, address="10.1.1.20",
                   at=owner_at + POLICY.account_max_wait) == "ok"      # a short wait, never a lockout


def test_a_success_starts_the_pair_afresh(app, make_user):
    user = make_user()
    attempt(user.username, "salah-sekali-1")
    attempt(user.username, "salah-sekali-1")
    assert attempt(user.username, PASSWORD) == "ok"
    assert attempt(user.username, "salah-sekali-1") == "Nama pengguna atau kata sandi salah."
    assert attempt(user.username, "salah-sekali-1") == "Nama pengguna atau kata sandi salah."


def test_counts_live_in_the_database_without_the_typed_names(app, make_user):
    attempt("Budi.Typo", "salah-sekali-1")
    rows = LoginThrottle.query.all()
    assert {row.address for row in rows} == {"10.1.1.1", throttle.EVERY_ADDRESS}
    assert all("budi" not in row.account_key.lower() for row in rows)
    assert rows[0].account_key == throttle.account_key("budi.typo")      # case-insensitive, like the login


def test_an_admin_reset_lets_the_owner_in_at_once(app, make_user):
    user = make_user()
    for _ in range(4):
        attempt(user.username, "salah-sekali-1")
    temporary = auth_services.reset_password(user, actor=None)
    db.session.commit()
    assert attempt(user.username, temporary) == "ok"


def test_the_login_form_answers_alike_for_unknown_and_real_names(app, client, make_user, monkeypatch):
    still_clock(monkeypatch)
    app.config["LOGIN_MAX_FAILURES"] = 2
    user = make_user()

    def messages(username):
        out = []
        for _ in range(3):
            page = client.post_form("/masuk", {"username": username, "password": "salah-sekali-1"})
            assert page.status_code == 200
            out.append(re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', page.get_data(as_text=True),
                                  re.S))
        return out

    assert messages(user.username) == messages("tidak.ada")
    assert LoginThrottle.query.count() == 4          # both names × (this address, every address)


def test_the_admin_list_marks_slowed_accounts(app, client, make_user, login_as, monkeypatch):
    still_clock(monkeypatch)                     # the admin page looks at the waits at T0 too
    user = make_user(Role.OPERATOR)
    for _ in range(5):
        attempt(user.username, "salah-sekali-1")
    db.session.commit()
    login_as(Role.ADMIN)
    page = client.get("/admin/pengguna").get_data(as_text=True)
    row = page[page.index(f">{user.username}<"):][:800]
    assert "diperlambat" in row


# --- 4. the audit log refuses REPLACE / UPSERT too -------------------------------------------------

def _one_audit_row():
    audit("view", summary="asli")
    db.session.commit()
    return db.session.execute(text("SELECT id, at, node FROM audit_log")).one()


def test_audit_rows_cannot_be_replaced_nor_upserted(app):
    row = _one_audit_row()
    dialect = db.engine.dialect.name
    values = "(:id, :at, 'penyusup', 'view', 'ditimpa', :node)"
    columns = "(id, at, actor_name, action, summary, node)"
    statements = [f"INSERT INTO audit_log {columns} VALUES {values} "
                  "ON CONFLICT (id) DO UPDATE SET summary = 'ditimpa'"]
    if dialect == "sqlite":
        statements += [f"INSERT OR REPLACE INTO audit_log {columns} VALUES {values}",
                       f"REPLACE INTO audit_log {columns} VALUES {values}"]
    for statement in statements:
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement), {"id": row.id, "at": row.at, "node": row.node})
    assert db.session.execute(text("SELECT summary FROM audit_log")).scalars().all() == ["asli"]


def test_sqlite_connections_fire_delete_triggers_on_replace(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA recursive_triggers")).scalar() == 1


def test_a_migrated_database_refuses_replace_too(tmp_path):
    from flask_migrate import upgrade

    from tests.integration.test_migrations import _empty_database_url
    from webapp import create_app

    url, cleanup = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            row = _one_audit_row()
            statements = ["INSERT INTO audit_log (id, at, actor_name, action, summary, node) "
                          "VALUES (:id, :at, 'x', 'view', 'ditimpa', :node) "
                          "ON CONFLICT (id) DO UPDATE SET summary = 'ditimpa'"]
            if db.engine.dialect.name == "sqlite":
                statements.append("INSERT OR REPLACE INTO audit_log (id, at, actor_name, action, summary, node) "
                                  "VALUES (:id, :at, 'x', 'view', 'ditimpa', :node)")
            for statement in statements:
                with pytest.raises(Exception, match="append-only"):
                    with db.engine.begin() as conn:
                        conn.execute(text(statement), {"id": row.id, "at": row.at, "node": row.node})
            db.session.remove()
            db.engine.dispose()
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


# --- 5. extreme filter values on every list page -------------------------------------------------

EXTREME_VALUES = ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "garbage", "-3000000", "0", "-1",
                  "99999999999999999999999999", "1e309", "NaN", "\x00", "a\x00b", "%00", "' OR 1=1 --",
                  "６３０６", "x" * 5000]
KNOWN_FILTERS = {"q", "page", "hal", "status", "date_from", "date_to", "umur", "jenis", "aturan", "desa",
                 "kecamatan", "actor", "action", "entity_type", "role", "kind", "condition", "in_service",
                 "stock_code", "trip_id", "when", "fakta", "kawin", "nav", "r", "snapshot", "tipe"}


def _list_pages(app):
    """GET routes without URL arguments (the list pages and their filters), with a role allowed."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static" \
                or getattr(view, PUBLIC_ATTR, False):
            continue
        allowed = getattr(view, ROLES_ATTR)
        role = next((r for r in (Role.ADMIN, Role.KEPALA_DINAS, Role.KABID_DAFDUK, *Role) if r in allowed), None)
        if role is not None:
            yield role, rule.rule


def test_every_list_page_survives_extreme_filter_values(app, client, login_as):
    by_role: dict[Role, list[str]] = {}
    for role, path in _list_pages(app):
        by_role.setdefault(role, []).append(path)
    checked = 0
    for role, paths in by_role.items():
        login_as(role)
        for path in paths:
            page = client.get(path)
            names = set(re.findall(r'name="([^"]+)"', page.get_data(as_text=True))) - {"csrf_token"}
            for value in EXTREME_VALUES:
                query = {name: value for name in names | KNOWN_FILTERS}
                for headers in ({}, {"HX-Request": "true"}):
                    resp = client.get(path, query_string=query, headers=headers)
                    assert resp.status_code < 500, (path, value, resp.status_code)
                    checked += 1
    assert checked > 100


def test_out_of_range_dates_and_ages_are_clamped_and_shown(client, login_as):
    login_as(Role.ADMIN)
    audit_log = client.get("/admin/audit/", query_string={"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert audit_log.status_code == 200
    body = audit_log.get_data(as_text=True)
    assert 'value="1900-01-01"' in body and 'value="2100-12-31"' in body     # the filter actually applied


def test_case_list_with_an_absurd_age_filter(client, login_as):
    login_as(Role.KEPALA_DINAS)
    for age in ("-3000000", "3000000", "99999999999999999999"):
        assert client.get("/kualitas/kasus", query_string={"umur": age}).status_code == 200


# --- 6. NUL characters never reach the database --------------------------------------------------

def test_nul_characters_are_dropped_from_every_form(client, login_as):
    login_as(Role.OPERATOR)
    resp = client.post_form("/permohonan/baru", letter_form(letter_number="140/\x00031/DS", notes="Mohon\x00 ya",
                                                            location="Balai\x00 Desa"),
                            token_from="/permohonan/baru")
    assert resp.status_code == 302
    req = VillageRequest.query.one()
    assert (req.letter_number, req.notes, req.location) == ("140/031/DS", "Mohon ya", "Balai Desa")


def test_nul_characters_are_dropped_from_htmx_rows_and_query_strings(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    resp = client.htmx("POST", f"/permohonan/{req.id}/warga", csrf=False,
                       headers={"X-CSRFToken": client.csrf_token("/")},
                       data={"name": "Aluh\x00 Galuh", "nik": "", "no_kk": "", "sex": "P", "birth_date": "2022-05-01",
                             "phone": "", "note": "catatan\x00", "services": ["AKTA_LAHIR:baru"]})
    assert resp.status_code == 200
    resident = RequestResident.query.one()
    assert (resident.name, resident.note) == ("Aluh Galuh", "catatan")
    assert client.get("/permohonan/", query_string={"q": "Aluh\x00"}).status_code == 200
    assert client.get("/admin/audit/", query_string={"actor": "\x00"}).status_code in (200, 403)


def test_every_form_class_is_a_base_form(app):
    from flask_wtf import FlaskForm

    from webapp.core.forms import BaseForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("webapp.")]
    assert ours and [cls.__qualname__ for cls in ours if not issubclass(cls, BaseForm)] == []


# --- 7. files on disk are the app user's only ----------------------------------------------------

def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_instance_folder_and_uploads_are_private(tmp_path):
    from webapp import create_app
    from webapp.files import services as files

    db_file = tmp_path / "data" / "ketupat.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}", "UPLOAD_FOLDER": str(tmp_path / "files")})
    with app.app_context():
        db.create_all()
        stored = files.store_bytes(PDF, mime_type=files.PDF)
        db.session.commit()
        path = files.path_of(stored.sha256)
        with db.engine.connect() as conn:            # an open connection: -wal and -shm exist
            conn.execute(text("SELECT 1"))
            wal, shm = db_file.with_name(db_file.name + "-wal"), db_file.with_name(db_file.name + "-shm")
            assert wal.exists() and shm.exists()
            assert {p.name: _mode(p) for p in (db_file, wal, shm)} == {p.name: 0o600 for p in (db_file, wal, shm)}
        assert _mode(app.instance_path) == 0o700
        assert _mode(db_file.parent) == 0o700
        assert _mode(tmp_path / "files") == 0o700 and _mode(path.parent) == 0o700
        assert _mode(path) == 0o600
        db.session.remove()
        db.engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    from webapp import create_app

    db_file = tmp_path / "old.sqlite"
    db_file.touch()
    db_file.chmod(0o644)
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}", "UPLOAD_FOLDER": str(tmp_path / "f")})
    assert _mode(db_file) == 0o600


# --- 9. stored files are served under a safe name -------------------------------------------------

def test_a_letter_is_served_under_a_name_from_its_sniffed_type(client, login_as):
    login_as(Role.OPERATOR)
    resp = client.post_form("/permohonan/baru", {**letter_form(), "letter_file": (io.BytesIO(PDF), "poly.html")},
                            token_from="/permohonan/baru", content_type="multipart/form-data")
    assert resp.status_code == 302
    req = VillageRequest.query.one()
    for url, name in ((f"/permohonan/{req.id}/surat", f"surat-{req.number}.pdf"),
                      (f"/berkas/{req.letter_file_id}", f"berkas-{req.letter_file.id.hex[:8]}.pdf")):
        served = client.get(url)
        assert served.status_code == 200 and served.data == PDF
        assert served.headers["Content-Type"] == "application/pdf"
        assert served.headers["Content-Disposition"] == f"inline; filename={name}"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "poly" not in served.headers["Content-Disposition"]


def test_a_stored_file_of_another_type_is_an_attachment_with_a_bin_name(app):
    from webapp.files import services as files
    from webapp.files.download import safe_download_name, send_stored

    stored = files.store_bytes(b"PK\x03\x04 not a letter", mime_type=files.ZIP)
    db.session.flush()
    assert safe_download_name(stored, "../../etc/passwd <script>") == "etc-passwd-script.bin"
    with app.test_request_context():
        resp = send_stored(stored, download_name="daftar.html")
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"] == "attachment; filename=daftar.bin"


# --- 10. a letter over the hard request limit: the form again, typed data kept -----------------------

def test_a_letter_over_the_request_limit_keeps_what_was_typed(app, client, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024           # the hard ceiling, made small for the test
    login_as(Role.OPERATOR)
    big = PDF + b"0" * (512 * 1024)
    resp = client.post_form("/permohonan/baru", {**letter_form(letter_number="140/777/DS-LKS/2026",
                                                               notes="Mohon dilayani hari Sabtu."),
                                                 "letter_file": (io.BytesIO(big), "surat-besar.pdf")},
                            token_from="/permohonan/baru", content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert 'value="140/777/DS-LKS/2026"' in body and "Mohon dilayani hari Sabtu." in body
    file_field = body[body.index('name="letter_file"') - 600:body.index('name="letter_file"') + 600]
    assert "Ukuran berkas maksimal 5 MB." in file_field
    assert VillageRequest.query.count() == 0


def test_an_edited_letter_over_the_request_limit_keeps_what_was_typed(app, client, make_user, login,
                                                                     make_request):
    operator = make_user(Role.OPERATOR)
    req = make_request(actor=operator)
    app.config["MAX_CONTENT_LENGTH"] = 128 * 1024
    login(operator)
    edit = f"/permohonan/{req.id}/ubah"
    resp = client.post_form(edit, {**letter_form(letter_number="140/888/DS-LKS/2026"),
                                   "letter_file": (io.BytesIO(PDF + b"0" * (256 * 1024)), "s.pdf")},
                            token_from=edit, content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413 and 'value="140/888/DS-LKS/2026"' in body and "maksimal 5 MB" in body
    assert db.session.get(VillageRequest, req.id).letter_number != "140/888/DS-LKS/2026"


def test_an_oversized_post_without_a_valid_token_gets_the_plain_answer(app, client, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login_as(Role.OPERATOR)
    resp = client.post("/permohonan/baru", data={**letter_form(), "csrf_token": "palsu",
                                                 "letter_file": (io.BytesIO(PDF + b"0" * 100_000), "s.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and "140/031" not in resp.get_data(as_text=True)


def test_an_oversized_post_by_a_stranger_is_sent_to_login(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    token = client.csrf_token()
    resp = client.post("/permohonan/baru", data={**letter_form(), "csrf_token": token,
                                                 "letter_file": (io.BytesIO(PDF + b"0" * 100_000), "s.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]


# --- 11. the inline edit row shows full numbers: audited ------------------------------------------

def test_opening_a_resident_edit_row_is_audited(client, login_as, make_request):
    req = make_request()
    resident = next(r for r in req.residents if r.nik)
    login_as(Role.OPERATOR)
    before = AuditEntry.query.filter_by(action="view", entity_type="request_resident").count()
    row = client.htmx("GET", f"/permohonan/{req.id}/warga/{resident.id}/ubah")
    assert row.status_code == 200 and resident.nik in row.get_data(as_text=True)
    entries = AuditEntry.query.filter_by(action="view", entity_type="request_resident").all()
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.entity_id == str(resident.id) and req.number in entry.summary
    assert resident.nik not in entry.summary


def test_account_keys_are_keyed_by_the_secret(app):
    first = throttle.account_key("operator1")
    app.config["SECRET_KEY"] = "another-secret"
    assert throttle.account_key("operator1") != first and len(first) == 64
