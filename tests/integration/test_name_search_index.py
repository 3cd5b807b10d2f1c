"""The resident search by name through the database's own text index (FTS5 on SQLite, full-text GIN
on PostgreSQL): any token, in any order, prefixes, exact tokens first, the near spellings still
after them, the current snapshot only, and the index kept in step by imports and single writes."""
import uuid
from dataclasses import replace

import pytest

from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.quality import importer, name_search, services
from webapp.quality.models import Person
from webapp.quality.register import search_register
from webapp.synthetic import generate_register, write_siak_csv

PLANTED = ("ALUH MASITAH", "NOR MASITAHWATI", "MUHAMMAD RIDWAN FAUZI", "SITI AISYAH", "SITI ASIAH",
           "AISYAH", "GUSTI SITI RAHMAH")


def _import(tmp_path, names, *, seed=21, filename="siak.csv"):
    base = generate_register(80, seed=seed).records
    extra = [replace(base[i], name=name) for i, name in enumerate(names)]
    path = tmp_path / filename
    write_siak_csv([*base[len(names):], *extra], path)
    assert importer.import_file(path, scan=False).status == "selesai"


@pytest.fixture
def planted(app, tmp_path):
    _import(tmp_path, PLANTED)


def _names(query, **kw):
    return [p.name for p in search_register(query, **kw).results]


def _token_names(query):
    """The planted (and later written) names among the token matches, in their order (the
    synthetic register has MASITAHs and SITIs of its own)."""
    ours = {*PLANTED, "BAHRUL ILMI MASITAH", "NOR HAYATI", "JUMBRANI HALIMATUS", "JUMBRANI SADIAH"}
    return [p.name for p in name_search.token_matches(query, limit=51) if p.name in ours]


def test_a_token_in_the_middle_or_at_the_end_is_found(planted):
    assert "MUHAMMAD RIDWAN FAUZI" in _names("ridwan")
    assert "MUHAMMAD RIDWAN FAUZI" in _names("Fauzi")
    assert "ALUH MASITAH" in _token_names("masitah")


def test_two_tokens_in_any_order(planted):
    assert "MUHAMMAD RIDWAN FAUZI" in _token_names("fauzi muhammad")
    assert "MUHAMMAD RIDWAN FAUZI" in _token_names("ridwan, muhammad")
    assert "MUHAMMAD RIDWAN FAUZI" not in _token_names("fauzi rahmah")   # every token must be there


def test_a_prefix_is_found_and_exact_tokens_come_first(planted):
    assert set(_token_names("masit")) >= {"ALUH MASITAH", "NOR MASITAHWATI"}
    search = search_register("masitah")
    names = [p.name for p in search.results]
    assert names.index("ALUH MASITAH") < names.index("NOR MASITAHWATI")      # exact, then prefix
    assert not {p.id for p in search.results[:2]} & search.near                # neither is a near spelling
    assert "ALUH MASITAH" not in _token_names("asitah")                        # a token's middle is not a prefix


def test_near_spellings_still_follow_the_token_matches(planted):
    search = search_register("siti aisyah")
    names = [p.name for p in search.results]
    assert names[0] == "SITI AISYAH" and search.results[0].id not in search.near
    assert "AISYAH" in names and search.results[names.index("AISYAH")].id in search.near
    misspelt = search_register("aluh masitha")                                # typo: no token matches
    assert "ALUH MASITAH" in [p.name for p in misspelt.results]
    assert all(p.id in misspelt.near for p in misspelt.results)


def test_a_birth_date_narrows_the_token_search(planted):
    person = db.session.execute(services.current_persons().where(Person.name == "MUHAMMAD RIDWAN FAUZI")).scalar()
    assert _names("ridwan", birth_date=person.birth_date)[0] == "MUHAMMAD RIDWAN FAUZI"


def test_a_cut_list_keeps_exact_tokens_before_prefixes(planted):
    """More matches than the limit: the exact tier fills the list before any prefix."""
    for limit in (1, 2, 3):
        found = name_search.token_matches("masitah", limit=limit)
        assert len(found) == limit
        tiers = [name_search.match_tier(["MASITAH"], p.name) for p in found]
        assert tiers == sorted(tiers) and tiers[0] == name_search.EXACT
    siti = name_search.token_matches("siti", limit=2)
    assert len(siti) == 2 and all("SITI" in name_search.name_tokens(p.name) for p in siti)


def test_rows_of_another_snapshot_are_not_found(planted):
    other = Person(snapshot_id=uuid.uuid4(), row_no=1, person_key="x" * 40, name="ZAINUDDIN QOMARUL")
    db.session.add(other)
    db.session.commit()
    assert _names("zainuddin") == [] and _names("qomarul zainuddin") == []


def test_single_writes_in_the_current_register_keep_the_index_in_step(planted):
    person = Person(snapshot_id=services.current_snapshot_id(), row_no=10_000, person_key="y" * 40,
                    name="JUMBRANI HALIMATUS")
    db.session.add(person)
    db.session.commit()
    assert _token_names("halimatus") == ["JUMBRANI HALIMATUS"]
    person.name = "JUMBRANI SADIAH"
    db.session.commit()
    assert _token_names("halimatus") == [] and _token_names("sadiah jumbrani") == ["JUMBRANI SADIAH"]
    db.session.delete(person)
    db.session.commit()
    assert _token_names("jumbrani") == []


def test_a_new_import_replaces_the_indexed_names(planted, tmp_path):
    assert _token_names("masitah") == ["ALUH MASITAH", "NOR MASITAHWATI"]
    _import(tmp_path, ("BAHRUL ILMI MASITAH", "NOR HAYATI"), seed=22, filename="second.csv")
    assert _token_names("masitah") == ["BAHRUL ILMI MASITAH"]      # the old register's rows are gone
    assert _token_names("ilmi") == ["BAHRUL ILMI MASITAH"]
    assert _token_names("fauzi") == []
    if db.engine.dialect.name == "sqlite":     # the index holds the current register, nothing else
        indexed = db.session.execute(db.text("SELECT count(*) FROM person_name_fts WHERE person_name_fts MATCH 'masitah'")).scalar()
        current = db.session.execute(db.select(Person.name).where(Person.snapshot_id == services.current_snapshot_id())).scalars()
        assert indexed == sum(1 for name in current if "MASITAH" in name_search.name_tokens(name))
        db.session.execute(db.text("INSERT INTO person_name_fts(person_name_fts, rank) VALUES ('integrity-check', 1)"))


def test_the_page_lists_token_matches_with_masked_niks(client, login_as, planted):
    person = db.session.execute(services.current_persons().where(Person.name == "ALUH MASITAH")).scalar()
    login_as(Role.OPERATOR)
    resp = client.post_form("/kualitas/penduduk", {"query": "masitah"}, token_from="/kualitas/penduduk")
    results = resp.get_data(as_text=True).split("<table", 1)[1]
    assert resp.status_code == 200 and ">ALUH MASITAH</a>" in results
    if person.nik:
        assert person.nik not in results and person.nik[-4:] in results


def test_the_cli_rebuilds_the_index(app, planted):
    if db.engine.dialect.name == "sqlite":
        db.session.execute(db.text("INSERT INTO person_name_fts(person_name_fts) VALUES ('delete-all')"))
        db.session.commit()
        assert _token_names("masitah") == []
    result = app.test_cli_runner().invoke(args=["quality", "name-index"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _token_names("masitah") == ["ALUH MASITAH", "NOR MASITAHWATI"]
