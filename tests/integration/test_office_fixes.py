"""What a new user tripped over in the office flow (issue 12): the bus booked twice, a trip saved
without what its residents need, import errors out of sight, the village head not seeing the
visit, duplicate numbers masked alike — and refused input answered with 422 everywhere."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from tests.integration.test_requests_workflow import make_request  # noqa: F401 (fixture)
from tests.integration.trip_factories import disposed_request, equipment, office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import format_date, wita_today
from webapp.extensions import db
from webapp.layanan.catalog import EQUIPMENT_KINDS
from webapp.quality.number_diff import compare_numbers
from webapp.trips import services
from webapp.trips.buses import bus_key, find_bus, parse_buses
from webapp.trips.models import Trip
from webapp.trips.services import MemberChoice, TripPlan, TripPlanError

DAY0 = wita_today() + timedelta(days=30)
EVERY_KIND = frozenset(EQUIPMENT_KINDS)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@pytest.fixture(autouse=True)
def two_buses(app):
    app.config["BUSES"] = "BUS-01=Bus Ketupat Pecel 01;BUS-02=Bus Cadangan 02"


@pytest.fixture
def kabid(app):
    return office_user(Role.KABID_DAFDUK, full_name="Noor Hidayah, S.E.")


def schedule(kabid, *, start, end, bus="BUS-01", officer=None, items=(), requests=None, accepted=EVERY_KIND,
             meeting_point="") -> Trip:
    officer = officer or office_user(Role.PETUGAS)
    return services.schedule_trip(TripPlan(
        start_date=start, end_date=end, node_code=bus, meeting_point=meeting_point,
        request_ids=[r.id for r in (requests or [disposed_request()])],
        members=[MemberChoice(officer.id, "perekaman")], equipment_ids=[i.id for i in items],
        accepted_missing=accepted), actor=kabid)


def trip_form(*, requests, officer, start, end, bus="BUS-01", equipment_ids=(), ack=None) -> dict:
    data = {"start_date": start.isoformat(), "end_date": end.isoformat(), "node_code": bus,
            "meeting_point": "Halaman kantor", "notes": "", "requests": [str(r.id) for r in requests],
            "member_user": [str(officer.id)], "member_task": ["perekaman"],
            "equipment": [str(i.id) for i in equipment_ids]}
    if ack is not None:
        data["equipment_ack"] = ack
    return data


# ---------------------------------------------------------------- 1. one bus, one trip a day

def test_bus_identity_ignores_case_spaces_dashes_and_leading_zeros():
    assert bus_key("BUS-01") == bus_key("bus 1") == bus_key("Bus_001") == "BUS1"
    assert bus_key("BUS-01") != bus_key("BUS-10")
    assert [b.code for b in parse_buses("BUS-01=Bus Ketupat Pecel 01; bus 1=dua kali;BUS-02")] == ["BUS-01", "BUS-02"]


def test_the_bus_on_an_overlapping_trip_is_refused_naming_the_other_trip(client, login, kabid):
    first = schedule(kabid, start=day(0), end=day(1))                       # holds BUS-01 on day 0–1
    req = disposed_request(desa_code="63.06.10.2001")
    officer = office_user(Role.PETUGAS, full_name="Jumberi")
    login(kabid)
    resp = client.post_form("/perjalanan/baru", trip_form(requests=[req], officer=officer, start=day(0), end=day(0),
                                                          ack=",".join(EVERY_KIND)), token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    label = services.date_range_label(first.start_date, first.end_date)
    assert f"Bus Ketupat Pecel 01 sudah dipakai pada perjalanan {first.number} ({label})." in page
    assert re.search(r'aria-invalid="true"[^>]*id="node_code"|id="node_code"[^>]*aria-invalid="true"', page)
    assert Trip.query.count() == 1

    resp = client.post_form("/perjalanan/baru", trip_form(requests=[req], officer=officer, start=day(0), end=day(0),
                                                          bus="BUS-02", ack=",".join(EVERY_KIND)),
                            token_from="/perjalanan/baru")
    assert resp.status_code == 302                                           # the other bus is free


def test_a_differently_written_code_is_the_same_bus(kabid):
    first = schedule(kabid, start=day(0), end=day(1))
    first.node_code = "bus 1"                          # a trip written before the list existed
    db.session.commit()
    with pytest.raises(TripPlanError) as refused:
        schedule(kabid, start=day(1), end=day(1), bus="Bus-001")
    assert refused.value.errors["node_code"] == [
        f"Bus Ketupat Pecel 01 sudah dipakai pada perjalanan {first.number} "
        f"({services.date_range_label(day(0), day(1))})."]


def test_the_bus_is_free_the_next_day_and_after_a_cancellation(kabid):
    first = schedule(kabid, start=day(0), end=day(1))
    schedule(kabid, start=day(2), end=day(2))                                # back the day after: fine
    services.cancel_trip(first, "Jalan longsor.", actor=kabid)
    again = schedule(kabid, start=day(0), end=day(1))
    assert again.node_code == "BUS-01" and again.bus == "Bus Ketupat Pecel 01"   # the name comes from the list


def test_a_bus_outside_the_list_is_refused(kabid):
    with pytest.raises(TripPlanError) as refused:
        schedule(kabid, start=day(0), end=day(0), bus="BUS-09")
    assert refused.value.errors["node_code"] == ["Pilih bus dari daftar."]
    assert find_bus("bus 2").name == "Bus Cadangan 02"


def test_moving_a_trip_onto_days_its_bus_is_taken_is_refused(kabid):
    first = schedule(kabid, start=day(0), end=day(0))
    second = schedule(kabid, start=day(3), end=day(3))
    plan = TripPlan(start_date=day(0), end_date=day(0), node_code="BUS-01",
                    request_ids=[tr.request_id for tr in second.requests],
                    members=[MemberChoice(m.user_id, m.task) for m in second.members], accepted_missing=EVERY_KIND)
    with pytest.raises(TripPlanError) as refused:
        services.update_trip(second, plan, actor=kabid)
    assert first.number in refused.value.errors["node_code"][0]


def test_the_form_offers_the_buses_as_a_choice(client, login, kabid):
    login(kabid)
    page = client.get("/perjalanan/baru").get_data(as_text=True)
    assert '<select id="node_code" name="node_code">' in page
    assert '<option selected value="BUS-01">Bus Ketupat Pecel 01 (BUS-01)</option>' in page
    assert '<option value="BUS-02">Bus Cadangan 02 (BUS-02)</option>' in page
    assert 'name="bus"' not in page                                          # no free text to dodge the check


# ---------------------------------------------------------------- 2. what the residents need

def test_a_trip_short_of_needed_equipment_needs_the_explicit_confirmation(client, login, kabid):
    req = disposed_request()                   # KTP-el, KK, perekaman, akta, KIA: card printer, recording kit…
    officer = office_user(Role.PETUGAS)
    laptop = equipment("laptop")
    login(kabid)
    resp = client.post_form("/perjalanan/baru", trip_form(requests=[req], officer=officer, start=day(0), end=day(0),
                                                          equipment_ids=[laptop]), token_from="/perjalanan/baru")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and Trip.query.count() == 0
    assert "Perlengkapan yang dibutuhkan warga belum dipilih:" in page
    assert "Printer kartu" in page and "Perangkat perekaman KTP-el" in page
    ack = re.search(r'name="equipment_ack" value="([^"]+)"', page).group(1)
    assert "printer_kartu" in ack.split(",") and "laptop" not in ack.split(",")
    assert "Saya tahu perlengkapan ini kurang: " in page

    resp = client.post_form("/perjalanan/baru", trip_form(requests=[req], officer=officer, start=day(0), end=day(0),
                                                          equipment_ids=[laptop], ack=ack), token_from="/perjalanan/baru")
    assert resp.status_code == 302
    assert Trip.query.one().equipment[0].equipment_id == laptop.id


def test_a_confirmation_covers_only_the_kinds_it_names(kabid):
    with pytest.raises(TripPlanError) as refused:
        schedule(kabid, start=day(0), end=day(0), accepted=frozenset({"printer_kartu"}))
    message = refused.value.errors["equipment_ack"][0]
    assert "Perangkat perekaman KTP-el" in message and "Printer kartu," not in message


def test_no_confirmation_is_asked_when_every_needed_kind_is_chosen(kabid):
    req = disposed_request()
    needed = services.preparation([req]).equipment_kinds
    items = [equipment(kind) for kind in needed]
    trip = schedule(kabid, start=day(0), end=day(0), requests=[req], items=items, accepted=frozenset())
    assert len(trip.equipment) == len(needed)


def test_the_missing_kinds_follow_the_selection_live(client, login, kabid):
    req = disposed_request()
    laptop, kit = equipment("laptop"), equipment("perekaman_kit")
    login(kabid)
    url = f"/perjalanan/baru/peralatan?requests={req.id}&equipment={laptop.id}"
    fragment = client.htmx("GET", url).get_data(as_text=True)
    assert 'id="kit-check"' in fragment and "<html" not in fragment
    assert "Perangkat perekaman KTP-el" in fragment and "Laptop," not in fragment
    fragment = client.htmx("GET", url + f"&equipment={kit.id}").get_data(as_text=True)
    assert "Perangkat perekaman KTP-el" not in fragment and "Printer kartu" in fragment
    ack = re.search(r'name="equipment_ack" value="([^"]+)"', fragment).group(1)
    kept = client.htmx("GET", url + f"&equipment={kit.id}&equipment_ack={ack}").get_data(as_text=True)
    assert re.search(r'name="equipment_ack" value="[^"]+" checked', kept)   # the tick stays while it holds
    page = client.get(f"/perjalanan/baru?r={req.id}").get_data(as_text=True)
    assert 'hx-get="/perjalanan/baru/peralatan"' in page and 'hx-target="#kit-check"' in page


def test_the_edit_form_checks_the_trips_own_requests(client, login, kabid):
    trip = schedule(kabid, start=day(0), end=day(0))
    login(kabid)
    fragment = client.htmx("GET", f"/perjalanan/{trip.id}/peralatan").get_data(as_text=True)
    assert "Belum dipilih untuk kebutuhan warga:" in fragment
    assert client.htmx("GET", "/perjalanan/00000000-0000-0000-0000-000000000000/peralatan").status_code == 404


# ---------------------------------------------------------------- 3. import errors in sight

HEADER = "nama;nik;no_kk;jenis_kelamin;tanggal_lahir;layanan;keterangan\n"


def upload(client, req, content: bytes):
    return client.post_form(f"/permohonan/{req.id}/warga/impor",
                            {"resident_file": (io.BytesIO(content), "daftar.csv")},
                            token_from=f"/permohonan/{req.id}", content_type="multipart/form-data")


def test_import_errors_are_summed_up_at_the_top_and_marked_for_focus(client, login_as, make_request):
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = (HEADER + "Anang;630610120409;;L;12-04-2009;KTP_EL:baru;\n"            # short NIK
                  + "Aluh;;;P;30-02-2015;KIA:5_17;\n"                            # impossible date
                  + "Utuh;;;L;01-01-1990;PASPOR;\n")                              # unknown service
    resp = upload(client, req, csv.encode())
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    summary = page.index('data-testid="import-summary"')
    assert "3 baris bermasalah, tidak ada yang diimpor." in page[summary:summary + 300]
    assert summary < page.index('id="warga"')                                      # at the top, before the list
    assert re.search(r'<section id="import-problems" tabindex="-1" data-focus-on-load', page)
    assert 'href="#import-problems"' in page


def test_a_repeated_nik_blocks_the_import_as_the_format_doc_says(client, login_as, make_request):
    from pathlib import Path
    from webapp.requests.demo import make_nik
    nik = make_nik("63.06.10", date(1990, 3, 9), "L", 7)
    req = make_request(residents=[])
    login_as(Role.OPERATOR)
    csv = HEADER + f"Anang;{nik};;L;09-03-1990;KTP_EL:hilang;\n" + f"Anang Basri;{nik};;L;09-03-1990;KK:perubahan;\n"
    resp = upload(client, req, csv.encode())
    assert resp.status_code == 422 and "NIK sama dengan baris 2" in resp.get_data(as_text=True)
    doc = Path(__file__).parents[2].joinpath("docs/resident-list-format.md").read_text()
    blocking, warnings = doc.split("**Peringatan**")
    assert "NIK yang sama pada dua baris" in blocking and "NIK sama" not in warnings


# ---------------------------------------------------------------- 4. the village head sees the visit

def test_the_village_head_sees_date_meeting_point_and_what_to_bring_not_the_team(client, login, kabid):
    from webapp.requirements.services import seed_templates
    seed_templates()
    req = disposed_request(desa_code="63.06.10.2009")
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat Petugas")
    laptop = equipment("laptop", name="Laptop Lenovo Rahasia")
    trip = schedule(kabid, start=day(2), end=day(3), requests=[req], officer=officer, items=[laptop],
                    meeting_point="Balai Desa Loksado, pukul 08.00 WITA")
    db.session.commit()
    login(office_user(Role.KEPALA_DESA, desa_code="63.06.10.2009"))
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    visit = page[page.index('data-testid="visit"'):page.index('id="warga"')]
    assert "Jadwal kunjungan bus" in visit
    assert f"{format_date(day(2), True)} – {format_date(day(3), True)}" in visit
    assert "Balai Desa Loksado, pukul 08.00 WITA" in visit and "Bus Ketupat Pecel 01" in visit
    assert "Yang harus dibawa warga" in visit and "Kartu Keluarga" in visit
    assert "Rahmat Hidayat Petugas" not in page and laptop.inventory_number not in page
    assert f"/perjalanan/{trip.id}" not in page                         # no link into the trip for them
    assert client.get(f"/perjalanan/{trip.id}").status_code == 403


# ---------------------------------------------------------------- 9. duplicate numbers side by side

def test_numbers_differing_in_the_middle_show_where_without_showing_them_whole():
    left, right, count = compare_numbers("6306101203900001", "6306101207900001")
    assert "".join(d.char for d in left) == "6306•••••3••0001"
    assert "".join(d.char for d in right) == "6306•••••7••0001"
    assert count == 1 and [i for i, d in enumerate(left) if d.differs] == [9]
    left, right, count = compare_numbers("6306101203900001", "6306205512345678")
    assert count > 4 and "".join(d.char for d in left) == "6306✱•✱✱✱✱✱✱0001"   # many differ: positions only
    assert compare_numbers("6306101203900001", None) is None


def test_deciding_ganda_moves_the_case_on_and_says_what_comes_next(client, login_as):
    from tests.integration.test_quality_cases import duplicate_case
    from webapp.quality import importer
    from webapp.quality import services as quality
    from webapp.synthetic import generate_register, write_siak_csv
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "siak.csv"
        write_siak_csv(generate_register(300, seed=21).records, path)
        assert importer.import_file(path).status == "selesai"
    case = duplicate_case()
    persons = quality.persons_by_keys(case.person_keys[:2])
    a, b = (persons[k] for k in case.person_keys[:2])
    a.no_kk, b.no_kk = "6306101203900001", "6306101207900001"
    db.session.commit()
    login_as(Role.OPERATOR)
    url = f"/kualitas/kasus/{case.id}/tinjau"
    page = client.get(url).get_data(as_text=True)
    assert "6306•••••<mark>3</mark>••0001" in page and "6306•••••<mark>7</mark>••0001" in page
    assert "6306101203900001" not in page and "1 angka berbeda" in page
    resp = client.post_form(f"/kualitas/kasus/{case.id}/putuskan",
                            {"decision": "ganda", "kept_person_key": case.person_keys[0], "reason": "Orang yang sama"},
                            token_from=url, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Langkah berikutnya" in page and "Ajukan ke pusat" in page
    db.session.refresh(case)
    assert case.status == "diputuskan" and case.status_label == "Ganda, menunggu pengajuan"
    assert case.active


# ---------------------------------------------------------------- 11. refused input answers 422

def test_refused_input_is_422_with_the_form_again_for_plain_and_htmx(client, login_as, make_request):
    login_as(Role.ADMIN)
    resp = client.post_form("/inventaris/peralatan/baru", {"kind": "laptop", "name": "", "inventory_number": ""},
                            token_from="/inventaris/peralatan/baru")
    assert resp.status_code == 422 and "<form" in resp.get_data(as_text=True)
    req = make_request()
    resp = client.htmx("POST", f"/permohonan/{req.id}/warga", data={"name": "", "sex": "X"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" not in body and "field-error" in body
