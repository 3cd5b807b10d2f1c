"""The resident list: import (all or nothing), inline htmx rows, needs, berkas, full NIK audit."""
import io
import re
from datetime import date

from webapp.core.timefmt import wita_today
from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.requests import services
from webapp.requests.demo import make_nik
from webapp.requests.models import RequestResident, VillageRequest
from tests.integration.test_requests_workflow import HEADER, LOKSADO, make_request  # noqa: F401 (fixture)

TODAY = wita_today()
SEVENTEEN = date(TODAY.year - 17, 1, 15)
NIK_17 = make_nik("63.06.10", SEVENTEEN, "L", 21)
NIK_MOTHER = make_nik("63.06.10", date(1988, 7, 2), "P", 5)


def hx_post(client, path, **kwargs):
    return client.htmx("POST", path, csrf=False, headers={"X-CSRFToken": client.csrf_token("/")}, **kwargs)


def upload(client, req, content: bytes, name="daftar.csv"):
    return client.post_form(f"/permohonan/{req.id}/warga/impor",
                            {"resident_file": (io.BytesIO(content), name)},
                            token_from=f"/permohonan/{req.id}", content_type="multipart/form-data")


def test_import_a_csv_then_counts_and_needs(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = (HEADER + f'Anang Basri;{NIK_17};;L;{SEVENTEEN:%d-%m-%Y};"KTP_EL:baru, PEREKAMAN";\n'
                  + f"Galuh Norhayati;{NIK_MOTHER};;P;02-07-1988;KK:tambah_anggota;\n"
                  + "Aluh;;;P;03-02-2024;AKTA_LAHIR:baru, KIA:bawah_5;belum punya NIK\n")
    resp = upload(client, req, csv.encode("utf-8"))
    assert resp.status_code == 302
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "3 warga diimpor" in page
    assert NIK_17 not in page and NIK_17[:4] + "••••••••" + NIK_17[-4:] in page      # masked in the list
    needs = services.preparation_needs([db.session.get(VillageRequest, req.id)])
    assert needs.residents == 3
    assert needs.counts == {("KTP_EL", "baru"): 1, ("PEREKAMAN", "perekaman"): 1, ("KK", "tambah_anggota"): 1,
                            ("AKTA_LAHIR", "baru"): 1, ("KIA", "bawah_5"): 1}
    assert "perekaman_kit" in needs.equipment_kinds
    assert needs.stock["BLANGKO_KTP"] == 2 and needs.stock["BLANGKO_KIA"] == 2 and needs.stock["KERTAS_AKTA"] == 2
    assert "Perangkat perekaman KTP-el" in page and "Blangko KTP-el" in page


def test_no_perekaman_kit_without_perekaman(make_request):
    req = make_request()   # KTP-el lost + akta + KIA
    needs = services.preparation_needs([req])
    assert "perekaman_kit" not in needs.equipment_kinds and "printer_kartu" in needs.equipment_kinds


def test_bad_rows_are_all_shown_and_nothing_is_saved(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = (HEADER + "Anang;630610120409;;L;12-04-2009;KTP_EL:baru;\n"          # row 2: short NIK
                  + "Aluh;;;P;30-02-2015;KIA:5_17;\n"                          # row 3: impossible date
                  + "Utuh;;;L;01-01-1990;PASPOR;\n"                            # row 4: unknown service
                  + f"Galuh;{NIK_MOTHER};;P;02-07-1988;KK:perubahan;\n"        # row 5: fine
                  + ";;;L;01-01-1990;KTP_EL:hilang;\n")                        # row 6: no name
    resp = upload(client, req, csv.encode())
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Tidak ada data yang disimpan" in page
    assert "4 baris bermasalah, tidak ada yang diimpor." in page
    rows = re.findall(r'<td data-label="Baris">(\d+)</td>', page)
    for row, text in ((2, "16 digit"), (3, "tidak ada di kalender"), (4, "PASPOR"), (6, "Nama wajib diisi")):
        assert str(row) in rows and text in page
    assert "5" not in rows
    assert RequestResident.query.count() == 0


def test_unreadable_files_are_refused_with_a_message(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    cases = [
        (b"%PDF-1.5 this is the letter, not the list", "daftar.csv", "bukan CSV atau XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "daftar.xls", "Format Excel lama"),
        (bytes([0x81, 0x8d, 0x8f, 0x90, 0x9d]) * 50, "daftar.csv", "Pengodean teks berkas tidak dikenali"),
        (b"PK\x03\x04 broken", "daftar.xlsx", "XLSX tidak dapat dibaca"),
        (b"x" * (2 * 1024 * 1024 + 10), "besar.csv", "maksimal 2 MB"),
        (b"nama,layanan\nAnang,KIA\n", "daftar.csv", "Kolom wajib tidak ada"),
    ]
    for content, name, message in cases:
        resp = upload(client, req, content, name)
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), name
    resp = client.post_form(f"/permohonan/{req.id}/warga/impor", {}, token_from=f"/permohonan/{req.id}")
    assert "Pilih berkas daftar warga" in resp.get_data(as_text=True)
    assert RequestResident.query.count() == 0


def test_warnings_do_not_block_the_import_and_show_per_row(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = HEADER + f"Masliani;{NIK_17};;P;{SEVENTEEN:%d-%m-%Y};KTP_EL:baru;\n"   # a man's NIK on a woman
    resp = upload(client, req, csv.encode())
    assert resp.status_code == 302
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "peringatan" in page and 'class="row-warning"' in page and "Jenis kelamin" in page


# --- inline rows (htmx) ------------------------------------------------------------------------

def row_data(**overrides):
    data = {"name": "Rabiatul Adawiyah", "nik": NIK_MOTHER, "no_kk": "", "sex": "P", "birth_date": "1988-07-02",
            "phone": "", "note": "", "services": ["KTP_EL:rusak"]}
    data.update(overrides)
    return data


def test_inline_row_add_edit_delete(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    form_row = client.htmx("GET", f"/permohonan/{req.id}/warga/baru").get_data(as_text=True)
    assert 'name="nik"' in form_row and "cek-nik" in form_row and "<html" not in form_row
    resp = hx_post(client, f"/permohonan/{req.id}/warga", data=row_data())
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Rabiatul Adawiyah" in body and 'hx-swap-oob="true"' in body
    resident = RequestResident.query.one()
    assert resident.nik == NIK_MOTHER and resident.service_pairs == [("KTP_EL", "rusak")]
    edit = client.htmx("GET", f"/permohonan/{req.id}/warga/{resident.id}/ubah").get_data(as_text=True)
    assert 'value="Rabiatul Adawiyah"' in edit and 'value="KTP_EL:rusak" checked' in edit
    hx_post(client, f"/permohonan/{req.id}/warga/{resident.id}",
                data=row_data(name="Rabiatul", services=["KTP_EL:rusak", "KK:perubahan"]))
    db.session.expire_all()
    resident = db.session.get(RequestResident, resident.id)
    assert resident.name == "Rabiatul" and len(resident.services) == 2
    resp = hx_post(client, f"/permohonan/{req.id}/warga/{resident.id}/hapus")
    assert resp.status_code == 200 and RequestResident.query.count() == 0


def test_inline_row_errors_block_and_keep_typed_data(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    body = hx_post(client, f"/permohonan/{req.id}/warga",
                       data=row_data(nik="6306104502880000", birth_date="2031-01-01", services=[])).get_data(as_text=True)
    assert "tidak boleh 0000" in body and "Tanggal lahir belum terjadi." in body and "Pilih minimal satu layanan." in body
    assert 'value="Rabiatul Adawiyah"' in body
    assert RequestResident.query.count() == 0


def test_inline_row_warning_is_saved_and_shown(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    body = hx_post(client, f"/permohonan/{req.id}/warga", data=row_data(sex="L")).get_data(as_text=True)
    assert "row-warning" in body and "⚠" in body
    assert RequestResident.query.count() == 1


def test_nik_check_as_you_type(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    bad = hx_post(client, f"/permohonan/{req.id}/warga/cek-nik", data={"nik": "12345"}).get_data(as_text=True)
    assert "16 digit" in bad and "field-error" in bad
    warn = hx_post(client, f"/permohonan/{req.id}/warga/cek-nik",
                       data={"nik": NIK_MOTHER, "sex": "L", "birth_date": "1988-07-02"}).get_data(as_text=True)
    assert "field-warning" in warn and "field-error" not in warn


def test_list_is_frozen_once_scheduled_for_the_village(client, login, make_user, make_request):
    kades = make_user(Role.KEPALA_DESA, desa_code=LOKSADO)
    req = make_request(actor=kades)
    services.dispose_request(req, divisions=["dafduk"], instruction="x", due_date=None, actor=make_user(Role.KEPALA_DINAS))
    db.session.commit()
    login(kades)
    resp = hx_post(client, f"/permohonan/{req.id}/warga", data=row_data())
    assert resp.status_code == 409 and "tidak dapat diubah" in resp.get_data(as_text=True)
    assert RequestResident.query.count() == 2


# --- full NIK, berkas ------------------------------------------------------------------------------

def test_full_nik_only_on_request_and_audited(client, login_as, make_request):
    req = make_request()
    nik = req.residents[0].nik
    login_as(Role.KABID_DAFDUK)
    assert nik not in client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    body = hx_post(client, f"/permohonan/{req.id}/warga/nik").get_data(as_text=True)
    assert nik in body and "<html" not in body
    entry = AuditEntry.query.filter_by(action="view", entity_type="request", entity_id=str(req.id)).one()
    assert nik not in entry.summary


def test_viewer_cannot_show_full_nik(client, login_as, make_request):
    req = make_request()
    login_as(Role.VIEWER)
    assert client.post_form(f"/permohonan/{req.id}/warga/nik", token_from="/").status_code == 403


def test_berkas_page_per_resident(client, login_as, make_request):
    req = make_request()
    login_as(Role.KEPALA_DESA, desa_code=LOKSADO)
    page = client.get(f"/permohonan/{req.id}/berkas").get_data(as_text=True)
    assert page.count('data-testid="berkas-resident"') == 2
    assert "Utuh Basri" in page and req.residents[0].nik not in page and "data-print" in page
    assert "Akta Kelahiran" in page and "Umur pada hari pelayanan" in page


def test_the_same_file_twice_or_a_repeated_nik_is_refused_with_the_rows(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = (HEADER + f'Anang Basri;{NIK_17};;L;{SEVENTEEN:%d-%m-%Y};KTP_EL:baru;\n'
                  + f"Galuh Norhayati;{NIK_MOTHER};;P;02-07-1988;KK:tambah_anggota;\n")
    assert upload(client, req, csv.encode("utf-8")).status_code == 302
    again = upload(client, req, csv.encode("utf-8")).get_data(as_text=True)
    assert again.count("sudah ada di daftar warga permohonan") == 2
    repeated = HEADER + f"Utuh;{NIK_MOTHER[:-4]}0099;;P;02-07-1988;KTP_EL:baru;\n" \
        + f"Utuh Lagi;{NIK_MOTHER[:-4]}0099;;P;02-07-1988;PEREKAMAN;\n"
    page = upload(client, req, repeated.encode("utf-8")).get_data(as_text=True)
    assert "NIK sama dengan baris 2" in page
    db.session.expire_all()
    assert len(db.session.get(VillageRequest, req.id).residents) == 2       # nothing added twice
