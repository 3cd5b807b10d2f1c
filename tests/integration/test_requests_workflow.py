"""SOP steps 1–2 through the pages: register a letter, its resident list, disposition."""
import io
import uuid
from datetime import date, timedelta

from webapp.core.timefmt import wita_today
import pytest

from webapp.core.errors import DomainError

from webapp.auth.roles import Role
from webapp.core.changes import StatusHistory
from webapp.extensions import db
from webapp.requests import services
from webapp.requests.demo import make_nik
from webapp.requests.importer import ResidentRow
from webapp.requests.models import Disposition, VillageRequest

LOKSADO = "63.06.10.2009"
HARATAI = "63.06.10.2010"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEADER = "nama;nik;no_kk;jenis_kelamin;tanggal_lahir;layanan;keterangan\n"
SERVICE_DAY = wita_today() + timedelta(days=14)


def adult_nik(sex="L", serial=1, years=30):
    born = date(wita_today().year - years, 3, 9)
    return make_nik("63.06.10", born, sex, serial), born


@pytest.fixture
def make_request(make_user):
    """A registered request (status baru) with residents, made through the services."""
    def factory(desa_code=LOKSADO, residents=None, actor=None, letter_number=None, **extra):
        actor = actor or make_user(Role.OPERATOR)
        data = services.LetterData(letter_number=letter_number or f"140/{uuid.uuid4().hex[:4]}/DS",
                                   letter_date=wita_today() - timedelta(days=2), desa_code=desa_code,
                                   signatory_name="Anang Sarkani", signatory_title="Kepala Desa",
                                   requested_date=extra.pop("requested_date", SERVICE_DAY),
                                   location="Balai Desa", **extra)
        req = services.register_request(data, actor=actor)
        nik, born = adult_nik()
        for row in residents if residents is not None else [
                ResidentRow(0, "Utuh Basri", "L", born, [("KTP_EL", "hilang")], nik=nik),
                ResidentRow(0, "Aluh", "P", date(2022, 5, 1), [("AKTA_LAHIR", "baru"), ("KIA", "bawah_5")])]:
            services.add_resident(req, row, actor=actor)
        db.session.commit()
        return req
    return factory


def letter_form(**overrides):
    data = {"letter_number": "140/031/DS-LKS/2026", "letter_date": (wita_today() - timedelta(days=1)).isoformat(),
            "desa_code": LOKSADO, "signatory_name": "Anang Sarkani", "signatory_title": "Kepala Desa",
            "requested_date": SERVICE_DAY.isoformat(), "location": "Balai Desa Loksado",
            "contact_phone": "0813 4800 1122", "notes": "Mohon pelayanan di desa."}
    data.update(overrides)
    return data


# --- step 1: the letter -------------------------------------------------------------------------

def test_office_registers_a_letter_with_its_scan(client, login_as):
    login_as(Role.OPERATOR)
    resp = client.post_form("/permohonan/baru", {**letter_form(), "letter_file": (io.BytesIO(PDF), "surat.pdf")},
                            token_from="/permohonan/baru", content_type="multipart/form-data")
    assert resp.status_code == 302
    req = VillageRequest.query.one()
    assert req.status == "baru" and req.submitted_via == "kantor" and req.number.startswith("PMH-OFFICE-")
    assert req.letter_file.mime_type == "application/pdf"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "140/031/DS-LKS/2026" in page and "Buka surat" in page
    letter = client.get(f"/permohonan/{req.id}/surat")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf" and letter.data == PDF


