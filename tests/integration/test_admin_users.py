from webapp.extensions import db
from webapp.core.audit import AuditEntry
from webapp.auth.models import User
from webapp.auth.roles import Role


def test_admin_creates_user_who_must_change_password(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form("/admin/pengguna/baru", {
        "username": "petugas.baru", "full_name": "Utuh Saleh", "role": "petugas",
        "password": "sandi-awal-yang-kuat"}, token_from="/admin/pengguna/baru")
    assert resp.status_code == 302
    user = User.query.filter_by(username="petugas.baru").one()
    assert user.must_change_password and user.role == "petugas"
    assert AuditEntry.query.filter_by(action="create", entity_type="user", entity_id=str(user.id)).count() == 1


def test_bad_user_form_keeps_typed_data_and_explains_each_field(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form("/admin/pengguna/baru", {
        "username": "a b", "full_name": "Galuh Aluh", "role": "kepala_desa", "nip": "123",
        "password": "sandi-awal-yang-kuat"}, token_from="/admin/pengguna/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Hanya huruf, angka" in page and "NIP terdiri dari 18 angka" in page
    assert 'value="Galuh Aluh"' in page
    assert User.query.filter_by(full_name="Galuh Aluh").count() == 0


def test_kepala_desa_account_needs_a_desa(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form("/admin/pengguna/baru", {
        "username": "kades.x", "full_name": "Kades X", "role": "kepala_desa", "password": "sandi-awal-yang-kuat"},
        token_from="/admin/pengguna/baru")
    assert "harus terikat pada satu desa" in resp.get_data(as_text=True)


def test_duplicate_username_is_refused_next_to_the_field(client, login_as, make_user):
    make_user(username="sama")
    login_as(Role.ADMIN)
    resp = client.post_form("/admin/pengguna/baru", {
        "username": "sama", "full_name": "Dua", "role": "viewer", "password": "sandi-awal-yang-kuat"},
        token_from="/admin/pengguna/baru")
    assert "Nama pengguna sudah dipakai" in resp.get_data(as_text=True)


def test_admin_deactivates_and_resets(client, login_as, make_user):
    target = make_user(Role.OPERATOR)
    login_as(Role.ADMIN)
    client.post_form(f"/admin/pengguna/{target.id}/status", token_from="/")
    assert db.session.get(User, target.id).active is False
    resp = client.post_form(f"/admin/pengguna/{target.id}/reset-sandi", token_from="/")
    page = resp.get_data(as_text=True)
    assert "Kata sandi sementara" in page
    assert db.session.get(User, target.id).must_change_password


def test_admin_cannot_deactivate_self(client, login_as):
    me = login_as(Role.ADMIN)
    client.post_form(f"/admin/pengguna/{me.id}/status", token_from="/")
    assert db.session.get(User, me.id).active is True


def test_user_list_search_returns_fragment_for_htmx(client, login_as, make_user):
    make_user(full_name="Masliani Husin")
    login_as(Role.ADMIN)
    resp = client.htmx("GET", "/admin/pengguna?q=masliani")
    body = resp.get_data(as_text=True)
    assert "Masliani Husin" in body and "<html" not in body
    full = client.get("/admin/pengguna?q=masliani").get_data(as_text=True)
    assert "<html" in full and "Masliani Husin" in full
