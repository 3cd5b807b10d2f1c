"""An XLSX that inflates far beyond its size on the wire (a zip bomb) is refused with a clear
message before any spreadsheet parser opens it, through both importers: the register import
(webapp/quality) and the resident list of a village request (webapp/requests)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage

from tests.integration.test_requests_workflow import make_request  # noqa: F401 (fixture)
from tests.xlsx_files import inflated_size, parser_calls, zip_bomb_xlsx  # noqa: F401 (fixture)
from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.core.web import UNPROCESSABLE
from webapp.extensions import db
from webapp.quality import importer, services as quality_services
from webapp.quality.models import RegisterImport
from webapp.quality.siak import SIAK_COLUMNS, SiakFileError, read_siak
from webapp.requests import services as request_services
from webapp.requests.importer import read_resident_file
from webapp.requests.models import RequestResident, VillageRequest
from webapp.synthetic import generate_register, write_siak_csv

SIAK_HEADER = list(SIAK_COLUMNS) + ["KODE_DESA"]
SIAK_ROW = ["6306101708850012", "6306100101100001", "AHMAD JUMBERI", "1", "KANDANGAN", "17-08-1985",
            "2", "1", "SITI AMINAH", "UDIN", "JL. MERATUS", "001", "002", "63.06.10.2001"]
RESIDENT_HEADER = ["nama", "nik", "no_kk", "jenis_kelamin", "tanggal_lahir", "layanan", "keterangan"]
RESIDENT_ROW = ["Anang Basri", "", "", "L", "12-04-2009", "KTP_EL:baru", ""]


@pytest.fixture(scope="module")
def register_bomb() -> bytes:
    data = zip_bomb_xlsx(SIAK_HEADER, SIAK_ROW)
    assert inflated_size(data) > 100 * len(data)
    return data


@pytest.fixture(scope="module")
def resident_bomb() -> bytes:
    data = zip_bomb_xlsx(RESIDENT_HEADER, RESIDENT_ROW)
    assert len(data) < 2 * 1024 * 1024 < inflated_size(data)   # inside the upload limit
    return data


def resident_list_xlsx(rows: int) -> bytes:
    workbook = Workbook()
    workbook.active.append(RESIDENT_HEADER)
    for i in range(rows):
        workbook.active.append([f"Warga {i}", "", "", "P", "05-01-1990", "KTP_EL:baru", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "register-imports"


# --- register import ---------------------------------------------------------------------------


def test_the_register_reader_refuses_a_bomb_before_opening_it(app, register_bomb, parser_calls):
    with pytest.raises(SiakFileError) as info:
        read_siak(register_bomb, filename="ekspor.xlsx")
    assert info.value.code == "archive" and "bom zip" in info.value.message
    assert parser_calls == []


def test_a_bomb_upload_is_refused_on_the_field_and_nothing_is_queued(client, login_as, app, register_bomb,
                                                                     parser_calls):
    login_as(Role.OPERATOR)
    token = client.csrf_token("/kualitas/impor")
    resp = client.post("/kualitas/impor",
                       data={"csrf_token": token, "file": (io.BytesIO(register_bomb), "ekspor-siak.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == UNPROCESSABLE                  # the form again, nothing kept
    assert "bom zip" in resp.get_data(as_text=True)
    assert RegisterImport.query.count() == 0
    assert not list(upload_folder(app).glob("*"))            # the stored upload is removed again
    assert parser_calls == []


def test_create_import_raises_a_domain_error_on_the_upload_field(app, make_user, register_bomb, parser_calls):
    upload = FileStorage(stream=io.BytesIO(register_bomb), filename="ekspor.xlsx")
    with pytest.raises(DomainError) as info:
        importer.create_import(upload, actor=make_user(Role.OPERATOR))
    assert info.value.field == "file" and "bom zip" in str(info.value.message)
    assert RegisterImport.query.count() == 0
    assert parser_calls == []


def test_a_bomb_given_to_the_import_itself_fails_it_and_leaves_the_register_as_it_was(
        app, tmp_path, register_bomb, parser_calls):
    register_csv = tmp_path / "siak.csv"
    write_siak_csv(generate_register(120, seed=3).records, register_csv)
    assert importer.import_file(register_csv, scan=False).status == "selesai"
    snapshot = quality_services.current_snapshot_id()
    bomb = tmp_path / "ekspor.xlsx"
    bomb.write_bytes(register_bomb)
    outcome = importer.import_file(bomb, scan=False)                 # the CLI / job path
    assert outcome.status == "gagal" and "bom zip" in outcome.error
    assert quality_services.current_snapshot_id() == snapshot
    assert parser_calls == []


def test_the_register_size_limit_comes_from_the_config(app, tmp_path):
    from webapp.synthetic import write_siak_xlsx

    path = tmp_path / "ekspor.xlsx"
    write_siak_xlsx(generate_register(60, seed=4).records, path)
    assert len(list(read_siak(path))) > 0                          # fine with the defaults
    app.config["REGISTER_XLSX_MAX_UNCOMPRESSED_BYTES"] = inflated_size(path.read_bytes()) // 2
    with pytest.raises(SiakFileError) as info:
        read_siak(path)
    assert info.value.code == "archive" and "batasnya" in info.value.message


# --- resident list of a request ----------------------------------------------------------------


def upload_residents(client, req, content: bytes, name="daftar.xlsx"):
    return client.post_form(f"/permohonan/{req.id}/warga/impor",
                            {"resident_file": (io.BytesIO(content), name)},
                            token_from=f"/permohonan/{req.id}", content_type="multipart/form-data")


def test_reading_a_resident_bomb_raises_a_domain_error_on_the_upload_field(app, resident_bomb, parser_calls):
    with pytest.raises(DomainError) as info:
        read_resident_file(resident_bomb, "daftar.xlsx")
    assert info.value.field == "resident_file" and "bom zip" in str(info.value.message)
    assert parser_calls == []


def test_import_residents_refuses_a_bomb_and_adds_nobody(app, make_user, make_request, resident_bomb,
                                                          parser_calls):
    req = make_request(residents=[])
    with pytest.raises(DomainError):
        request_services.import_residents(req, resident_bomb, "daftar.xlsx", actor=make_user(Role.OPERATOR))
    db.session.rollback()
    assert db.session.get(VillageRequest, req.id).residents == []
    assert parser_calls == []


def test_a_resident_bomb_upload_shows_the_message_on_the_field(client, login_as, make_request, resident_bomb,
                                                               parser_calls):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    resp = upload_residents(client, req, resident_bomb)
    page = resp.get_data(as_text=True)
    assert resp.status_code == UNPROCESSABLE and "bom zip" in page
    assert "maksimal 2 MB" not in page                       # not mistaken for the size limit
    assert RequestResident.query.count() == 0
    assert parser_calls == []


def test_the_resident_list_size_limit_comes_from_the_config(client, login_as, make_request, app):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    content = resident_list_xlsx(300)
    app.config["RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES"] = inflated_size(content) // 2
    resp = upload_residents(client, req, content)
    assert resp.status_code == UNPROCESSABLE and "batasnya" in resp.get_data(as_text=True)
    assert RequestResident.query.count() == 0
    app.config["RESIDENT_XLSX_MAX_UNCOMPRESSED_BYTES"] = inflated_size(content)
    assert upload_residents(client, req, content).status_code == 302
    assert RequestResident.query.count() == 300