@pytest.mark.parametrize("upload, message", [
    ((b"%PDF-1.4" + b"0" * (5 * 1024 * 1024), "besar.pdf"), "Ukuran berkas maksimal 5 MB."),
    ((b"MZ\x90\x00 not a pdf at all", "surat.pdf"), "Jenis berkas harus PDF, JPG, atau PNG."),
    ((b"nama,nik\n", "surat.png"), "Jenis berkas harus PDF, JPG, atau PNG."),
])
def test_oversized_or_wrong_type_letter_is_refused_next_to_the_field(client, login_as, upload, message):
    login_as(Role.OPERATOR)
    data, name = upload
    resp = client.post_form("/permohonan/baru", {**letter_form(), "letter_file": (io.BytesIO(data), name)},
                            token_from="/permohonan/baru", content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page
    assert 'value="140/031/DS-LKS/2026"' in page and 'value="Balai Desa Loksado"' in page
    assert VillageRequest.query.count() == 0


def test_letter_dates_and_desa_are_checked(client, login_as):
    login_as(Role.OPERATOR)
    resp = client.post_form("/permohonan/baru", letter_form(
        letter_date="2026-03-10", requested_date="2026-03-01"), token_from="/permohonan/baru")
    assert "tidak boleh sebelum tanggal surat" in resp.get_data(as_text=True)
    resp = client.post_form("/permohonan/baru", letter_form(letter_date="2026-02-30"), token_from="/permohonan/baru")
    assert "Isi tanggal yang benar." in resp.get_data(as_text=True)
    resp = client.post_form("/permohonan/baru", letter_form(desa_code="63.06.10"), token_from="/permohonan/baru")
    assert "Pilih desa atau kelurahan di Kabupaten Hulu Sungai Selatan." in resp.get_data(as_text=True)
    assert VillageRequest.query.count() == 0


def test_a_past_service_date_is_only_a_warning(client, login_as):
    login_as(Role.OPERATOR)
    past = wita_today() - timedelta(days=1)
    resp = client.post_form("/permohonan/baru", letter_form(letter_date=(past - timedelta(days=3)).isoformat(),
                                                            requested_date=past.isoformat()),
                            token_from="/permohonan/baru", follow_redirects=True)
    assert "sudah lewat" in resp.get_data(as_text=True)
    assert VillageRequest.query.count() == 1


# --- kepala desa -------------------------------------------------------------------------------

def test_kepala_desa_submits_only_for_own_desa(client, login_as):
    kades = login_as(Role.KEPALA_DESA, desa_code=LOKSADO)
    resp = client.post_form("/permohonan/baru", letter_form(desa_code=HARATAI), token_from="/permohonan/baru")
    assert "hanya dapat mengajukan permohonan untuk desanya sendiri" in resp.get_data(as_text=True)
    assert VillageRequest.query.count() == 0
    resp = client.post_form("/permohonan/baru", letter_form(), token_from="/permohonan/baru")
    assert resp.status_code == 302
    req = VillageRequest.query.one()
    assert req.desa_code == LOKSADO and req.submitted_via == "desa" and req.submitted_by_id == kades.id


def test_kepala_desa_sees_only_own_requests_and_others_are_404(client, login_as, make_request):
    own = make_request(desa_code=LOKSADO, letter_number="SURAT-LOKSADO")
    other = make_request(desa_code=HARATAI, letter_number="SURAT-HARATAI")
    login_as(Role.KEPALA_DESA, desa_code=LOKSADO)
    listing = client.get("/permohonan/").get_data(as_text=True)
    assert "SURAT-LOKSADO" in listing and "SURAT-HARATAI" not in listing
    assert client.get(f"/permohonan/{own.id}").status_code == 200
    for path in ("", "/berkas", "/surat", "/ubah", "/warga/baru"):
        assert client.get(f"/permohonan/{other.id}{path}").status_code == 404, path
    assert client.post_form(f"/permohonan/{other.id}/warga/impor", token_from="/").status_code == 404


def test_return_with_reason_is_visible_to_the_village_which_resubmits(client, login, make_user, make_request):
    kades = make_user(Role.KEPALA_DESA, desa_code=LOKSADO)
    req = make_request(actor=kades)
    login(make_user(Role.KEPALA_DINAS))
    resp = client.post_form(f"/permohonan/{req.id}/kembalikan", {"reason": ""}, token_from=f"/permohonan/{req.id}/disposisi")
    assert "Tulis alasannya." in resp.get_data(as_text=True)
    assert db.session.get(VillageRequest, req.id).status == "baru"
    client.post_form(f"/permohonan/{req.id}/kembalikan", {"reason": "Tanggal lahir 3 anak belum benar."},
                     token_from=f"/permohonan/{req.id}/disposisi")
    assert db.session.get(VillageRequest, req.id).status == "dikembalikan"
    client.post_form("/keluar", token_from="/")
    login(kades)
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "Tanggal lahir 3 anak belum benar." in page and "Kirim ulang" in page
    client.post_form(f"/permohonan/{req.id}/kirim-ulang", token_from=f"/permohonan/{req.id}")
    req = db.session.get(VillageRequest, req.id)
    assert req.status == "baru" and req.return_reason is None


# --- step 2: disposition --------------------------------------------------------------------------

def test_inbox_badge_and_disposition_to_both_divisions(client, login, make_user, make_request):
    req = make_request(letter_number="140/031/DS-LKS/2026")
    login(make_user(Role.KEPALA_DINAS))
    inbox = client.get("/permohonan/disposisi").get_data(as_text=True)
    assert "140/031/DS-LKS/2026" in inbox
    badge = client.htmx("GET", "/permohonan/disposisi/jumlah").get_data(as_text=True)
    assert 'hx-trigger="every 60s"' in badge and ">1</span>" in badge
    form = client.get(f"/permohonan/{req.id}/disposisi").get_data(as_text=True)
    assert "Utuh Basri" in form and "Akta Kelahiran" in form
    resp = client.post_form(f"/permohonan/{req.id}/disposisi", {
        "lead_division": "capil", "support_division": "dafduk", "instruction": "Jadwalkan minggu depan.",
        "due_date": (SERVICE_DAY - timedelta(days=3)).isoformat()}, token_from=f"/permohonan/{req.id}/disposisi")
    assert resp.status_code == 302
    req = db.session.get(VillageRequest, req.id)
    assert req.status == "didisposisi" and req.lead_division == "capil" and req.divisions == ["capil", "dafduk"]
    assert Disposition.query.one().divisions == ["capil", "dafduk"]
    assert ">0</span>" in client.htmx("GET", "/permohonan/disposisi/jumlah").get_data(as_text=True)
    # A second disposition is refused by the workflow, with a clear message; nothing changes.
    again = client.post_form(f"/permohonan/{req.id}/disposisi", {
        "lead_division": "dafduk", "instruction": "Lagi", "due_date": SERVICE_DAY.isoformat()},
        token_from=f"/permohonan/{req.id}/disposisi")
    assert again.status_code == 422 and "tidak diizinkan" in again.get_data(as_text=True)
    assert Disposition.query.count() == 1 and db.session.get(VillageRequest, req.id).lead_division == "capil"


def test_disposition_form_errors_keep_what_was_typed(client, login_as, make_request):
    req = make_request()
    login_as(Role.KEPALA_DINAS)
    resp = client.post_form(f"/permohonan/{req.id}/disposisi", {
        "lead_division": "dafduk", "support_division": "dafduk", "instruction": "Segera jadwalkan",
        "due_date": (SERVICE_DAY + timedelta(days=5)).isoformat()}, token_from=f"/permohonan/{req.id}/disposisi")
    page = resp.get_data(as_text=True)
    assert "harus berbeda" in page and "Segera jadwalkan" in page
    assert db.session.get(VillageRequest, req.id).status == "baru"


def test_only_kepala_dinas_disposes(client, login_as, make_request):
    req = make_request()
    login_as(Role.KABID_DAFDUK)
    assert client.get(f"/permohonan/{req.id}/disposisi").status_code == 403


def test_kabid_sees_requests_disposed_to_their_division_first(client, login_as, make_user, make_request):
    kadis = make_user(Role.KEPALA_DINAS)
    mine = make_request(letter_number="UNTUK-DAFDUK")
    other = make_request(letter_number="UNTUK-CAPIL")
    make_request(letter_number="MASIH-BARU")
    services.dispose_request(mine, divisions=["dafduk"], instruction="x", due_date=None, actor=kadis)
    services.dispose_request(other, divisions=["capil"], instruction="x", due_date=None, actor=kadis)
    db.session.commit()
    login_as(Role.KABID_DAFDUK)
    page = client.get("/permohonan/").get_data(as_text=True)
    assert page.index("UNTUK-DAFDUK") < page.index("MASIH-BARU") and page.index("UNTUK-DAFDUK") < page.index("UNTUK-CAPIL")


def test_timeline_shows_step_2_against_its_standard(client, login_as, make_user, make_request):
    req = make_request()
    created = StatusHistory.query.filter_by(entity_id=req.id).one().at
    services.dispose_request(req, divisions=["dafduk"], instruction="x", due_date=None,
                             actor=make_user(Role.KEPALA_DINAS), at=created + timedelta(minutes=8))
    db.session.commit()
    login_as(Role.VIEWER)
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "Langkah 2" in page and "8 menit" in page and "melebihi standar" in page
    assert "Langkah 3" in page


def test_cancel_needs_a_reason(client, login_as, make_request):
    req = make_request()
    login_as(Role.KABID_CAPIL)
    resp = client.post_form(f"/permohonan/{req.id}/batalkan", {"reason": ""}, token_from=f"/permohonan/{req.id}")
    assert "Tulis alasannya." in resp.get_data(as_text=True)
    client.post_form(f"/permohonan/{req.id}/batalkan", {"reason": "Desa membatalkan lewat telepon."},
                     token_from=f"/permohonan/{req.id}")
    assert db.session.get(VillageRequest, req.id).status == "dibatalkan"
    assert "Desa membatalkan lewat telepon." in client.get(f"/permohonan/{req.id}").get_data(as_text=True)


# --- list ----------------------------------------------------------------------------------------

def test_list_filters_and_search_as_you_type(client, login_as, make_request):
    make_request(desa_code=LOKSADO, letter_number="SURAT-A")
    make_request(desa_code="63.06.02.2008", letter_number="SURAT-B")
    login_as(Role.OPERATOR)
    body = client.htmx("GET", "/permohonan/?q=padang").get_data(as_text=True)
    assert "SURAT-B" in body and "SURAT-A" not in body and "<html" not in body
    body = client.get("/permohonan/?kecamatan=63.06.10").get_data(as_text=True)
    assert "SURAT-A" in body and "SURAT-B" not in body
    body = client.get("/permohonan/?status=didisposisi").get_data(as_text=True)
    assert "Tidak ada permohonan yang cocok." in body
    assert client.get("/permohonan/?date_from=bukan-tanggal&page=x").status_code == 200


def test_request_list_pages_render_with_their_pager(client, login_as, make_request, monkeypatch):
    import webapp.requests.services as request_services
    monkeypatch.setattr(request_services, "PAGE_SIZE", 2)
    for _ in range(3):
        make_request()
    login_as(Role.OPERATOR)
    first, second = client.get("/permohonan/"), client.get("/permohonan/?page=2")
    assert first.status_code == 200 and second.status_code == 200
    assert first.get_data(as_text=True).count("PMH-OFFICE-") >= 2
    assert "PMH-OFFICE-" in second.get_data(as_text=True)


def test_late_birth_report_asks_for_the_late_statement(client, login_as, make_request):
    from webapp.requirements.services import seed_templates
    seed_templates()
    old_child = [ResidentRow(0, "Aluh Kecil", "P", date(wita_today().year - 6, 3, 1), [("AKTA_LAHIR", "baru")])]
    newborn = [ResidentRow(0, "Utuh Bayi", "L", wita_today() - timedelta(days=20), [("AKTA_LAHIR", "baru")])]
    login_as(Role.OPERATOR)
    late = client.get(f"/permohonan/{make_request(residents=old_child).id}/berkas").get_data(as_text=True)
    on_time = client.get(f"/permohonan/{make_request(residents=newborn).id}/berkas").get_data(as_text=True)
    assert "keterlambatan pelaporan kelahiran" in late
    assert "keterlambatan pelaporan kelahiran" not in on_time


def test_an_empty_list_is_not_disposed(make_request, make_user):
    req = make_request(residents=[])
    with pytest.raises(DomainError) as error:
        services.dispose_request(req, divisions=["dafduk"], instruction="Jadwalkan", due_date=None,
                                 actor=make_user(Role.KEPALA_DINAS))
    assert "masih kosong" in str(error.value.message) and req.status == "baru"
