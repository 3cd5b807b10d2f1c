"""Looking a resident up in the register: by NIK or name via POST (never in the URL), masked
lists, an audited full record with family, cases and village requests."""
from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.quality import importer
from webapp.quality.models import Person
from webapp.synthetic import generate_register, write_siak_csv
import pytest


@pytest.fixture
def register(app, tmp_path):
    reg = generate_register(200, seed=11)
    path = tmp_path / "siak.csv"
    write_siak_csv(reg.records, path)
    assert importer.import_file(path, scan=True).status == "selesai"
    return reg


def _someone_with_family():
    people = Person.query.all()
    by_kk = {}
    for p in people:
        by_kk.setdefault(p.no_kk, []).append(p)
    return next(p for p in people if p.nik and len(by_kk[p.no_kk]) > 2)


def test_search_by_nik_is_a_post_and_lists_masked(client, login_as, register):
    person = _someone_with_family()
    login_as(Role.OPERATOR)
    resp = client.htmx("POST", "/kualitas/penduduk", data={"query": person.nik})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and person.name in page
    results = page.split("<table", 1)[1]          # the typed NIK stays in the search box only
    assert person.nik not in results and person.nik[:4] + "••••••••" + person.nik[-4:] in results
    assert client.get("/kualitas/penduduk").status_code == 200


def test_search_by_name_and_birth_date(client, login_as, register):
    person = _someone_with_family()
    login_as(Role.VIEWER)
    resp = client.post_form("/kualitas/penduduk", {"query": person.name.split()[0].lower(),
                                                   "birth_date": person.birth_date.isoformat()},
                            token_from="/kualitas/penduduk")
    assert person.name in resp.get_data(as_text=True)


def test_bad_search_explains_and_keeps_the_typed_text(client, login_as, register):
    login_as(Role.OPERATOR)
    resp = client.post_form("/kualitas/penduduk", {"query": "ab"}, token_from="/kualitas/penduduk")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "minimal 3 huruf nama" in page and 'value="ab"' in page
    resp = client.post_form("/kualitas/penduduk", {"query": "x", "birth_date": "31-02-2000"},
                            token_from="/kualitas/penduduk")
    assert resp.status_code == 422


def test_full_record_is_audited_and_shows_family_and_cases(client, login_as, register):
    person = _someone_with_family()
    login_as(Role.KABID_DAFDUK)
    page = client.get(f"/kualitas/penduduk/{person.id}").get_data(as_text=True)
    assert person.name in page and "Anggota keluarga" in page
    assert person.nik not in page
    views = AuditEntry.query.filter_by(action="view", entity_type="person", entity_id=person.person_key).all()
    assert len(views) == 1 and person.nik not in views[0].summary
    reveal = client.htmx("POST", f"/kualitas/penduduk/{person.id}/nik")
    assert person.nik in reveal.get_data(as_text=True)
    assert AuditEntry.query.filter_by(action="view_nik", entity_id=person.person_key).count() == 1


def test_unknown_person_is_404_and_village_heads_have_no_access(client, login_as, make_user, login, register):
    login_as(Role.OPERATOR)
    assert client.get("/kualitas/penduduk/01a212c6-493c-741a-aeb1-21d1331eb59f").status_code == 404
    login(make_user(Role.KEPALA_DESA))
    assert client.get("/kualitas/penduduk").status_code == 403
