from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.settings import services
from webapp.settings.models import AppSetting


def hx_post(client, url, data):
    # client.htmx() fetches its token from /masuk even when a header is given (it redirects
    # once logged in), so send the htmx headers directly with a token from the home page.
    token = client.csrf_token("/")
    return client.open(url, method="POST", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})


def test_defaults_without_rows(app):
    assert services.get_int("ktp_min_age") == 17
    assert services.get_int("perekaman_min_age") == 17
    assert services.get_int("kia_photo_from_age") == 5
    assert services.get_int("kk_max_members") == 12
    assert services.get_int("birth_report_days") == 60
    assert services.get_int("death_report_days") == 30


def test_admin_sees_the_settings_list(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/pengaturan/").get_data(as_text=True)
    assert "Usia minimal perekaman KTP-el" in page and "Batas pelaporan kelahiran" in page


def test_inline_edit_saves_and_audits(client, login_as):
    login_as(Role.ADMIN)
    form = client.htmx("GET", "/admin/pengaturan/perekaman_min_age").get_data(as_text=True)
    assert 'name="value"' in form and "<html" not in form
    resp = hx_post(client, "/admin/pengaturan/perekaman_min_age", {"value": "16"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Tersimpan." in body and "<html" not in body
    assert services.get_int("perekaman_min_age") == 16
    entry = AuditEntry.query.filter_by(entity_type="setting", entity_id="perekaman_min_age").one()
    assert "17 → 16" in entry.summary


def test_bad_values_are_explained_and_not_saved(client, login_as):
    login_as(Role.ADMIN)
    for typed, message in [("abc", "bilangan bulat"), ("-3", "antara 10 dan 25"), ("99999999999999999999", "antara 10 dan 25"),
                           ("", "Isi nilai"), ("16.5", "bilangan bulat")]:
        resp = hx_post(client, "/admin/pengaturan/ktp_min_age", {"value": typed})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422 and message in body, (typed, body)
        assert f'value="{typed}"' in body
    assert db.session.get(AppSetting, "ktp_min_age") is None
    assert services.get_int("ktp_min_age") == 17


def test_plain_form_post_without_htmx(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form("/admin/pengaturan/kk_max_members", {"value": "15"}, token_from="/admin/pengaturan/")
    assert resp.status_code == 302
    assert services.get_int("kk_max_members") == 15
    resp = client.post_form("/admin/pengaturan/kk_max_members", {"value": "1"}, token_from="/admin/pengaturan/")
    assert resp.status_code == 422 and "antara 2 dan 50" in resp.get_data(as_text=True)
    assert services.get_int("kk_max_members") == 15


def test_unknown_setting_is_404_and_other_roles_are_refused(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/pengaturan/tidak_ada").status_code == 404
    assert hx_post(client, "/admin/pengaturan/tidak_ada", {"value": "1"}).status_code == 404


def test_kabid_cannot_change_settings(client, login_as):
    login_as(Role.KABID_DAFDUK)
    assert client.get("/admin/pengaturan/").status_code == 403
    assert hx_post(client, "/admin/pengaturan/ktp_min_age", {"value": "16"}).status_code == 403
    assert services.get_int("ktp_min_age") == 17


def test_edit_link_without_htmx_shows_the_whole_page(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/pengaturan/birth_report_days").get_data(as_text=True)
    assert "<html" in page and 'id="value-birth_report_days"' in page and 'value="60"' in page
