"""The pre-trip check where the office works: on the request page (with the action that opens
verification cases), on the trip page and its checklist; hidden from a village head."""
from webapp.auth.roles import Role
from webapp.quality.models import QualityCase
from tests.integration.trip_factories import disposed_request


def test_request_page_flags_each_resident_for_office_staff(client, login_as):
    req = disposed_request()
    login_as(Role.KABID_DAFDUK)
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "Pemeriksaan pra-perjalanan" in page
    assert "Cek data" in page
    # the register is empty here: every listed NIK is "not found", which needs a look
    assert page.count('data-flag="warning"') == 3
    assert "NIK tidak ditemukan di database" in page


def test_village_head_sees_the_list_without_the_office_findings(client, login_as):
    req = disposed_request(desa_code="63.06.10.2009")
    login_as(Role.KEPALA_DESA, desa_code="63.06.10.2009")
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert "Aluh Masitah" in page
    assert "Pemeriksaan pra-perjalanan" not in page and "data-flag" not in page


def test_office_opens_verification_cases_from_the_request_once(client, login_as):
    req = disposed_request()
    login_as(Role.OPERATOR)
    resp = client.post_form(f"/permohonan/{req.id}/cek-kualitas", token_from=f"/permohonan/{req.id}")
    assert resp.status_code == 302
    cases = QualityCase.query.filter_by(opened_by="pra-perjalanan").all()
    assert len(cases) == 3
    assert {c.severity for c in cases} == {"warning"} and all(req.number in c.summary for c in cases)
    assert all("6306104101900001" not in c.summary for c in cases)          # NIK masked in the summary
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "3 kasus dibuka" in page
    for case in cases:                                   # each resident now points at its case
        assert case.number in page and case.desa_code == req.desa_code
    client.post_form(f"/permohonan/{req.id}/cek-kualitas", token_from=f"/permohonan/{req.id}")
    assert QualityCase.query.filter_by(opened_by="pra-perjalanan").count() == 3  # not twice
    case_page = client.get(f"/kualitas/kasus/{cases[0].id}").get_data(as_text=True)
    assert f'href="/permohonan/{req.id}"' in case_page and "Pemeriksaan pra-perjalanan" in case_page


def test_opening_cases_is_for_data_quality_managers_only(client, login_as):
    req = disposed_request()
    login_as(Role.VIEWER)
    resp = client.post_form(f"/permohonan/{req.id}/cek-kualitas", token_from="/")
    assert resp.status_code == 403
    assert QualityCase.query.count() == 0


def test_schedule_link_only_for_the_lead_division(client, login_as, make_user, login):
    req = disposed_request(divisions=("capil", "dafduk"))
    login_as(Role.KABID_DAFDUK)
    assert "Jadwalkan perjalanan" not in client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    login(make_user(Role.KABID_CAPIL))
    page = client.get(f"/permohonan/{req.id}").get_data(as_text=True)
    assert f"/perjalanan/baru?r={req.id}" in page


def test_the_kk_size_setting_drives_the_scan_rule(app, make_user):
    from webapp.quality import services
    from webapp.settings import services as settings
    assert services.rule_config().max_kk_members == 12
    settings.set_value("kk_max_members", "20", make_user(Role.ADMIN))
    assert services.rule_config().max_kk_members == 20
