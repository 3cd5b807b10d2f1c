"""Content-addressed upload storage and the generic, owner-checked download route."""
import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.files import services
from webapp.files.models import StoredFile
from tests.integration.test_requests_workflow import HARATAI, PDF, make_request  # noqa: F401 (fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


def storage(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_stores_by_content_and_dedupes(app):
    first = services.store_upload(storage(PDF, "surat.pdf"), allowed=services.LETTER_TYPES, max_bytes=1024, actor=None)
    second = services.store_upload(storage(PDF, "salinan.pdf"), allowed=services.LETTER_TYPES, max_bytes=1024, actor=None)
    db.session.commit()
    assert first.id == second.id and StoredFile.query.count() == 1
    path = Path(app.config["UPLOAD_FOLDER"]) / first.sha256[:2] / first.sha256
    assert path.read_bytes() == PDF
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".upload-")]   # no temp files left
    with services.open_file(first) as handle:
        assert handle.read() == PDF


@pytest.mark.parametrize("data, name, mime", [(PNG, "foto.png", "image/png"), (JPEG, "scan.jpeg", "image/jpeg")])
def test_images_are_sniffed(app, data, name, mime):
    stored = services.store_upload(storage(data, name), allowed=services.LETTER_TYPES, max_bytes=1024, actor=None)
    assert stored.mime_type == mime


def test_type_is_sniffed_not_taken_from_the_name(app):
    with pytest.raises(DomainError) as error:
        services.store_upload(storage(b"<html>surat</html>", "surat.pdf"), allowed=services.LETTER_TYPES,
                              max_bytes=1024, actor=None, field="letter_file")
    assert str(error.value.message) == "Jenis berkas harus PDF, JPG, atau PNG." and error.value.field == "letter_file"


def test_size_limit_reads_no_more_than_needed(app):
    class Stream(io.BytesIO):
        asked = []

        def read(self, n=-1):
            self.asked.append(n)
            return super().read(n)

    stream = Stream(PDF + b"0" * 6000)
    with pytest.raises(DomainError) as error:
        services.store_upload(FileStorage(stream=stream, filename="a.pdf"), allowed=services.LETTER_TYPES,
                              max_bytes=5 * 1024 * 1024 // 1024, actor=None)
    assert Stream.asked == [5 * 1024 + 1]
    assert "maksimal" in str(error.value.message)
    assert str(services.size_message(5 * 1024 * 1024)) == "Ukuran berkas maksimal 5 MB."
    assert StoredFile.query.count() == 0


def test_download_needs_an_owner_that_grants_it(client, make_user, login, make_request):
    office = make_user(Role.OPERATOR)
    req = make_request(desa_code=HARATAI, actor=office)
    req.letter_file_id = services.store_upload(storage(PDF, "s.pdf"), allowed=services.LETTER_TYPES,
                                               max_bytes=1024, actor=office).id
    orphan = services.store_bytes(PNG, mime_type="image/png", original_name="lepas.png")
    db.session.commit()
    login(office)
    assert client.get(f"/berkas/{req.letter_file_id}").data == PDF
    assert client.get(f"/berkas/{orphan.id}").status_code == 404          # no record owns it
    client.post_form("/keluar", token_from="/")
    login(make_user(Role.KEPALA_DESA))                                     # Loksado, not Haratai
    assert client.get(f"/berkas/{req.letter_file_id}").status_code == 404
    assert client.get(f"/permohonan/{req.id}/surat").status_code == 404
