from webapp.auth.roles import Role
from tests.conftest import PASSWORD


def test_form_post_without_csrf_token_is_refused_with_400(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post("/admin/pengguna/baru", data={"username": "x", "full_name": "X", "role": "viewer"})
    assert resp.status_code == 400
    assert "Halaman kedaluwarsa" in resp.get_data(as_text=True)


def test_htmx_post_without_csrf_token_is_refused_with_400_and_a_relogin_prompt(client, login_as):
    login_as(Role.ADMIN)
    resp = client.htmx("POST", "/admin/pengguna/baru", csrf=False, data={"username": "x"})
    assert resp.status_code == 400
    assert resp.headers["HX-Retarget"] == "#modal"
    assert "relogin-dialog" in resp.get_data(as_text=True)


def test_htmx_request_with_token_in_header_is_accepted(client, login_as):
    login_as(Role.ADMIN)
    token = client.csrf_token("/")
    resp = client.htmx("POST", "/admin/pengguna/baru", csrf=False, headers={"X-CSRFToken": token},
                       data={"username": "baru.satu", "full_name": "Baru", "role": "viewer",
                             "password": "sandi-awal-yang-kuat"})
    assert resp.status_code == 302


def test_expired_session_during_htmx_work_prompts_relogin_and_renews_token(client, make_user, login):
    user = login(make_user(Role.ADMIN))
    with client.session_transaction() as sess:
        sess.clear()  # the session expired while the user was typing
    resp = client.htmx("GET", "/admin/pengguna?q=abc", csrf=False)
    assert resp.status_code == 401
    assert resp.headers["HX-Retarget"] == "#modal"
    body = resp.get_data(as_text=True)
    assert "Sesi Anda telah berakhir" in body
    import re
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    again = client.post("/masuk/ulang", data={"csrf_token": token, "username": user.username, "password": PASSWORD},
                        headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert "kp:session-renewed" in again.headers["HX-Trigger"]
    assert client.htmx("GET", "/admin/pengguna?q=abc", csrf=False).status_code == 200
