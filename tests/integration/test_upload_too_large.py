"""Every upload over the hard request limit answers with its form again (413), the size message
next to the file field, not a bare error page (webapp/files/oversize.py): the resident list on
the request page and the register export, as the letter scan already did
(tests/integration/test_security_holes.py)."""
from __future__ import annotations

import io

from tests.integration.test_requests_workflow import make_request  # noqa: F401 (fixture)
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.quality.models import RegisterImport
from webapp.requests.models import VillageRequest


def near_field(body: str, name: str) -> str:
    at = body.index(f'name="{name}"')
    return body[at - 600:at + 600]


def test_a_resident_list_over_the_request_limit_shows_the_request_page_with_the_message(
        app, client, login_as, make_request):
    req = make_request()
    residents_before = len(req.residents)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024            # the hard ceiling, made small for the test
    login_as(Role.OPERATOR)
    page = f"/permohonan/{req.id}"
    resp = client.post_form(f"{page}/warga/impor", {"resident_file": (io.BytesIO(b"nama,nik\n" * 20_000), "warga.csv")},
                            token_from=page, content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert req.number in body                               # the request page, not the bare error page
    assert "Ukuran berkas daftar warga maksimal 2 MB." in near_field(body, "resident_file")
    assert 'data-testid="import-summary"' in body
    assert len(db.session.get(VillageRequest, req.id).residents) == residents_before


def test_a_resident_list_over_the_limit_without_a_valid_token_gets_the_plain_answer(
        app, client, login_as, make_request):
    req = make_request()
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login_as(Role.OPERATOR)
    resp = client.post(f"/permohonan/{req.id}/warga/impor",
                       data={"csrf_token": "palsu", "resident_file": (io.BytesIO(b"x" * 100_000), "warga.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and req.number not in resp.get_data(as_text=True)


def test_a_resident_list_over_the_limit_of_another_village_is_not_found(app, client, login_as, make_request):
    req = make_request(desa_code="63.06.01.2001")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login_as(Role.KEPALA_DESA)                               # Loksado's head: not this village's request
    token = client.csrf_token("/permohonan/")
    resp = client.post(f"/permohonan/{req.id}/warga/impor",
                       data={"csrf_token": token, "resident_file": (io.BytesIO(b"x" * 100_000), "warga.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 404 and req.number not in resp.get_data(as_text=True)


def test_a_register_export_over_the_request_limit_shows_the_upload_form_with_the_message(
        app, client, login_as):
    app.config["QUALITY_IMPORT_MAX_BYTES"] = 1024 * 1024    # the route raises its limit to this + 1 MB
    login_as(Role.OPERATOR)
    token = client.csrf_token("/kualitas/impor")
    resp = client.post("/kualitas/impor",
                       data={"csrf_token": token, "file": (io.BytesIO(b"NIK\n" + b"x" * (3 * 1024 * 1024)), "siak.csv")},
                       content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "Impor register penduduk" in body and "Riwayat impor" in body   # the upload page itself
    assert "Berkas terlalu besar: batasnya 1 MB." in near_field(body, "file")
    assert RegisterImport.query.count() == 0


def test_a_register_export_over_the_limit_by_a_stranger_is_sent_to_login(app, client):
    app.config["QUALITY_IMPORT_MAX_BYTES"] = 1024 * 1024
    token = client.csrf_token()
    resp = client.post("/kualitas/impor",
                       data={"csrf_token": token, "file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "siak.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and "/masuk" in resp.headers["Location"]
    assert RegisterImport.query.count() == 0


def test_a_register_export_above_the_app_wide_limit_but_within_its_own_is_imported(app, client, login_as,
                                                                                   tmp_path):
    """The export's route has its own, higher limit; it holds before any hook reads the body
    (the NUL filter and the CSRF check parse forms before the view runs)."""
    from webapp.synthetic import generate_register, write_siak_csv
    path = tmp_path / "ekspor.csv"
    write_siak_csv(generate_register(200, seed=3).records, path)
    app.config["MAX_CONTENT_LENGTH"] = path.stat().st_size // 4          # the app-wide ceiling, far below
    login_as(Role.OPERATOR)
    token = client.csrf_token("/kualitas/impor")
    with open(path, "rb") as fh:
        resp = client.post("/kualitas/impor", data={"csrf_token": token, "file": (fh, "ekspor.csv")},
                           content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert RegisterImport.query.one().status == "selesai"
