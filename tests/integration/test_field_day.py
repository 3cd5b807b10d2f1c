"""The trip day on site (SOP steps 4–5): arrival, the roster from the village lists, queue
numbers, walk-ins, calling, sending home with the missing-items slip, live counts, the berita
acara's figures against the records, returning blanks, and who may see and do what."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

from webapp.core.timefmt import wita_today
import pytest

from tests.integration.trip_factories import departed_trip, disposed_request, office_user
from webapp.auth.roles import Role
from webapp.core.changes import change_status, history_of
from webapp.core.db import utcnow
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.field import services
from webapp.field.models import CALLED, DONE, REGISTERED, SENT_HOME, WAITING, Visit
from webapp.intake import models as im
from webapp.layanan.catalog import EQUIPMENT_KINDS
from webapp.inventory import services as inventory
from webapp.quality import precheck
from webapp.quality import services as quality
from webapp.trips import services as trips
from webapp.trips.models import ARRIVED, DEPARTED, FINISHED, Trip

ALUH_NIK = "6306104101900001"


@pytest.fixture
def officer(app):
    return office_user(Role.PETUGAS, full_name="Rahmat Hidayat")


@pytest.fixture
def trip(app, officer):
    return departed_trip(members=[(officer, "koordinator")], stock_qty={"BLANGKO_KTP": 10, "KERTAS_KK": 5})


def on_site(trip, actor):
    trips.record_arrival(trip, actor=actor)
    services.ensure_roster(trip, actor)
    db.session.commit()
    return trip


def visit_named(trip, name) -> Visit:
    return Visit.query.filter_by(trip_id=trip.id, name=name).one()


def reload(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


def application(visit, actor, service="KTP_EL", subtype="baru", status=im.DRAFT, **fields):
    """An application row moved along its workflow as intake would (intake's own tests cover intake)."""
    app_row = im.Application(visit_id=visit.id, trip_id=visit.trip_id, service_code=service, subtype_code=subtype,
                             subject_name=visit.name, subject_nik=visit.nik, subject_birth_date=visit.birth_date,
                             status=None, **fields)
    db.session.add(app_row)
    change_status(app_row, im.DRAFT, actor=actor, workflow=im.APPLICATION_WORKFLOW)
    if status != im.DRAFT:
        change_status(app_row, status, actor=actor, workflow=im.APPLICATION_WORKFLOW)
        app_row.closed_at = utcnow()
    db.session.flush()
    return app_row


# ---------------------------------------------------------------- arrival (step 4)

def test_team_records_arrival_and_step_4_ends(client, login, trip, officer):
    login(officer)
    page = client.get(f"/perjalanan/{trip.id}").get_data(as_text=True)
    assert 'data-testid="arrive"' in page and "Catat tiba di lokasi" in page
    resp = client.post_form(f"/lapangan/{trip.id}/tiba", token_from=f"/lapangan/{trip.id}")
    assert resp.status_code == 302

    trip = reload(Trip, trip.id)
    assert trip.status == ARRIVED and trip.arrived_at is not None
    last = history_of(trip)[-1]
    assert (last.from_status, last.to_status, last.at) == (DEPARTED, ARRIVED, trip.arrived_at)
    assert all(r.status == "berangkat" for r in trips.requests_of(trip))        # requests stay "berangkat"
    step4 = trips.trip_timeline(trip).step4
    assert step4.started_at == trip.departed_at and step4.ended_at == trip.arrived_at
    assert step4.duration is not None and step4.within_standard

    page = client.get(f"/perjalanan/{trip.id}").get_data(as_text=True)
    assert 'data-testid="arrive"' not in page and 'data-testid="arrived-at"' in page
    resp = client.post_form(f"/lapangan/{trip.id}/tiba", token_from=f"/lapangan/{trip.id}", follow_redirects=True)
    assert "sudah tercatat" in resp.get_data(as_text=True)                     # not twice, not a 500


def test_arrival_before_departure_and_by_strangers_is_refused(app, officer):
    kabid = office_user(Role.KABID_DAFDUK)
    trip = trips.schedule_trip(trips.TripPlan(
        start_date=wita_today() + timedelta(days=30), end_date=wita_today() + timedelta(days=30),
        request_ids=[disposed_request().id], members=[trips.MemberChoice(officer.id, "operator")],
        accepted_missing=frozenset(EQUIPMENT_KINDS)), actor=kabid)
    with pytest.raises(DomainError, match="keberangkatan"):
        trips.record_arrival(trip, actor=officer)
    departed = departed_trip(members=[(officer, "operator")])
    with pytest.raises(DomainError, match="anggota tim"):
        trips.record_arrival(departed, actor=office_user(Role.PETUGAS))
    with pytest.raises(DomainError, match="sebelum waktu berangkat"):
        trips.record_arrival(departed, actor=officer, at=departed.departed_at - timedelta(minutes=1))


def test_siak_link_is_recorded_with_when_and_who(client, login, trip, officer):
    login(officer)
    resp = client.post_form(f"/lapangan/{trip.id}/siak", {"online": "1"}, token_from=f"/lapangan/{trip.id}")
    assert resp.status_code == 302
    trip = reload(Trip, trip.id)
    assert trip.siak_online is True
    change = trips.siak_link_change(trip)
    assert change.online and change.actor_name == "Rahmat Hidayat"
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    assert "SIAK terhubung" in page and "oleh Rahmat Hidayat" in page
    from webapp.core.audit import AuditEntry
    assert AuditEntry.query.filter_by(action="siak_link", entity_id=str(trip.id)).count() == 1


# ---------------------------------------------------------------- roster and queue

def test_roster_comes_from_the_village_lists_once(client, login, trip, officer):
    login(officer)
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    visits = Visit.query.filter_by(trip_id=trip.id).all()
    assert sorted(v.name for v in visits) == ["Aluh Masitah", "Galuh Rahmah", "Utuh Basrun"]
    aluh = visit_named(trip, "Aluh Masitah")
    req = trips.requests_of(trip)[0]
    resident = next(r for r in req.residents if r.name == "Aluh Masitah")
    assert (aluh.status, aluh.nik, aluh.sex, aluh.birth_date, aluh.desa_code, aluh.resident_id, aluh.request_id) == (
        REGISTERED, ALUH_NIK, "P", date(1990, 1, 1), req.desa_code, resident.id, req.id)
    assert ALUH_NIK not in page and "6306••••••••0001" in page                 # masked in the list
    client.get(f"/lapangan/{trip.id}")
    assert Visit.query.filter_by(trip_id=trip.id).count() == 3                 # opened twice, made once


def test_check_in_numbers_the_queue_per_trip_and_stores_the_flags(client, login, trip, officer):
    on_site(trip, officer)
    login(officer)
    for waiting, name in enumerate(("Utuh Basrun", "Aluh Masitah"), start=1):
        resp = client.htmx("POST", f"/lapangan/kunjungan/{visit_named(trip, name).id}/hadir")
        answer = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "HX-Trigger" not in resp.headers      # no second request for the counts:
        assert 'id="trip-counts"' in answer and 'hx-swap-oob="true"' in answer   # they come out of band
        assert f'data-count="menunggu">{waiting}<' in answer
    utuh, aluh = reload(Visit, visit_named(trip, "Utuh Basrun").id), visit_named(trip, "Aluh Masitah")
    assert (utuh.queue_number, aluh.queue_number) == (1, 2)
    assert utuh.status == aluh.status == WAITING and utuh.arrived_at is not None
    assert utuh.flag_level == "warning" and "NIK tidak ditemukan di database" in utuh.flag_reasons  # no register here
    assert '<td data-label="Antrean" class="queue-no">002</td>' in resp.get_data(as_text=True)

    resp = client.htmx("POST", f"/lapangan/kunjungan/{aluh.id}/hadir")                 # twice: refused in the row
    assert resp.status_code == 422 and "sudah hadir" in resp.get_data(as_text=True)

    other_officer = office_user(Role.PETUGAS)
    other = on_site(departed_trip(members=[(other_officer, "operator")]), other_officer)
    first = Visit.query.filter_by(trip_id=other.id).first()
    assert services.check_in(first, other_officer).queue_number == 1              # each trip counts from 1


def _serve_link(answer: str, visit) -> str:
    row = answer.split(f'id="visit-{visit.id}"', 1)[1].split("</tr>", 1)[0]
    return html.unescape(re.search(r'<a href="([^"]+)"[^>]*data-testid="serve"', row).group(1))


def test_every_roster_button_answers_with_the_counts_out_of_band(client, login, trip, officer):
    on_site(trip, officer)
    login(officer)
    utuh, galuh = visit_named(trip, "Utuh Basrun"), visit_named(trip, "Galuh Rahmah")
    steps = [(utuh, "hadir", "menunggu"), (utuh, "panggil", "dipanggil"), (galuh, "tidak-hadir", "tidak_hadir"),
             (utuh, "antre-lagi", "menunggu")]
    for visit, action, counted in steps:
        resp = client.htmx("POST", f"/lapangan/kunjungan/{visit.id}/{action}")
        answer = resp.get_data(as_text=True)
        assert resp.status_code == 200, action
        assert f'id="visit-{visit.id}"' in answer and 'id="trip-counts"' in answer and 'hx-swap-oob="true"' in answer
        assert re.search(rf'data-count="{counted}">1<', answer), action
    refused = client.htmx("POST", f"/lapangan/kunjungan/{galuh.id}/panggil")        # not waiting: in the row
    assert refused.status_code == 422 and 'id="trip-counts"' in refused.get_data(as_text=True)


def test_layani_opens_the_new_application_for_a_checked_in_resident(client, login, trip, officer):
    on_site(trip, officer)
    utuh = services.check_in(visit_named(trip, "Utuh Basrun"), officer)          # waiting, one service asked
    aluh = services.call_visit(services.check_in(visit_named(trip, "Aluh Masitah"), officer), officer)
    galuh = visit_named(trip, "Galuh Rahmah")                                      # not checked in: no Layani
    db.session.commit()
    login(officer)
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    assert _serve_link(page, utuh) == f"/pelayanan/kunjungan/{utuh.id}/baru?layanan=PEREKAMAN:perekaman"
    assert _serve_link(page, aluh) == f"/pelayanan/kunjungan/{aluh.id}/baru"      # two services asked: she chooses
    assert 'data-testid="serve"' not in page.split(f'id="visit-{galuh.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="call"' in page.split(f'id="visit-{utuh.id}"', 1)[1].split("</tr>", 1)[0]   # Panggil stays

    form = client.get(_serve_link(page, utuh)).get_data(as_text=True)
    assert "Permohonan baru" in form and re.search(r'<option selected value="PEREKAMAN:perekaman"', form)
    application(aluh, officer, "KK", "perubahan")
    db.session.commit()
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    assert _serve_link(page, aluh) == f"/lapangan/kunjungan/{aluh.id}"            # has one: the visit page


def test_roster_search_by_name_and_queue_number(client, login, trip, officer):
    on_site(trip, officer)
    services.check_in(visit_named(trip, "Galuh Rahmah"), officer)
    db.session.commit()
    login(officer)
    by_name = client.htmx("GET", f"/lapangan/{trip.id}?q=utuh").get_data(as_text=True)
    assert "Utuh Basrun" in by_name and "Aluh Masitah" not in by_name and "<html" not in by_name
    by_number = client.htmx("GET", f"/lapangan/{trip.id}?q=001").get_data(as_text=True)
    assert "Galuh Rahmah" in by_number and "Utuh Basrun" not in by_number
    waiting = client.htmx("GET", f"/lapangan/{trip.id}?status=menunggu").get_data(as_text=True)
    assert "Galuh Rahmah" in waiting and "Aluh Masitah" not in waiting


def test_queue_is_closed_until_arrival_and_after_the_end(trip, officer):
    services.ensure_roster(trip, officer)
    visit = Visit.query.filter_by(trip_id=trip.id).first()
    with pytest.raises(DomainError, match="tiba di lokasi"):
        services.check_in(visit, officer)
    on_site(trip, officer)
    services.finish_trip_day(trip, officer)
    with pytest.raises(DomainError, match="sudah ditutup"):
        services.check_in(visit, officer)


# ---------------------------------------------------------------- walk-ins

def walk_in_form(**changes):
    data = {"name": "Idar Bahtiar", "nik": "6306100707800011", "no_kk": "", "sex": "L", "birth_date": "1980-07-07",
            "desa_code": "63.06.10.2009", "phone": "0812 5000 1234"}
    data.update(changes)
    return data


def test_walk_in_with_an_invalid_nik_is_explained_next_to_the_field(client, login, trip, officer):
    on_site(trip, officer)
    login(officer)
    resp = client.post_form(f"/lapangan/{trip.id}/warga-baru", walk_in_form(nik="1234", phone="08abc"),
                            token_from=f"/lapangan/{trip.id}/warga-baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="nik-error">[^<]*NIK harus 16 digit, yang diisi 4 digit', page)
    assert re.search(r'id="phone-error">[^<]*Nomor telepon hanya angka', page)    # every field at once
    assert 'value="Idar Bahtiar"' in page and 'value="1234"' in page              # what was typed stays
    assert Visit.query.filter_by(trip_id=trip.id, walk_in=True).count() == 0


def test_walk_in_joins_the_queue_and_its_nik_is_checked_as_typed(client, login, trip, officer):
    on_site(trip, officer)
    login(officer)
    live = client.htmx("POST", f"/lapangan/{trip.id}/warga-baru/cek", data=walk_in_form(nik="6306100707800011"))
    assert live.status_code == 200 and 'data-flag="warning"' in live.get_data(as_text=True)
    resp = client.post_form(f"/lapangan/{trip.id}/warga-baru", walk_in_form(), token_from=f"/lapangan/{trip.id}/warga-baru")
    assert resp.status_code == 302
    visit = Visit.query.filter_by(trip_id=trip.id, walk_in=True).one()
    assert (visit.status, visit.queue_number, visit.nik, visit.phone) == (WAITING, 1, "6306100707800011", "0812 5000 1234")
    again = client.post_form(f"/lapangan/{trip.id}/warga-baru", walk_in_form(name="Idar B."),
                             token_from=f"/lapangan/{trip.id}/warga-baru")
    assert again.status_code == 422 and "sudah ada di daftar hadir" in again.get_data(as_text=True)
    wrong_desa = client.post_form(f"/lapangan/{trip.id}/warga-baru", walk_in_form(nik="", desa_code="63.06.01.2001"),
                                  token_from=f"/lapangan/{trip.id}/warga-baru")
    assert "Pilih desa yang dilayani perjalanan ini" in wrong_desa.get_data(as_text=True)


def test_walk_in_with_an_open_case_is_flagged_cannot_be_finished_on_site(client, login, trip, officer):
    on_site(trip, officer)
    walker = precheck.ResidentInput(key="x", name="Idar Bahtiar", nik="6306100707800011", sex="L",
                                    birth_date=date(1980, 7, 7))
    case = quality.open_case(actor=officer, summary="Data ganda menunggu pusat", severity="error",
                             person_keys=[precheck.outside_key(walker)], subject_name="Idar Bahtiar",
                             subject_nik="6306100707800011")
    db.session.commit()
    login(officer)
    live = client.htmx("POST", f"/lapangan/{trip.id}/warga-baru/cek", data=walk_in_form()).get_data(as_text=True)
    assert 'data-flag="blocked"' in live and f"menunggu verifikasi pusat ({case.number})" in live
    client.post_form(f"/lapangan/{trip.id}/warga-baru", walk_in_form(), token_from=f"/lapangan/{trip.id}/warga-baru")
    visit = Visit.query.filter_by(trip_id=trip.id, walk_in=True).one()
    assert visit.flag_level == "blocked" and any(case.number in r for r in visit.flag_reasons)
    page = client.get(f"/lapangan/kunjungan/{visit.id}").get_data(as_text=True)
    assert "Tidak dapat diselesaikan di lokasi" in page and case.number in page


# ---------------------------------------------------------------- call, send home, the slip

def test_call_then_send_home_postpones_drafts_and_gives_the_slip(client, login, trip, officer):
    on_site(trip, officer)
    aluh = services.check_in(visit_named(trip, "Aluh Masitah"), officer)
    db.session.commit()
    login(officer)
    client.post_form(f"/lapangan/kunjungan/{aluh.id}/panggil", {"back": "visit"}, token_from=f"/lapangan/{trip.id}")
    aluh = reload(Visit, aluh.id)
    assert aluh.status == CALLED and aluh.called_at is not None and aluh.called_by_id == officer.id
    draft = application(aluh, officer, "KK", "perubahan")
    db.session.commit()

    resp = client.post_form(f"/lapangan/kunjungan/{aluh.id}/pulangkan", {"reason": ""},
                            token_from=f"/lapangan/kunjungan/{aluh.id}")
    assert resp.status_code == 422 and re.search(r'id="reason-error">[^<]*Tuliskan alasan', resp.get_data(as_text=True))
    resp = client.post_form(f"/lapangan/kunjungan/{aluh.id}/pulangkan", {"reason": "KK asli tidak dibawa"},
                            token_from=f"/lapangan/kunjungan/{aluh.id}")
    assert resp.status_code == 302
    aluh = reload(Visit, aluh.id)
    assert aluh.status == SENT_HOME and aluh.sent_home_reason == "KK asli tidak dibawa"
    assert db.session.get(im.Application, draft.id).status == im.POSTPONED

    slip = client.get(f"/lapangan/kunjungan/{aluh.id}/kekurangan").get_data(as_text=True)
    assert "Daftar kekurangan berkas" in slip and "KK asli tidak dibawa" in slip
    assert "Kartu Keluarga — Perubahan data" in slip
    assert ALUH_NIK not in slip and "6306••••••••0001" in slip
    assert "Rahmat Hidayat" in slip and trip.number in slip                      # the contact line


def test_slip_lists_the_missing_checklist_items_per_application(trip, officer):
    on_site(trip, officer)
    aluh = services.call_visit(services.check_in(visit_named(trip, "Aluh Masitah"), officer), officer)
    ktp = application(aluh, officer, "KTP_EL", "hilang")
    ktp.lines = [im.ChecklistLine(position=1, text="Kartu Keluarga", state=im.PRESENT),
                 im.ChecklistLine(position=2, text="Surat keterangan hilang dari kepolisian", state=im.MISSING)]
    db.session.flush()
    services.send_home(aluh, "Surat kehilangan belum ada", officer)
    slip = services.missing_slip(aluh)
    assert [s.label for s in slip.sections] == ["KTP-el — Hilang"]
    assert slip.sections[0].items == ["Surat keterangan hilang dari kepolisian"]


def test_slip_without_applications_lists_what_the_requested_services_need(trip, officer):
    from webapp.requirements.services import seed_templates
    seed_templates()
    on_site(trip, officer)
    utuh = services.check_in(visit_named(trip, "Utuh Basrun"), officer)
    services.send_home(utuh, "Pulang sebelum dipanggil", officer)
    slip = services.missing_slip(utuh)
    assert [s.label for s in slip.sections] == ["Perekaman KTP-el"]
    assert slip.sections[0].items                                            # the template's items


def test_visit_closes_when_its_last_application_closes_and_reopens(trip, officer):
    on_site(trip, officer)
    visit = services.call_visit(services.check_in(visit_named(trip, "Galuh Rahmah"), officer), officer)
    akta = application(visit, officer, "AKTA_LAHIR", "baru")
    kia = application(visit, officer, "KIA", "5_17", status=im.RECEIPTED)
    services.application_closed(visit, officer)
    assert visit.status == CALLED                                             # the akta is still a draft
    change_status(akta, im.POSTPONED, actor=officer, workflow=im.APPLICATION_WORKFLOW)
    services.application_closed(visit, officer)
    assert visit.status == DONE and visit.closed_at is not None
    step5 = services.visit_step5(visit)
    assert step5.started_at == visit.called_at and step5.ended_at == visit.closed_at
    services.reopen_visit(visit, officer)
    assert visit.status == CALLED and visit.closed_at is None
    assert kia.status == im.RECEIPTED


def test_counts_follow_the_queue(client, login, trip, officer):
    on_site(trip, officer)
    services.check_in(visit_named(trip, "Aluh Masitah"), officer)
    utuh = services.check_in(visit_named(trip, "Utuh Basrun"), officer)
    services.send_home(utuh, "Belum cukup umur", officer)
    db.session.commit()
    login(officer)
    counts = client.htmx("GET", f"/lapangan/{trip.id}/hitungan").get_data(as_text=True)
    assert 'data-count="menunggu">1<' in counts and 'data-count="dipulangkan">1<' in counts
    assert 'data-count="terdaftar">1<' in counts and 'data-count="selesai">0<' in counts
    assert 'hx-trigger="every 10s"' in counts and "hx-swap-oob" not in counts    # polled for other officers' changes


# ---------------------------------------------------------------- berita acara and blanks

def test_berita_acara_figures_come_from_the_records(client, login, trip, officer):
    on_site(trip, officer)
    aluh = services.call_visit(services.check_in(visit_named(trip, "Aluh Masitah"), officer), officer)
    application(aluh, officer, "KTP_EL", "baru", status=im.FINISHED_ON_SITE, document_number="6306-KTP-1")
    receipted = application(aluh, officer, "KK", "perubahan", status=im.RECEIPTED)
    from webapp.intake import receipts
    receipt = receipts.issue_receipt(aluh, [receipted], collect_at="kantor", actor=officer)
    services.application_closed(aluh, officer)
    galuh = services.call_visit(services.check_in(visit_named(trip, "Galuh Rahmah"), officer), officer)
    application(galuh, officer, "AKTA_LAHIR", "baru", status=im.POSTPONED, reason="Surat keterangan lahir belum ada")
    application(galuh, officer, "KIA", "5_17", status=im.REJECTED, reason="Sudah punya KIA")
    services.application_closed(galuh, officer)
    utuh = services.check_in(visit_named(trip, "Utuh Basrun"), officer)
    services.send_home(utuh, "Tidak membawa KK", officer)
    inventory.record_use("BLANGKO_KTP", 1, trip_id=trip.id, actor=officer, reason="KTP-el Aluh")
    inventory.record_spoiled("BLANGKO_KTP", 1, trip_id=trip.id, actor=officer, reason="Gagal cetak")
    services.return_blanks(trip, "BLANGKO_KTP", 3, officer)
    services.finish_trip_day(trip, officer)
    db.session.commit()

    ba = services.berita_acara(trip)
    assert ba.visit_counts["total"] == 3 and ba.residents_served == 2 and ba.visit_counts[SENT_HOME] == 1
    lines = {(l.service_code, l.subtype_code): l.counts for l in ba.service_lines}
    assert lines[("KTP_EL", "baru")]["selesai_lapangan"] == 1
    assert lines[("KK", "perubahan")]["tanda_terima"] == 1
    assert lines[("AKTA_LAHIR", "baru")]["ditunda"] == 1 and lines[("KIA", "5_17")]["ditolak"] == 1
    assert ba.outcome_totals == {"selesai_lapangan": 1, "tanda_terima": 1, "ditunda": 1, "ditolak": 1, "draf": 0}
    assert ba.receipts == [receipt.number]
    assert [(n.visit.name, n.reason) for n in ba.not_served] == [("Utuh Basrun", "Dipulangkan: Tidak membawa KK")]
    ktp = next(s for s in ba.stock if s.code == "BLANGKO_KTP")
    assert (ktp.issued, ktp.used, ktp.spoiled, ktp.returned, ktp.outstanding) == (10, 1, 1, 3, 5)
    assert [m.user.full_name for m in ba.members] == ["Rahmat Hidayat"]

    login(officer)
    page = client.get(f"/lapangan/{trip.id}/berita-acara").get_data(as_text=True)
    assert "BERITA ACARA PELAYANAN" in page and 'data-testid="letterhead"' in page
    assert receipt.number in page and "Tidak membawa KK" in page and "Rahmat Hidayat" in page
    assert re.search(r'data-service="total">.*?data-outcome="total">4<', page, re.S)


def test_returning_more_blanks_than_the_trip_carries_is_refused_next_to_the_field(client, login, trip, officer):
    login(officer)
    page = client.get(f"/lapangan/{trip.id}/blangko").get_data(as_text=True)
    assert 'data-testid="outstanding-BLANGKO_KTP"><strong>10</strong>' in page
    resp = client.post_form(f"/lapangan/{trip.id}/blangko", {"stock_code": "BLANGKO_KTP", "quantity": "11"},
                            token_from=f"/lapangan/{trip.id}/blangko")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="quantity-error">[^<]*tinggal 10 keping; tidak dapat mencatat 11 keping', page)
    assert 'value="11"' in page
    assert inventory.trip_stock(trip.id)["BLANGKO_KTP"].returned == 0
    resp = client.post_form(f"/lapangan/{trip.id}/blangko", {"stock_code": "BLANGKO_KTP", "quantity": "4"},
                            token_from=f"/lapangan/{trip.id}/blangko", follow_redirects=True)
    assert "dikembalikan ke gudang" in resp.get_data(as_text=True)
    assert inventory.trip_stock(trip.id)["BLANGKO_KTP"].outstanding == 6


def test_finishing_waits_for_residents_at_the_desk(trip, officer):
    on_site(trip, officer)
    visit = services.call_visit(services.check_in(visit_named(trip, "Aluh Masitah"), officer), officer)
    with pytest.raises(DomainError, match="sedang dilayani"):
        services.finish_trip_day(trip, officer)
    services.requeue(visit, officer)
    services.finish_trip_day(trip, officer)
    assert trip.status == FINISHED and trip.finished_at is not None


# ---------------------------------------------------------------- who may see and do what

def test_roles_and_other_trips(client, login, make_user, trip, officer):
    on_site(trip, officer)
    mine = visit_named(trip, "Aluh Masitah")
    stranger = office_user(Role.PETUGAS)
    other_trip = on_site(departed_trip(members=[(stranger, "operator")]), stranger)
    theirs = Visit.query.filter_by(trip_id=other_trip.id).first()

    login(officer)
    assert client.get(f"/lapangan/kunjungan/{theirs.id}").status_code == 404       # a visit of another trip
    assert client.get(f"/lapangan/{other_trip.id}").status_code == 404
    assert client.post_form(f"/lapangan/kunjungan/{theirs.id}/hadir", token_from="/lapangan/").status_code == 404
    today = client.get("/lapangan/").get_data(as_text=True)
    assert trip.number in today and other_trip.number not in today

    client.post_form("/keluar", token_from="/")
    login(make_user(Role.KEPALA_DINAS))                                          # reads, never writes
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    assert "Aluh Masitah" in page and 'data-testid="check-in"' not in page and 'data-testid="add-walk-in"' not in page
    assert client.get(f"/lapangan/kunjungan/{mine.id}").status_code == 200
    assert client.post_form(f"/lapangan/kunjungan/{mine.id}/hadir", token_from="/lapangan/").status_code == 403

    client.post_form("/keluar", token_from="/")
    login(make_user(Role.KEPALA_DESA))
    assert client.get(f"/lapangan/{trip.id}").status_code == 403
    assert client.get("/lapangan/").status_code == 403

    client.post_form("/keluar", token_from="/")
    kabid_capil = login(make_user(Role.KABID_CAPIL))                             # not one of the trip's divisions
    assert services.can_work_trip(trip, kabid_capil) is False
    page = client.get(f"/lapangan/{trip.id}").get_data(as_text=True)
    assert 'data-testid="check-in"' not in page
    assert client.get(f"/lapangan/{trip.id}/warga-baru").status_code == 404


def test_kabid_of_the_trips_division_works_the_day(app, trip, officer):
    kabid = office_user(Role.KABID_DAFDUK)
    assert services.can_work_trip(trip, kabid) and not trips.is_member(trip, kabid)
    on_site(trip, kabid)
    assert services.check_in(visit_named(trip, "Utuh Basrun"), kabid).queue_number == 1


def test_visit_page_is_audited_and_ticket_has_no_full_nik(client, login, trip, officer):
    on_site(trip, officer)
    visit = services.check_in(visit_named(trip, "Aluh Masitah"), officer)
    db.session.commit()
    login(officer)
    page = client.get(f"/lapangan/kunjungan/{visit.id}").get_data(as_text=True)
    assert ALUH_NIK in page                                                      # the full record, audited
    from webapp.core.audit import AuditEntry
    entry = AuditEntry.query.filter_by(action="view", entity_type="visit", entity_id=str(visit.id)).one()
    assert ALUH_NIK not in entry.summary
    ticket = client.get(f"/lapangan/kunjungan/{visit.id}/tiket").get_data(as_text=True)
    assert 'data-testid="ticket-number">001<' in ticket and ALUH_NIK not in ticket and trip.number in ticket


def test_today_lists_running_and_recently_finished_trips(client, login):
    kabid = office_user(Role.KABID_DAFDUK)                      # sees every trip of the division
    team = [office_user(Role.PETUGAS) for _ in range(3)]
    running = departed_trip(members=[(team[0], "operator")])
    old = on_site(departed_trip(members=[(team[1], "operator")]), kabid)
    services.finish_trip_day(old, kabid)
    old.finished_at = utcnow() - timedelta(days=services.RECENT_DAYS + 1)     # closed days ago
    recent = on_site(departed_trip(members=[(team[2], "operator")]), kabid)
    services.finish_trip_day(recent, kabid)
    db.session.commit()
    shown = [row.trip.number for row in services.trips_for_today(kabid)]
    assert running.number in shown and recent.number in shown and old.number not in shown
    assert [row.trip.number for row in services.trips_for_today(team[0])] == [running.number]
    login(kabid)
    assert running.number in client.get("/lapangan/").get_data(as_text=True)


def test_age_is_counted_in_whole_years_on_the_day():
    born = date(2009, 3, 15)
    assert services.age_on(born, date(2026, 3, 14)) == 16
    assert services.age_on(born, date(2026, 3, 15)) == 17
    assert services.age_on(None, date(2026, 3, 15)) is None
