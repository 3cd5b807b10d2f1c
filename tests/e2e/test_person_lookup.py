"""An operator looks a resident up by NIK, opens the record and reveals the NIK (audited)."""
import re

import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def test_operator_finds_a_resident_by_nik_and_opens_the_record(page, base_url, login_page, live_db, tmp_path):
    from webapp.core.audit import AuditEntry
    from webapp.quality import importer, services
    from webapp.quality.models import Person
    from webapp.synthetic import generate_register, write_siak_csv

    if services.current_snapshot_id() is None:
        path = tmp_path / "siak.csv"
        write_siak_csv(generate_register(150, seed=5).records, path)
        assert importer.import_file(path, scan=False).status == "selesai"
    person = live_db.session.execute(services.current_persons().where(Person.nik.isnot(None))
                                     .order_by(Person.row_no)).scalars().first()

    login_page(Role.OPERATOR)
    page.get_by_role("link", name="Cari Penduduk").click()
    page.get_by_label("NIK, No. KK, atau nama").fill(person.nik)
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_test_id("search-count")).to_contain_text("ditemukan")
    assert person.nik not in page.url
    page.get_by_role("link", name=person.name).first.click()
    expect(page.get_by_role("heading", name=person.name)).to_be_visible()
    expect(page.locator("#person-nik")).to_have_text(re.compile(r"••••••••"))
    page.get_by_role("button", name="tampilkan NIK").click()
    expect(page.locator("#person-nik")).to_contain_text(person.nik)
    live_db.session.expire_all()
    assert AuditEntry.query.filter_by(action="view_nik", entity_id=person.person_key).count() >= 1
