"""SOP step 3: scheduling a trip with team, equipment and blank stock; double booking; the
departure; the printable pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from webapp.core.errors import DomainError

from tests.integration.trip_factories import disposed_request, equipment, office_user, stock
from webapp.auth.roles import Role
from webapp.core.changes import history_of
from webapp.core.timefmt import wita_today
from webapp.extensions import db
from webapp.layanan.catalog import EQUIPMENT_KINDS
from webapp.trips import services
from webapp.trips.models import Trip, TripMember
from webapp.trips.services import MemberChoice, TripPlan, TripPlanError

DAY0 = wita_today() + timedelta(days=20)


def day(n: int):
    return DAY0 + timedelta(days=n)


def movements():
    from webapp.inventory.models import StockMovement
    return StockMovement.query.filter(StockMovement.trip_id.isnot(None)).count()


def balance(code):
    from webapp.inventory import services as inv
    return inv.balance(code)


# Most tests are about one rule; they go knowingly short of equipment the residents need (the
# confirmation box ticked for every kind), and the tests of that rule say so.
EVERY_KIND = frozenset(EQUIPMENT_KINDS)


def form_data(*, requests, members=(), equipment_ids=(), start, end, stock_qty=None, bus="BUS-01",
              knowingly_short=True):
    data = {"start_date": start.isoformat(), "end_date": end.isoformat(), "node_code": bus,
            "meeting_point": "Halaman kantor Disdukcapil", "notes": "",
            "requests": [str(r.id) for r in requests],
            "member_user": [str(u.id) for u, _t in members], "member_task": [t for _u, t in members],
            "equipment": [str(i.id) for i in equipment_ids]}
    for code, qty in (stock_qty or {}).items():
        data[f"stock_{code}"] = str(qty)
    if knowingly_short:
        data["equipment_ack"] = ",".join(EVERY_KIND)
    return data


def schedule(kabid, *, requests, members, items=(), start, end, stock_qty=None, bus="BUS-01",
             accepted_missing=EVERY_KIND) -> Trip:
    return services.schedule_trip(TripPlan(
        start_date=start, end_date=end, node_code=bus, request_ids=[r.id for r in requests],
        members=[MemberChoice(u.id, t) for u, t in members], equipment_ids=[i.id for i in items],
        stock=dict(stock_qty or {}), accepted_missing=accepted_missing), actor=kabid)


@pytest.fixture(autouse=True)
def two_buses(app):
    app.config["BUSES"] = "BUS-01=Bus Ketupat Pecel 01;BUS-02=Bus Cadangan 02"


@pytest.fixture
def kabid(app):
    return office_user(Role.KABID_DAFDUK, full_name="Noor Hidayah, S.E.")


@pytest.fixture
def rahmat(app):
    return office_user(Role.PETUGAS, full_name="Rahmat Hidayat", nip="198705122010011003")


# ---------------------------------------------------------------- the happy path

def test_kabid_schedules_one_trip_for_two_neighbouring_villages(client, login, kabid, rahmat):
    loksado = disposed_request(desa_code="63.06.10.2009")
    haratai = disposed_request(desa_code="63.06.10.2010")
    operator = office_user(Role.OPERATOR, full_name="Fitri Handayani")
    laptop, kit = equipment("laptop"), equipment("perekaman_kit")
    stock("BLANGKO_KTP", 50)
    stock("KERTAS_AKTA", 20)
    login(kabid)
    page = client.get(f"/perjalanan/baru?r={loksado.id}").get_data(as_text=True)
    assert "Kec. Loksado" in page and "dibutuhkan" in page          # grouped, needed kinds highlighted
    assert 'name="stock_BLANGKO_KTP" value="2"' in page             # 1 resident + spare, from the list
    resp = client.post_form("/perjalanan/baru", form_data(
        requests=[loksado, haratai], members=[(rahmat, "perekaman"), (operator, "operator")],
        equipment_ids=[laptop, kit], start=day(0), end=day(1), stock_qty={"BLANGKO_KTP": 4, "KERTAS_AKTA": 2}),
        token_from="/perjalanan/baru")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    trip = Trip.query.one()
    assert re.fullmatch(r"TRP-OFFICE-\d{6}", trip.number)
    assert (trip.status, trip.lead_division, trip.start_date, trip.end_date) == ("dijadwalkan", "dafduk", day(0), day(1))
    assert {m.user_id: m.task for m in trip.members} == {rahmat.id: "perekaman", operator.id: "operator"}
    assert {e.equipment_id for e in trip.equipment} == {laptop.id, kit.id}
    for req in (loksado, haratai):
        db.session.refresh(req)
        assert req.status == "dijadwalkan"
        assert history_of(req)[-1].note == f"Perjalanan {trip.number}"
    assert balance("BLANGKO_KTP") == 46 and balance("KERTAS_AKTA") == 18
    assert services.stock_on_trip(trip) == {"BLANGKO_KTP": 4, "KERTAS_AKTA": 2}

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert trip.number in page and "Rahmat Hidayat" in page and laptop.inventory_number in page
    assert "Desa Haratai" in page and "Langkah 3" in page and "Berangkat" in page


# ---------------------------------------------------------------- double booking

def test_officer_on_an_overlapping_trip_is_refused_naming_the_other_trip(client, login, kabid, rahmat):
    first = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(0), end=day(1))
    second_request = disposed_request(desa_code="63.06.10.2001")
    login(kabid)
    resp = client.post_form("/perjalanan/baru", form_data(
        requests=[second_request], members=[(rahmat, "operator")], start=day(1), end=day(2), bus="BUS-02"),
        token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    expected = f"Rahmat Hidayat sudah bertugas pada perjalanan {first.number} ("
    assert expected in page
    assert services.date_range_label(first.start_date, first.end_date) in page
    assert '<option selected value="BUS-02">' in page and f'value="{day(1).isoformat()}"' in page   # kept
    assert Trip.query.count() == 1
    db.session.refresh(second_request)
    assert second_request.status == "didisposisi"


def test_message_names_the_trip_and_its_dates(app, kabid, rahmat):
    first = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(0), end=day(1))
    with pytest.raises(TripPlanError) as info:
        schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(1), end=day(1))
    label = services.date_range_label(day(0), day(1))
    assert info.value.errors[f"member:{rahmat.id}"] == [
        f"Rahmat Hidayat sudah bertugas pada perjalanan {first.number} ({label})."]


def test_adjacent_days_are_fine_and_cancelled_trips_are_ignored(app, kabid, rahmat):
    laptop = equipment("laptop")
    first = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "operator")], items=[laptop],
                     start=day(0), end=day(1))
    schedule(kabid, requests=[disposed_request()], members=[(rahmat, "operator")], items=[laptop],
             start=day(2), end=day(3))                                      # the day after: allowed
    with pytest.raises(TripPlanError):                                       # one shared day: refused
        schedule(kabid, requests=[disposed_request()], members=[(rahmat, "operator")], start=day(3), end=day(4))
    services.cancel_trip(first, "Jalan ke Loksado longsor.", actor=kabid)
    again = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "operator")], items=[laptop],
                     start=day(0), end=day(1))                               # cancelled trip no longer counts
    assert again.status == "dijadwalkan"


def test_equipment_on_an_overlapping_trip_is_refused(client, login, kabid, rahmat):
    printer = equipment("printer_kartu", name="Printer kartu Evolis Primacy")
    first = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "operator")], items=[printer],
                     start=day(0), end=day(0))
    other = office_user(Role.PETUGAS, full_name="Siti Aisyah")
    login(kabid)
    resp = client.post_form("/perjalanan/baru", form_data(
        requests=[disposed_request()], members=[(other, "operator")], equipment_ids=[printer], start=day(0), end=day(0),
        bus="BUS-02"), token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert (f"Printer kartu Evolis Primacy ({printer.inventory_number}) sudah dipakai pada perjalanan "
            f"{first.number}") in page
    assert Trip.query.count() == 1


def test_out_of_service_equipment_cannot_be_booked(client, login, kabid, rahmat):
    broken = equipment("kamera", name="Kamera Canon rusak", in_service=False)
    req = disposed_request()
    login(kabid)
    resp = client.post_form("/perjalanan/baru", form_data(
        requests=[req], members=[(rahmat, "operator")], equipment_ids=[broken], start=day(0), end=day(0)),
        token_from="/perjalanan/baru")
    assert "tidak dalam layanan" in resp.get_data(as_text=True)
    assert Trip.query.count() == 0


def test_stock_beyond_the_balance_saves_nothing(client, login, kabid, rahmat):
    stock("BLANGKO_KTP", 3)
    stock("KERTAS_KK", 10)
    laptop = equipment("laptop")
    req = disposed_request()
    login(kabid)
    resp = client.post_form("/perjalanan/baru", form_data(
        requests=[req], members=[(rahmat, "operator")], equipment_ids=[laptop], start=day(0), end=day(0),
        stock_qty={"KERTAS_KK": 5, "BLANGKO_KTP": 9}), token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    error = re.search(r'id="stock_BLANGKO_KTP-error">([^<]+)<', page)
    assert error, page[:4000]                                   # the ledger's message, next to the quantity
    assert 'name="stock_BLANGKO_KTP" value="9"' in page         # what was typed stays
    assert Trip.query.count() == 0 and TripMember.query.count() == 0
    assert movements() == 0
    assert balance("BLANGKO_KTP") == 3 and balance("KERTAS_KK") == 10
    db.session.refresh(req)
    assert req.status == "didisposisi"


def test_bad_dates_and_empty_team_are_explained(client, login, kabid):
    req = disposed_request()
    login(kabid)
    data = form_data(requests=[req], start=day(2), end=day(1))
    resp = client.post_form("/perjalanan/baru", data, token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert "Tanggal selesai tidak boleh sebelum tanggal berangkat." in page
    assert "Tambahkan sedikitnya satu petugas." in page
    data.update(start_date="31-02-2026")
    page = client.post_form("/perjalanan/baru", data, token_from="/perjalanan/baru").get_data(as_text=True)
    assert "Tanggal tidak dapat dibaca" in page and 'value="31-02-2026"' in page
    assert Trip.query.count() == 0


# ---------------------------------------------------------------- divisions

def test_kabid_of_the_other_division_cannot_schedule_the_request(client, login, rahmat):
    req = disposed_request(divisions=("dafduk",))
    capil = office_user(Role.KABID_CAPIL)
    with pytest.raises(TripPlanError) as info:
        schedule(capil, requests=[req], members=[(rahmat, "operator")], start=day(0), end=day(0))
    assert "dipimpin" in info.value.errors["requests"][0]
    login(capil)
    page = client.get("/perjalanan/baru").get_data(as_text=True)
    assert req.number not in page                                  # not even offered
    resp = client.post_form("/perjalanan/baru", form_data(requests=[req], members=[(rahmat, "operator")],
                                                          start=day(0), end=day(0)), token_from="/perjalanan/baru")
    assert "dipimpin Bidang Dafduk" in resp.get_data(as_text=True)
    assert Trip.query.count() == 0


def test_second_division_adds_its_officers_to_the_same_trip(client, login, kabid, rahmat):
    req = disposed_request(divisions=("dafduk", "capil"))
    laptop = equipment("laptop")
    trip = schedule(kabid, requests=[req], members=[(rahmat, "perekaman")], items=[laptop], start=day(0), end=day(0))
    capil = office_user(Role.KABID_CAPIL)
    akta_officer = office_user(Role.PETUGAS, full_name="Jumberi")
    login(capil)
    page = client.get(f"/perjalanan/{trip.id}/ubah").get_data(as_text=True)
    assert "Rahmat Hidayat" in page and 'name="equipment"' not in page   # only its own team rows
    resp = client.post_form(f"/perjalanan/{trip.id}/ubah", {
        "member_user": [str(akta_officer.id)], "member_task": ["verifikator"],
        "equipment": [], "start_date": "", "end_date": ""}, token_from=f"/perjalanan/{trip.id}/ubah")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    db.session.expire_all()
    trip = db.session.get(Trip, trip.id)
    assert {(m.user_id, m.division) for m in trip.members} == {(rahmat.id, "dafduk"), (akta_officer.id, "capil")}
    assert [e.equipment_id for e in trip.equipment] == [laptop.id]            # untouched
    assert (trip.start_date, trip.end_date) == (day(0), day(0))


def test_editing_a_trip_does_not_conflict_with_itself(client, login, kabid, rahmat):
    laptop = equipment("laptop")
    stock("BLANGKO_KTP", 10)
    trip = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], items=[laptop],
                    start=day(0), end=day(1), stock_qty={"BLANGKO_KTP": 4})
    login(kabid)
    resp = client.post_form(f"/perjalanan/{trip.id}/ubah", form_data(
        requests=[], members=[(rahmat, "koordinator")], equipment_ids=[laptop], start=day(1), end=day(2),
        stock_qty={"BLANGKO_KTP": 2}), token_from=f"/perjalanan/{trip.id}/ubah")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    db.session.expire_all()
    trip = db.session.get(Trip, trip.id)
    assert (trip.start_date, trip.end_date) == (day(1), day(2))
    assert trip.members[0].task == "koordinator"
    assert services.stock_on_trip(trip) == {"BLANGKO_KTP": 2} and balance("BLANGKO_KTP") == 8


# ---------------------------------------------------------------- departure, cancel, visibility

def test_team_member_records_departure_and_requests_follow(client, login, kabid, rahmat):
    reqs = [disposed_request(), disposed_request(desa_code="63.06.10.2010")]
    trip = schedule(kabid, requests=reqs, members=[(rahmat, "perekaman")], start=wita_today(), end=wita_today())
    login(rahmat)
    page = client.get(f"/perjalanan/{trip.id}").get_data(as_text=True)
    assert 'data-testid="depart"' in page
    resp = client.post_form(f"/perjalanan/{trip.id}/berangkat", token_from=f"/perjalanan/{trip.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    trip = db.session.get(Trip, trip.id)
    assert trip.status == "berangkat" and trip.departed_at is not None
    for req in reqs:
        db.session.refresh(req)
        assert req.status == "berangkat"
        assert history_of(req)[-1].at == history_of(trip)[-1].at == trip.departed_at
    page = client.get(f"/perjalanan/{trip.id}").get_data(as_text=True)
    assert "berjalan sejak" in page and 'data-testid="depart"' not in page     # step 4 is running
    # a second departure is refused with a message, not a 500
    resp = client.post_form(f"/perjalanan/{trip.id}/berangkat", token_from=f"/perjalanan/{trip.id}",
                            follow_redirects=True)
    assert "sudah tercatat" in resp.get_data(as_text=True)


def test_petugas_sees_only_trips_they_are_on(client, login, kabid, rahmat):
    mine = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(0), end=day(0))
    other_officer = office_user(Role.PETUGAS)
    theirs = schedule(kabid, requests=[disposed_request()], members=[(other_officer, "perekaman")],
                      start=day(0), end=day(0), bus="BUS-02")
    login(rahmat)
    page = client.get("/perjalanan/").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    assert client.get(f"/perjalanan/{theirs.id}").status_code == 404
    assert client.post_form(f"/perjalanan/{theirs.id}/berangkat", token_from="/").status_code == 404


def test_cancel_returns_stock_and_puts_requests_back_in_the_queue(client, login, kabid, rahmat):
    stock("BLANGKO_KTP", 10)
    req = disposed_request()
    trip = schedule(kabid, requests=[req], members=[(rahmat, "perekaman")], start=day(0), end=day(0),
                    stock_qty={"BLANGKO_KTP": 6})
    login(kabid)
    resp = client.post_form(f"/perjalanan/{trip.id}/batal", {"reason": ""}, token_from=f"/perjalanan/{trip.id}")
    assert resp.status_code == 422 and "Tuliskan alasan pembatalan." in resp.get_data(as_text=True)
    resp = client.post_form(f"/perjalanan/{trip.id}/batal", {"reason": "Bus rusak."}, token_from=f"/perjalanan/{trip.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    trip = db.session.get(Trip, trip.id)
    db.session.refresh(req)
    assert trip.status == "dibatalkan" and trip.cancelled_reason == "Bus rusak."
    assert req.status == "didisposisi"
    assert balance("BLANGKO_KTP") == 10 and services.stock_on_trip(trip) == {}


def test_list_filters_upcoming_and_past(client, login, kabid, rahmat):
    trip = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(0), end=day(0))
    login(office_user(Role.KEPALA_DINAS))
    assert trip.number in client.get("/perjalanan/").get_data(as_text=True)
    assert trip.number not in client.get("/perjalanan/?when=lalu").get_data(as_text=True)
    resp = client.htmx("GET", "/perjalanan/?when=semua&q=haratai")
    assert trip.number not in resp.get_data(as_text=True)
    resp = client.htmx("GET", "/perjalanan/?when=semua&q=loksado")
    assert trip.number in resp.get_data(as_text=True) and "<html" not in resp.get_data(as_text=True)


# ---------------------------------------------------------------- printable pages and fragments

def test_surat_tugas_and_checklist_render(client, login, kabid, rahmat):
    office_user(Role.KEPALA_DINAS, full_name="H. Ahmad Rifani, S.Sos")
    stock("BLANGKO_KTP", 5)
    laptop = equipment("laptop", name="Laptop Lenovo ThinkPad")
    req = disposed_request()
    trip = schedule(kabid, requests=[req], members=[(rahmat, "perekaman")], items=[laptop], start=day(0), end=day(0),
                    stock_qty={"BLANGKO_KTP": 3})
    login(kabid)
    page = client.get(f"/perjalanan/{trip.id}/surat-tugas").get_data(as_text=True)
    for text in ("PEMERINTAH KABUPATEN HULU SUNGAI SELATAN", "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
                 "SURAT TUGAS", "MENUGASKAN", "Rahmat Hidayat", "198705122010011003", req.letter_number,
                 "Desa Loksado Kecamatan Loksado", "H. Ahmad Rifani, S.Sos", "data-print"):
        assert text in page, text
    page = client.get(f"/perjalanan/{trip.id}/daftar-persiapan").get_data(as_text=True)
    assert laptop.inventory_number in page and "Blangko KTP-el" in page and "Aluh Masitah" in page
    assert "6306••••••••0001" in page and "6306104101900001" not in page      # NIK masked


def test_htmx_fragments_member_row_and_needs(client, login, kabid):
    req = disposed_request()
    equipment("perekaman_kit")
    login(kabid)
    row = client.htmx("GET", "/perjalanan/baris-petugas").get_data(as_text=True)
    assert 'name="member_user"' in row and "<html" not in row
    prep = client.htmx("GET", f"/perjalanan/baru/kebutuhan?requests={req.id}&requests=garbage").get_data(as_text=True)
    assert 'name="stock_BLANGKO_KTP" value="2"' in prep and "dibutuhkan" in prep and "<html" not in prep


def test_unknown_and_wrong_ids_answer_404(client, login, kabid):
    login(kabid)
    assert client.get("/perjalanan/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/perjalanan/bukan-uuid").status_code == 404


def test_departure_is_not_recorded_long_before_the_trip(client, login, kabid, rahmat):
    trip = schedule(kabid, requests=[disposed_request()], members=[(rahmat, "perekaman")], start=day(5), end=day(5))
    login(rahmat)
    resp = client.post_form(f"/perjalanan/{trip.id}/berangkat", token_from=f"/perjalanan/{trip.id}",
                            follow_redirects=True)
    assert "paling cepat sehari sebelumnya" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Trip, trip.id).status == "dijadwalkan"


def test_a_scheduled_request_is_cancelled_through_its_trip(client, login, kabid, rahmat):
    from webapp.requests import services as request_services
    req = disposed_request()
    schedule(kabid, requests=[req], members=[(rahmat, "perekaman")], start=day(3), end=day(3))
    with pytest.raises(DomainError) as error:
        request_services.cancel_request(req, reason="Desa membatalkan", actor=kabid)
    assert "Batalkan atau ubah perjalanannya dahulu" in str(error.value.message)
    assert req.status == "dijadwalkan"
