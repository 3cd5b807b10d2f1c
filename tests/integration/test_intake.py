"""Intake on the bus: every service can be started, the register fills the form and a correction
is noted (never written over the register), checklists with alternatives and SPTJM, uploads, and
the three outcomes with their refusals (nothing half-applied), roles."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from tests.integration.intake_factories import register_family, trip_on_site, visit_at_desk
from tests.integration.trip_factories import PASSWORD, office_user
from webapp.auth.roles import Role
from webapp.core.audit import AuditEntry
from webapp.core.changes import history_of
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.intake import services
from webapp.intake.models import Application, ApplicationFile, DataCorrection
from webapp.inventory import services as inventory
from webapp.inventory.models import StockMovement
from webapp.layanan.catalog import SERVICES
from webapp.quality.models import Person

TODAY = wita_today()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.fixture
def officer(app):
    return office_user(Role.PETUGAS, full_name="Rahmat Hidayat")


@pytest.fixture
def trip(app, officer):
    return trip_on_site(team=[officer])


@pytest.fixture
def visit(trip):
    return visit_at_desk(trip)


@pytest.fixture
def signed_in(client, officer):
    resp = client.post_form("/masuk", {"username": officer.username, "password": PASSWORD})
    assert resp.status_code == 302
    return officer


def years_ago(n: int, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - n) - timedelta(days=days)


def subject(**kw) -> services.Subject:
    values = dict(name="Galuh Rahmah", relation="orang_tua", sex="P", birth_date=years_ago(6, 30))
    values.update(kw)
    return services.Subject(**values)


def start(visit, officer, code="KIA", sub="5_17", **kw) -> Application:
    event = kw.pop("event_date", None)
    application = services.start_application(
        visit, services.ApplicationInput(code, sub, kw.pop("who", None) or subject(**kw), event_date=event),
        actor=officer)
    db.session.commit()
    return application


def tick_all(application, officer):
    for group in services.line_groups(application):
        line = group[0]
        if line.kind == "photo":
            services.attach_file(application, _png(), kind="foto", line=line, actor=officer)
        else:
            services.set_line_state(line, "ada", actor=officer)
    db.session.commit()


class _Upload:
    """A stand-in for werkzeug's FileStorage (what attach_file reads)."""

    def __init__(self, data: bytes, filename: str):
        self.stream, self.filename = io.BytesIO(data), filename


def _png():
    return _Upload(PNG, "foto.png")


def outstanding(trip, code):
    return inventory.trip_stock(trip.id)[code].outstanding


# ---------------------------------------------------------------- every service and sub-type

def _subject_for(code: str, sub: str) -> tuple[services.Subject, date | None]:
    if code == "KIA":
        return subject(birth_date=years_ago(3) if sub == "bawah_5" else years_ago(8)), None
    if code == "AKTA_LAHIR":
        born = TODAY - timedelta(days=10)
        return subject(name="Bayi Galuh", birth_date=born), born
    if code == "AKTA_MATI":
        return subject(name="Utuh Basrun", relation="keluarga", birth_date=date(1940, 1, 1)), TODAY - timedelta(days=5)
    return subject(name="Aluh Masitah", relation="sendiri", birth_date=date(1990, 1, 1), married=True), None


@pytest.mark.parametrize("code, sub", [(s.code, t.code) for s in SERVICES.values() for t in s.subtypes])
def test_every_service_and_subtype_can_be_started(visit, officer, code, sub):
    who, event = _subject_for(code, sub)
    application = start(visit, officer, code, sub, who=who, event_date=event)
    assert application.status == "draf" and application.trip_id == visit.trip_id
    assert [h.to_status for h in history_of(application)] == ["draf"]
    assert application.lines, "the checklist comes from the requirement template"
    assert services.evaluate(application).eligibility_problems == []
    assert application.requirements_complete_at is None


def test_kia_checklist_follows_age_and_the_age_rule_is_not_a_line(visit, officer):
    application = start(visit, officer)
    texts = [line.text for line in application.lines]
    assert "Pas foto berwarna 2×3 (diambil dengan kamera di bus)" in texts
    assert not any(t.startswith("Berusia") for t in texts)       # checked by eligibility.py instead
    small = start(visit, officer, "KIA", "bawah_5", birth_date=years_ago(3))
    assert not any(line.kind == "photo" for line in small.lines)


