import uuid

import pytest

from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.requirements.models import RequirementItem
from webapp.requirements.services import get_template, requirements_for, seed_templates


def hx(client, method, url, data=None):
    token = client.csrf_token("/")
    return client.open(url, method=method, data=data, headers={"HX-Request": "true", "X-CSRFToken": token})


@pytest.fixture
def templates(app):
    seed_templates()
    return app


def item_data(prefix="new", **values):
    base = {"text": "", "kind": "document", "alt_group": "", "min_age": "", "max_age": "", "only_if": "",
            "age_setting": ""}
    base.update(values)
    return {f"{prefix}-{k}": v for k, v in base.items()}


def test_list_groups_templates_by_service(client, login_as, templates):
    login_as(Role.ADMIN)
    page = client.get("/admin/syarat/").get_data(as_text=True)
    for heading in ("KTP-el", "Perekaman KTP-el", "Kartu Keluarga", "Akta Kelahiran", "Akta Kematian", "Kartu Identitas Anak"):
        assert f"<h2>{heading}</h2>" in page
    assert "KIA anak 5 sampai di bawah 17 tahun" in page


def test_edit_page_shows_items_conditions_and_preview(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KIA", "5_17")
    page = client.get(f"/admin/syarat/{template.id}").get_data(as_text=True)
    assert "Pas foto berwarna 2×3" in page
    assert "pengaturan: KIA memakai pas foto mulai usia" in page
    assert "Permendagri 2/2016" in page


def test_update_template_header_is_audited(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KK", "baru")
    url = f"/admin/syarat/{template.id}"
    resp = client.post_form(url, {"title": "KK baru (menikah)", "legal_basis": "Perpres 96/2018", "notes": "",
                                  "active": "y"}, token_from=url)
    assert resp.status_code == 302
    db.session.refresh(template)
    assert template.title == "KK baru (menikah)" and template.legal_basis == "Perpres 96/2018"
    assert AuditEntry.query.filter_by(entity_type="requirement_template", entity_id=str(template.id),
                                      action="update").count() == 1


def test_empty_or_oversized_title_is_refused_and_kept(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KK", "baru")
    url = f"/admin/syarat/{template.id}"
    resp = client.post_form(url, {"title": "", "legal_basis": "ketikan saya", "active": "y"}, token_from=url)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Wajib diisi." in page and "ketikan saya" in page
    resp = client.post_form(url, {"title": "x" * 300, "active": "y"}, token_from=url)
    assert "maksimal 200 karakter" in resp.get_data(as_text=True)
    db.session.refresh(template)
    assert template.title == "KK baru"


def test_add_an_alternative_item_with_htmx(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KTP_EL", "hilang")
    resp = hx(client, "POST", f"/admin/syarat/{template.id}/butir",
              item_data(text="Surat pernyataan kehilangan bermeterai", alt_group="A"))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body and 'id="items"' in body
    assert resp.headers.get("HX-Trigger") == "requirements-changed"
    assert "Surat pernyataan kehilangan bermeterai" in body and "Alternatif A" in body
    item = RequirementItem.query.filter_by(text="Surat pernyataan kehilangan bermeterai").one()
    assert item.position == 3 and item.alt_group == "A"
    assert AuditEntry.query.filter_by(entity_type="requirement_item", entity_id=str(item.id), action="create").count() == 1


@pytest.mark.parametrize("values, message", [
    ({"text": ""}, "Wajib diisi."),
    ({"text": "x", "min_age": "lima"}, "Usia harus bilangan bulat"),
    ({"text": "x", "min_age": "-1"}, "antara 0 dan 150"),
    ({"text": "x", "max_age": "99999999999999999999999"}, "antara 0 dan 150"),
    ({"text": "x", "min_age": "10", "max_age": "5"}, "tidak boleh lebih kecil"),
    ({"text": "x", "kind": "sihir"}, "Jenis syarat tidak dikenal"),
    ({"text": "x", "alt_group": "Z"}, "Kelompok alternatif tidak dikenal"),
    ({"text": "x", "only_if": "kaya"}, "Kondisi tidak dikenal"),
    ({"text": "x", "min_age": "5", "age_setting": "kia_photo_from_age"}, "Pilih salah satu"),
    ({"text": "x" * 501}, "maksimal 500 karakter"),
])
def test_bad_item_input_is_explained_and_nothing_saved(client, login_as, templates, values, message):
    login_as(Role.ADMIN)
    template = get_template("KTP_EL", "hilang")
    before = RequirementItem.query.count()
    resp = hx(client, "POST", f"/admin/syarat/{template.id}/butir", item_data(**values))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in body
    assert RequirementItem.query.count() == before
    if values.get("min_age"):
        assert f'value="{values["min_age"]}"' in body   # what was typed is kept


def test_add_item_without_htmx_redirects_or_rerenders(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KK", "rusak")
    url = f"/admin/syarat/{template.id}"
    resp = client.post_form(f"{url}/butir", item_data(text="Surat keterangan dari desa"), token_from=url)
    assert resp.status_code == 302
    resp = client.post_form(f"{url}/butir", item_data(text="", min_age="x"), token_from=url)
    assert resp.status_code == 422 and "<html" in resp.get_data(as_text=True)
    assert "Wajib diisi." in resp.get_data(as_text=True)


def test_inline_edit_of_an_item(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KIA", "5_17")
    photo = next(i for i in template.items if i.kind == "photo")
    prefix = f"i{photo.id.hex[:12]}"
    form = hx(client, "GET", f"/admin/syarat/butir/{photo.id}").get_data(as_text=True)
    assert f'name="{prefix}-text"' in form and "<html" not in form
    resp = hx(client, "POST", f"/admin/syarat/butir/{photo.id}",
              item_data(prefix, text="Pas foto berwarna 3×4", kind="photo", age_setting="kia_photo_from_age"))
    assert resp.status_code == 200 and "Pas foto berwarna 3×4" in resp.get_data(as_text=True)
    db.session.refresh(photo)
    assert photo.text == "Pas foto berwarna 3×4" and photo.age_setting == "kia_photo_from_age"
    bad = hx(client, "POST", f"/admin/syarat/butir/{photo.id}", item_data(prefix, text="", kind="photo"))
    assert "Wajib diisi." in bad.get_data(as_text=True)
    db.session.refresh(photo)
    assert photo.text == "Pas foto berwarna 3×4"
    row = hx(client, "GET", f"/admin/syarat/butir/{photo.id}/baris").get_data(as_text=True)
    assert "Pas foto berwarna 3×4" in row and "Simpan butir" not in row   # back to the shown row


def test_reorder_and_remove(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KTP_EL", "rusak")
    first, second = sorted(template.items, key=lambda i: i.position)
    resp = hx(client, "POST", f"/admin/syarat/butir/{second.id}/geser/up")
    assert resp.status_code == 200
    assert [l.texts[0] for l in requirements_for("KTP_EL", "rusak")] == ["Kartu Keluarga (KK)", "KTP-el yang rusak"]
    hx(client, "POST", f"/admin/syarat/butir/{second.id}/geser/up")   # already first: nothing moves
    assert [l.texts[0] for l in requirements_for("KTP_EL", "rusak")][0] == "Kartu Keluarga (KK)"
    resp = hx(client, "POST", f"/admin/syarat/butir/{first.id}/hapus")
    assert resp.status_code == 200 and "KTP-el yang rusak" not in resp.get_data(as_text=True)
    assert [l.texts for l in requirements_for("KTP_EL", "rusak")] == [["Kartu Keluarga (KK)"]]
    assert db.session.get(RequirementItem, second.id).position == 1
    assert AuditEntry.query.filter_by(entity_type="requirement_item", action="delete").count() == 1


def test_preview_for_an_age(client, login_as, templates):
    login_as(Role.ADMIN)
    template = get_template("KTP_EL", "baru")
    body = hx(client, "GET", f"/admin/syarat/{template.id}/pratinjau?umur=15&kawin=tidak").get_data(as_text=True)
    assert "Belum berusia 17 tahun dan belum pernah kawin" in body and "<html" not in body
    body = hx(client, "GET", f"/admin/syarat/{template.id}/pratinjau?umur=20").get_data(as_text=True)
    assert "Tidak memenuhi syarat" not in body and "Kartu Keluarga (KK)" in body
    body = hx(client, "GET", f"/admin/syarat/{template.id}/pratinjau?umur=abc").get_data(as_text=True)
    assert "Usia harus bilangan bulat" in body
    full = client.get(f"/admin/syarat/{template.id}/pratinjau?umur=999").get_data(as_text=True)
    assert "<html" in full and "antara 0 dan 150" in full


def test_unknown_ids_are_404(client, login_as, templates):
    login_as(Role.ADMIN)
    missing = uuid.uuid4()
    assert client.get(f"/admin/syarat/{missing}").status_code == 404
    assert client.get(f"/admin/syarat/{missing}/pratinjau").status_code == 404
    assert hx(client, "POST", f"/admin/syarat/{missing}/butir", item_data(text="x")).status_code == 404
    assert hx(client, "GET", f"/admin/syarat/butir/{missing}").status_code == 404
    assert hx(client, "POST", f"/admin/syarat/butir/{missing}/hapus").status_code == 404
    template = get_template("KK", "baru")
    item = template.items[0]
    assert hx(client, "POST", f"/admin/syarat/butir/{item.id}/geser/samping").status_code == 404
    assert client.get("/admin/syarat/bukan-uuid").status_code == 404


def test_only_admin_edits_requirements(client, login_as, templates):
    login_as(Role.KEPALA_DINAS)
    template = get_template("KK", "baru")
    assert client.get(f"/admin/syarat/{template.id}").status_code == 403
    assert hx(client, "POST", f"/admin/syarat/{template.id}/butir", item_data(text="x")).status_code == 403


def test_cli_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["requirements", "seed"])
    assert "Templat syarat dibuat: 16." in first.output
    second = runner.invoke(args=["requirements", "seed"])
    assert "Templat syarat dibuat: 0." in second.output