def test_perekaman_keeps_the_not_recorded_before_rule_on_the_checklist(visit, officer):
    application = start(visit, officer, "PEREKAMAN", "perekaman", relation="sendiri", name="Utuh",
                        birth_date=years_ago(18))
    assert "Belum pernah melakukan perekaman KTP-el" in [line.text for line in application.lines]


def test_a_finished_visit_is_reopened_before_another_application(visit, officer):
    first = start(visit, officer)
    services.postpone_application(first, reason="Akta kelahiran anak tertinggal", actor=officer)
    db.session.commit()
    assert visit.status == "selesai"
    start(visit, officer, "KK", "hilang", relation="sendiri", name="Aluh Masitah")
    assert visit.status == "dipanggil"


def test_a_future_event_date_is_refused_next_to_the_field(client, signed_in, visit):
    resp = client.post_form(f"/pelayanan/kunjungan/{visit.id}/baru", {
        "service": "AKTA_MATI:baru", "relation": "keluarga", "subject_name": "Utuh Basrun",
        "subject_birth_date": "1940-01-01", "event_date": (TODAY + timedelta(days=2)).isoformat()},
        token_from=f"/pelayanan/kunjungan/{visit.id}/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Tanggal kematian belum terjadi." in page and 'value="Utuh Basrun"' in page
    assert Application.query.count() == 0


def test_bad_input_on_the_new_application_form_is_explained_in_indonesian(client, signed_in, visit):
    url = f"/pelayanan/kunjungan/{visit.id}/baru"
    resp = client.post_form(url, {"service": "KIA:dewasa", "relation": "tetangga", "subject_name": "Galuh " * 30,
                                  "subject_nik": "6306104101900000", "subject_sex": "X",
                                  "subject_birth_date": "2020-02-31"}, token_from=url)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Terlalu panjang: maksimal 120 karakter." in page and "Isi tanggal yang benar." in page
    assert 'id="subject_nik-error"' in page and 'value="6306104101900000"' in page
    assert "Not a valid" not in page
    again = client.post_form(url, {"service": "KIA:dewasa", "relation": "tetangga", "subject_name": "Galuh",
                                   "subject_sex": "X"}, token_from=url)
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "Pilih layanan dari daftar." in page
    assert "Pilih hubungan pemohon" in page and "Pilih L atau P." in page
    assert Application.query.count() == 0


def test_the_preview_shows_lateness_before_saving_and_writes_nothing(client, signed_in, visit):
    born = TODAY - timedelta(days=61)
    resp = client.htmx("POST", f"/pelayanan/kunjungan/{visit.id}/pratinjau", data={
        "service": "AKTA_LAHIR:baru", "relation": "orang_tua", "subject_name": "Bayi",
        "subject_birth_date": born.isoformat()})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="eligibility"' in page
    assert "Terlambat 1 hari" in page and "Kepala Dinas" in page
    assert "Surat pernyataan keterlambatan pelaporan kelahiran" in page     # the late-report requirement
    assert Application.query.count() == 0
    ktp = client.htmx("POST", f"/pelayanan/kunjungan/{visit.id}/pratinjau", data={
        "service": "KTP_EL:baru", "subject_name": "Utuh", "subject_birth_date": years_ago(16).isoformat(),
        "subject_married": "tidak"}).get_data(as_text=True)
    assert "Baru berusia 16 tahun: minimal 17 tahun" in ktp


# ---------------------------------------------------------------- the register

def test_the_visitors_register_record_fills_the_form_with_family_and_is_audited(client, signed_in, trip):
    family = register_family()
    visit = visit_at_desk(trip, name="Siti Aminah")
    page = client.get(f"/pelayanan/kunjungan/{visit.id}/baru").get_data(as_text=True)
    assert "KANDANGAN" in page and "JL. LOKSADO NO. 5 RT 001/RW 002" in page
    assert "SITI AMINAH" in page and "NUR HALIZA" in page and "AHMAD FAUZI" in page   # the family
    assert family["NUR HALIZA"].nik not in page                                     # masked in the list
    views = AuditEntry.query.filter_by(action="view", entity_type="person").all()
    assert any("SITI AMINAH" in e.summary for e in views)
    assert all(family["SITI AMINAH"].nik not in e.summary for e in views)


def test_choosing_a_family_member_fills_the_childs_data(client, signed_in, trip):
    family = register_family()
    visit = visit_at_desk(trip, name="Siti Aminah")
    child = family["NUR HALIZA"]
    resp = client.htmx("POST", f"/pelayanan/kunjungan/{visit.id}/cari", data={
        "service": "KIA:5_17", "relation": "orang_tua", "subject_name": "", "pick": child.person_key})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'value="NUR HALIZA"' in page and child.birth_date.isoformat() in page
    assert f'value="{child.person_key}"' in page
    assert '<option selected value="orang_tua">' in page            # the mother applies for her child
    assert 'hx-swap-oob="true"' in page and "Memenuhi syarat" in page         # the preview follows


def test_lookup_by_kk_lists_the_family_and_unknown_numbers_say_so(client, signed_in, trip):
    register_family()
    visit = visit_at_desk(trip, name="Siti Aminah", nik=None)
    page = client.htmx("POST", f"/pelayanan/kunjungan/{visit.id}/cari", data={
        "lookup": "kk", "subject_no_kk": "6306100101100001", "subject_name": "x"}).get_data(as_text=True)
    assert "NUR HALIZA" in page and "Anggota keluarga" in page
    unknown = client.htmx("POST", f"/pelayanan/kunjungan/{visit.id}/cari", data={
        "lookup": "nik", "subject_nik": "6306104101900099", "subject_name": "x"}).get_data(as_text=True)
    assert "tidak ditemukan" in unknown


def test_a_corrected_value_is_a_data_correction_never_written_to_the_register(client, signed_in, trip):
    family = register_family()
    mother = family["SITI AMINAH"]
    visit = visit_at_desk(trip, name="Siti Aminah")
    resp = client.post_form(f"/pelayanan/kunjungan/{visit.id}/baru", {
        "service": "KK:hilang", "relation": "sendiri", "person_key": mother.person_key,
        "subject_nik": mother.nik, "subject_no_kk": mother.no_kk, "subject_name": "Siti Aminah",  # same, other case
        "subject_sex": "P", "subject_birth_date": mother.birth_date.isoformat(), "subject_married": "ya",
        "subject_birth_place": "NEGARA", "subject_address": "JL. LOKSADO NO. 5 RT 001/RW 002"},
        token_from=f"/pelayanan/kunjungan/{visit.id}/baru")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    application = Application.query.one()
    corrections = DataCorrection.query.filter_by(application_id=application.id).all()
    assert [(c.field, c.register_value, c.new_value) for c in corrections] == [("birth_place", "KANDANGAN", "NEGARA")]
    assert application.subject_birth_place == "NEGARA" and application.person_key == mother.person_key
    assert db.session.get(Person, mother.id).birth_place == "KANDANGAN"
    page = client.get(f"/pelayanan/{application.id}").get_data(as_text=True)
    assert "Koreksi terhadap database" in page and "NEGARA" in page


def test_empty_fields_take_the_register_value_and_are_not_corrections(visit, officer):
    family = register_family()
    child = family["NUR HALIZA"]
    application = start(visit, officer, who=services.Subject(name="", relation="orang_tua",
                                                               person_key=child.person_key))
    assert application.subject_name == "NUR HALIZA" and application.subject_birth_date == child.birth_date
    assert DataCorrection.query.count() == 0


def test_typing_another_person_over_a_filled_record_drops_the_register_link(visit, officer):
    mother = register_family()["SITI AMINAH"]
    application = start(visit, officer, who=services.Subject(
        name="Galuh Rahmah", relation="orang_tua", birth_date=years_ago(6), person_key=mother.person_key))
    assert application.person_key is None and application.subject_nik is None
    assert DataCorrection.query.count() == 0


def test_a_waiting_resident_is_called_and_one_not_checked_in_is_refused(trip, officer):
    waiting = visit_at_desk(trip, status="menunggu")
    start(waiting, officer)
    assert waiting.status == "dipanggil" and waiting.called_at is not None      # SOP step 5 starts
    listed = visit_at_desk(trip, status="terdaftar")
    with pytest.raises(Exception, match="daftarkan ke antrean"):
        start(listed, officer)


# ---------------------------------------------------------------- checklist, alternatives, SPTJM

def test_alternatives_are_satisfied_by_any_member_and_sptjm_replaces_where_allowed(visit, officer):
    application = start(visit, officer, "AKTA_LAHIR", "baru", name="Bayi", birth_date=TODAY - timedelta(days=3))
    groups = services.line_groups(application)
    birth_proof = groups[0]
    assert [l.text[:20] for l in birth_proof] == ["Surat keterangan lah", "SPTJM kebenaran data"]
    assert all(l.alt_group == birth_proof[0].alt_group and l.sptjm_allowed for l in birth_proof)
    kk = next(g[0] for g in groups if g[0].text == "Kartu Keluarga (KK)")
    assert not kk.sptjm_allowed
    with pytest.raises(Exception, match="tidak dapat diganti SPTJM"):
        services.set_line_state(kk, "sptjm", actor=officer)
    db.session.rollback()

    missing = services.missing_items(application)
    assert any(" atau " in m and "SPTJM kebenaran data kelahiran" in m for m in missing)
    services.set_line_state(birth_proof[0], "sptjm", actor=officer)          # replaced by the SPTJM
    assert not any("Surat keterangan lahir" in m for m in services.missing_items(application))
    for group in groups[1:]:
        services.set_line_state(group[-1], "ada", actor=officer)            # the second alternative is enough
    assert services.missing_items(application) == []
    assert application.requirements_complete_at is not None
    services.set_line_state(kk, "tidak_ada", actor=officer)
    assert services.missing_items(application) == ["Kartu Keluarga (KK)"]
    assert application.requirements_complete_at is None


def test_a_line_saved_by_htmx_answers_with_its_group_and_the_missing_list(client, signed_in, visit, officer):
    application = start(visit, officer, "AKTA_LAHIR", "baru", name="Bayi", birth_date=TODAY - timedelta(days=3))
    line = application.lines[0]
    resp = client.htmx("POST", f"/pelayanan/{application.id}/syarat/{line.id}", data={"state": "sptjm"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f'id="group-{line.id}"' in page and 'id="missing"' in page
    assert "Surat keterangan lahir" not in page.split('id="missing"', 1)[1]
    kk = next(l for l in application.lines if l.text == "Kartu Keluarga (KK)")
    refused = client.htmx("POST", f"/pelayanan/{application.id}/syarat/{kk.id}", data={"state": "sptjm"})
    assert refused.status_code == 422 and "tidak dapat diganti SPTJM" in refused.get_data(as_text=True)


# ---------------------------------------------------------------- uploads

def test_uploads_check_type_and_size_next_to_the_field(client, signed_in, visit, officer):
    application = start(visit, officer)
    photo = next(l for l in application.lines if l.kind == "photo")
    scan = next(l for l in application.lines if l.kind == "document")

    def send(line, data, name):
        return client.htmx("POST", f"/pelayanan/{application.id}/berkas",
                           data={"line_id": str(line.id), "kind": "scan", "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    not_image = send(photo, PDF, "foto.png")
    assert not_image.status_code == 422 and "Jenis berkas harus JPG atau PNG." in not_image.get_data(as_text=True)
    too_big = send(photo, PNG + b"\x00" * (2 * 1024 * 1024), "foto.png")
    assert too_big.status_code == 422 and "Ukuran berkas maksimal 2 MB." in too_big.get_data(as_text=True)
    text = send(scan, b"hello, not a scan", "kk.pdf")
    assert text.status_code == 422 and "PDF, JPG, atau PNG" in text.get_data(as_text=True)
    assert ApplicationFile.query.count() == 0

    ok = send(photo, PNG, "foto.png")
    assert ok.status_code == 200 and "Pas foto 1" in ok.get_data(as_text=True)
    attached = ApplicationFile.query.one()
    assert attached.kind == "foto" and attached.line_id == photo.id
    assert db.session.get(type(photo), photo.id).state == "ada"
    assert client.get(f"/berkas/{attached.file_id}").status_code == 200


def test_an_upload_over_the_request_limit_keeps_the_page(client, signed_in, visit, officer, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    application = start(visit, officer)
    photo = next(l for l in application.lines if l.kind == "photo")
    resp = client.post(f"/pelayanan/{application.id}/berkas", content_type="multipart/form-data", data={
        "csrf_token": client.csrf_token(f"/pelayanan/{application.id}"), "line_id": str(photo.id), "kind": "foto",
        "file": (io.BytesIO(PNG + b"\x00" * (1024 * 1024 + 10)), "foto.png")})
    assert resp.status_code == 413 and "Ukuran berkas maksimal 2 MB." in resp.get_data(as_text=True)


# ---------------------------------------------------------------- the whole checklist in one form

def _line_block(page: str, line) -> str:
    return page.split(f'id="line-{line.id}"', 1)[1].split('class="check-line"', 1)[0]


def _kia_lines(application):
    photo = next(l for l in application.lines if l.kind == "photo")
    documents = [l for l in application.lines if l.kind == "document"]
    return photo, documents


def test_the_whole_checklist_and_its_files_are_saved_in_one_submission(client, signed_in, visit, officer):
    application = start(visit, officer)
    photo, documents = _kia_lines(application)
    data = {f"state:{l.id}": "ada" for l in documents}
    data.update({f"state:{photo.id}": "tidak_ada",                     # as shown: the photo makes it "ada"
                 f"file:{photo.id}": (io.BytesIO(PNG), "foto.png"),
                 f"file:{documents[0].id}": (io.BytesIO(PDF), "akta.pdf"),
                 "file:": (io.BytesIO(PDF + b"lain"), "lain.pdf"),
                 f"file:{documents[1].id}": (io.BytesIO(b""), "")})          # an input left empty
    page = f"/pelayanan/{application.id}"
    resp = client.post(f"{page}/syarat", data={**data, "csrf_token": client.csrf_token(page)},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert {l.state for l in application.lines} == {"ada"}
    assert len(application.files) == 3 and {(f.kind, f.line_id) for f in application.files} == {
        ("foto", photo.id), ("scan", documents[0].id), ("scan", None)}
    assert application.requirements_complete_at is not None and services.missing_items(application) == []
    assert "Daftar syarat disimpan." in client.get(page).get_data(as_text=True)


def test_the_checklist_form_with_htmx_comes_back_in_place_with_the_missing_list(client, signed_in, visit, officer):
    application = start(visit, officer)
    photo, documents = _kia_lines(application)
    resp = client.htmx("POST", f"/pelayanan/{application.id}/syarat", content_type="multipart/form-data",
                       data={f"state:{documents[0].id}": "ada"})
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in answer
    assert 'id="checklist"' in answer and "Daftar syarat disimpan." in answer and "Simpan daftar syarat" in answer
    missing = answer.split('id="missing"', 1)[1]
    assert 'hx-swap-oob="true"' in answer and documents[0].text not in missing and documents[1].text in missing
    assert 'value="ada" checked' in _line_block(answer, documents[0])
    db.session.expire_all()
    assert db.session.get(type(photo), documents[0].id).state == "ada"


def test_one_bad_file_saves_nothing_and_the_form_keeps_what_was_typed(client, signed_in, visit, officer):
    application = start(visit, officer)
    photo, documents = _kia_lines(application)
    data = {f"state:{l.id}": "ada" for l in documents}
    data.update({f"file:{documents[0].id}": (io.BytesIO(PDF), "akta.pdf"),
                 f"file:{photo.id}": (io.BytesIO(PDF), "foto.png"),          # a PDF is no photo
                 f"file:{documents[1].id}": (io.BytesIO(PDF + b"\x00" * (5 * 1024 * 1024)), "kk.pdf")})
    page = f"/pelayanan/{application.id}"
    resp = client.post(f"{page}/syarat", data={**data, "csrf_token": client.csrf_token(page)},
                       content_type="multipart/form-data")
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f'id="file-{photo.id}-error" role="alert">Jenis berkas harus JPG atau PNG.' in answer
    assert f'id="file-{documents[1].id}-error" role="alert">Ukuran berkas maksimal 5 MB.' in answer
    assert f'id="file-{documents[0].id}-error"' not in answer
    assert all('value="ada" checked' in _line_block(answer, l) for l in documents)     # as typed
    db.session.expire_all()
    assert ApplicationFile.query.count() == 0                                          # nothing of it saved
    assert {l.state for l in db.session.get(Application, application.id).lines} == {"tidak_ada"}


def test_a_state_not_allowed_is_refused_next_to_its_line_and_nothing_is_saved(client, signed_in, visit, officer):
    application = start(visit, officer, "AKTA_LAHIR", "baru", name="Bayi", birth_date=TODAY - timedelta(days=3))
    kk = next(l for l in application.lines if l.text == "Kartu Keluarga (KK)")
    other = application.lines[0]
    resp = client.htmx("POST", f"/pelayanan/{application.id}/syarat", content_type="multipart/form-data",
                       data={f"state:{kk.id}": "sptjm", f"state:{other.id}": "sptjm"})
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Daftar syarat belum disimpan" in answer
    assert f'id="state-{kk.id}-error" role="alert">Syarat ini tidak dapat diganti SPTJM.' in answer
    assert 'value="sptjm" checked' in _line_block(answer, other)                       # kept, not saved
    db.session.expire_all()
    assert db.session.get(type(other), other.id).state == "tidak_ada"


def test_a_checklist_over_its_request_limit_keeps_the_typed_states(client, signed_in, visit, officer, monkeypatch):
    from webapp.intake import views
    monkeypatch.setattr(views, "CHECKLIST_REQUEST_BYTES", 1024 * 1024)
    application = start(visit, officer)
    photo, documents = _kia_lines(application)
    page = f"/pelayanan/{application.id}"
    resp = client.post(f"{page}/syarat", content_type="multipart/form-data", data={
        "csrf_token": client.csrf_token(page), f"state:{documents[0].id}": "ada",
        f"file:{photo.id}": (io.BytesIO(PNG + b"\x00" * (1024 * 1024 + 10)), "foto.png")})
    answer = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "Berkas yang dikirim sekaligus melebihi 1 MB." in answer
    assert 'value="ada" checked' in _line_block(answer, documents[0])
    assert ApplicationFile.query.count() == 0


def test_the_checklist_of_a_closed_application_is_refused_with_the_reason(client, signed_in, visit, officer):
    application = start(visit, officer)
    services.postpone_application(application, reason="Akta tertinggal", actor=officer)
    db.session.commit()
    resp = client.htmx("POST", f"/pelayanan/{application.id}/syarat", content_type="multipart/form-data",
                       data={f"state:{application.lines[0].id}": "ada"})
    assert resp.status_code == 422 and "tidak dapat diubah" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(application.lines[0]), application.lines[0].id).state == "tidak_ada"


def test_a_line_of_another_application_is_not_found(client, signed_in, visit, officer):
    application, other = start(visit, officer), start(visit, officer)
    resp = client.htmx("POST", f"/pelayanan/{application.id}/syarat", content_type="multipart/form-data",
                       data={f"state:{other.lines[0].id}": "ada"})
    assert resp.status_code == 404


# ---------------------------------------------------------------- finishing on site

def test_finish_on_site_records_the_document_and_debits_the_trip_stock(client, signed_in, trip, visit, officer):
    application = start(visit, officer)
    tick_all(application, officer)
    before = outstanding(trip, "BLANGKO_KIA")
    page = client.get(f"/pelayanan/{application.id}").get_data(as_text=True)
    assert 'selected value="BLANGKO_KIA"' in page                     # the blank from the catalogue
    resp = client.post_form(f"/pelayanan/{application.id}/selesai", {
        "document_number": "6306-KIA-0001234", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA",
        "spoiled": "1"}, token_from=f"/pelayanan/{application.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == "selesai_lapangan" and application.document_number == "6306-KIA-0001234"
    assert application.stock_code == "BLANGKO_KIA" and application.spoiled_count == 1
    assert application.closed_at and application.printed_at and application.document_recorded_at
    assert outstanding(trip, "BLANGKO_KIA") == before - 2
    row = inventory.trip_stock(trip.id)["BLANGKO_KIA"]
    assert (row.used, row.spoiled) == (1, 1)
    assert db.session.get(type(visit), visit.id).status == "selesai"        # its only application closed


def test_finish_with_htmx_answers_with_the_page_itself(client, signed_in, visit, officer):
    application = start(visit, officer)
    tick_all(application, officer)
    resp = client.htmx("POST", f"/pelayanan/{application.id}/selesai", data={
        "document_number": "6306-KIA-0004321", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA",
        "spoiled": "0"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Location" not in resp.headers               # no redirect to follow
    assert 'id="main"' in page and "Dokumen selesai di lokasi; blangko tercatat terpakai." in page
    assert 'data-testid="outcome"' in page and "6306-KIA-0004321" in page
    refused = client.htmx("POST", f"/pelayanan/{start(visit, officer).id}/selesai", data={
        "document_number": "", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA", "spoiled": "0"})
    assert refused.status_code == 422 and 'id="main"' in refused.get_data(as_text=True)


def test_finish_beyond_the_trip_balance_is_refused_and_applies_nothing(client, signed_in, trip, visit, officer):
    application = start(visit, officer)
    tick_all(application, officer)
    movements = StockMovement.query.count()
    resp = client.post_form(f"/pelayanan/{application.id}/selesai", {
        "document_number": "6306-KIA-0001234", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA",
        "spoiled": "3"}, token_from=f"/pelayanan/{application.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "tinggal 3; dibutuhkan 4" in page and 'value="6306-KIA-0001234"' in page
    assert 'id="spoiled-error"' in page                                   # next to the spoiled count
    db.session.expire_all()
    assert StockMovement.query.count() == movements
    assert db.session.get(Application, application.id).status == "draf"


@pytest.mark.parametrize("values, message", [
    ({"spoiled": "dua"}, "Jumlah blangko rusak harus bilangan bulat"),
    ({"issued_on": "2026-13-01"}, "Isi tanggal yang benar."),
    ({"issued_on": (TODAY + timedelta(days=1)).isoformat()}, "Tanggal terbit belum terjadi."),
    ({"stock_code": "BLANGKO_PALSU"}, "Jenis blangko tidak dikenal."),
    ({"stock_code": ""}, "Pilih blangko yang dipakai."),
    ({"document_number": ""}, "Isi nomor dokumen yang diterbitkan SIAK."),
])
def test_bad_finish_values_are_refused_next_to_the_field(client, signed_in, visit, officer, values, message):
    application = start(visit, officer)
    tick_all(application, officer)
    data = {"document_number": "6306-KIA-1", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA",
            "spoiled": "0", **values}
    resp = client.post_form(f"/pelayanan/{application.id}/selesai", data, token_from=f"/pelayanan/{application.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page and "-error" in page
    assert StockMovement.query.filter_by(kind="use").count() == 0


def test_an_incomplete_checklist_cannot_finish_and_the_message_names_what_is_missing(client, signed_in, visit, officer):
    application = start(visit, officer)
    resp = client.post_form(f"/pelayanan/{application.id}/selesai", {
        "document_number": "X-1", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA", "spoiled": "0"},
        token_from=f"/pelayanan/{application.id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Persyaratan belum lengkap: Kutipan akta kelahiran anak; KK orang tua" in page
    assert "foto" in page.split("Persyaratan belum lengkap", 1)[1].split("</p>", 1)[0].lower()
    assert StockMovement.query.filter_by(kind="use").count() == 0


def test_an_ineligible_person_or_a_blocking_case_cannot_finish(visit, officer):
    too_young = start(visit, officer, "KTP_EL", "baru", relation="sendiri", name="Utuh", birth_date=years_ago(16),
                      married=False)
    tick_all(too_young, officer)
    with pytest.raises(Exception, match="Belum memenuhi syarat"):
        services.finish_on_site(too_young, document_number="1", issued_on=TODAY, stock_code="BLANGKO_KTP",
                                actor=officer)
    db.session.rollback()
    kid = start(visit, officer)
    tick_all(kid, officer)
    services.open_quality_case(kid, summary="Tanggal lahir di database berbeda dengan akta", actor=officer)
    db.session.commit()
    assert kid.quality_case_id is not None
    assert services.evaluate(kid).blocking
    with pytest.raises(Exception, match="menunggu verifikasi pusat"):
        services.finish_on_site(kid, document_number="1", issued_on=TODAY, stock_code="BLANGKO_KIA", actor=officer)


def test_without_siak_the_page_says_finish_with_a_receipt(client, officer):
    trip = trip_on_site(team=[officer], siak_online=False)
    visit = visit_at_desk(trip)
    application = start(visit, officer)
    tick_all(application, officer)
    client.post_form("/masuk", {"username": officer.username, "password": PASSWORD})
    page = client.get(f"/pelayanan/{application.id}").get_data(as_text=True)
    assert "SIAK tidak terhubung: selesaikan dengan tanda terima" in page
    resp = client.post_form(f"/pelayanan/{application.id}/selesai", {
        "document_number": "X-1", "issued_on": TODAY.isoformat(), "stock_code": "BLANGKO_KIA"},
        token_from=f"/pelayanan/{application.id}")
    assert resp.status_code == 422 and "SIAK tidak terhubung" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- receipt, postpone, reject

def test_receipt_for_several_applications_of_the_visit(client, signed_in, trip, visit, officer):
    birth = start(visit, officer, "AKTA_LAHIR", "baru", name="Bayi", birth_date=TODAY - timedelta(days=61))
    kia = start(visit, officer)
    assert birth.late and birth.late_days == 1
    refused = client.post_form(f"/pelayanan/{birth.id}/tanda-terima", {
        "applications": [str(birth.id), str(kia.id)], "collect_at": "desa"}, token_from=f"/pelayanan/{birth.id}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "persyaratan belum lengkap" in page and "Kutipan akta kelahiran anak" in page
    assert services.draft_applications(visit) == [birth, kia]
    tick_all(birth, officer)
    tick_all(kia, officer)
    resp = client.post_form(f"/pelayanan/{birth.id}/tanda-terima", {
        "applications": [str(birth.id), str(kia.id)], "collect_at": "desa"}, token_from=f"/pelayanan/{birth.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    birth, kia = db.session.get(Application, birth.id), db.session.get(Application, kia.id)
    assert birth.status == kia.status == "tanda_terima" and birth.receipt_id == kia.receipt_id
    assert birth.closed_at is not None
    assert db.session.get(type(visit), visit.id).status == "selesai"
    page = client.get(f"/pelayanan/{birth.id}").get_data(as_text=True)
    assert "KP-" in page and "Melalui kantor desa" in page
    assert f"/pelayanan/tanda-terima/{birth.receipt_id}" in page               # the print link


def test_postpone_and_reject_need_a_reason(client, signed_in, visit, officer):
    application = start(visit, officer)
    empty = client.post_form(f"/pelayanan/{application.id}/tunda", {"tunda-reason": " "},
                             token_from=f"/pelayanan/{application.id}")
    assert empty.status_code == 422 and "Tuliskan alasannya." in empty.get_data(as_text=True)
    ok = client.post_form(f"/pelayanan/{application.id}/tunda", {"tunda-reason": "Akta kelahiran anak tertinggal"},
                          token_from=f"/pelayanan/{application.id}")
    assert ok.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == "ditunda" and application.reason == "Akta kelahiran anak tertinggal"
    assert history_of(application)[-1].note == "Akta kelahiran anak tertinggal"
    other = start(visit, officer, "KK", "hilang", relation="sendiri", name="Aluh")
    services.reject_application(other, reason="Bukan warga desa ini", actor=officer)
    assert other.status == "ditolak"
    again = client.post_form(f"/pelayanan/{application.id}/tolak", {"tolak-reason": "x"},
                             token_from=f"/pelayanan/{application.id}")
    assert again.status_code == 422 and "tidak dapat diubah" in again.get_data(as_text=True)


# ---------------------------------------------------------------- roles

def test_other_trips_and_other_roles_cannot_reach_the_intake(client, app, trip, visit, officer):
    application = start(visit, officer)
    stranger = office_user(Role.PETUGAS)
    app.config["BUSES"] = "BUS-01=Bus Ketupat Pecel 01;BUS-02=Bus Cadangan 02"
    trip_on_site(team=[stranger], bus="BUS-02")
    client.post_form("/masuk", {"username": stranger.username, "password": PASSWORD})
    assert client.get(f"/pelayanan/{application.id}").status_code == 404
    assert client.get(f"/pelayanan/kunjungan/{visit.id}/baru").status_code == 404
    assert client.post_form(f"/pelayanan/{application.id}/tunda", {"tunda-reason": "coba"}).status_code == 404
    client.post_form("/keluar", {})
    viewer = office_user(Role.VIEWER)
    client.post_form("/masuk", {"username": viewer.username, "password": PASSWORD})
    assert client.get(f"/pelayanan/{application.id}").status_code == 403
    kabid = office_user(Role.KABID_DAFDUK)                      # a kabid of the trip's division may work it
    client.post_form("/keluar", {})
    client.post_form("/masuk", {"username": kabid.username, "password": PASSWORD})
    assert client.get(f"/pelayanan/{application.id}").status_code == 200
