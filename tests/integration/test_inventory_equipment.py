import uuid

import pytest

from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.extensions import db
from webapp.inventory import services
from webapp.inventory.models import EquipmentItem

NEW = "/inventaris/peralatan/baru"


def form(**values):
    data = {"inventory_number": "KP/LT/2026/010", "kind": "laptop", "name": "Lenovo ThinkPad E14",
            "serial_number": "PF3XK9Z1", "condition": "baik", "in_service": "y", "notes": ""}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def make_item(number="KP/KM/2023/001", **kw):
    values = dict(inventory_number=number, kind="kamera", name="Canon EOS 3000D", condition="baik", in_service=True)
    values.update(kw)
    item = services.create_equipment(actor=None, **values)
    db.session.commit()
    return item


def test_admin_adds_equipment(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form(NEW, form(inventory_number="kp/lt/2026/010"), token_from=NEW)
    assert resp.status_code == 302
    item = EquipmentItem.query.one()
    assert item.inventory_number == "KP/LT/2026/010" and item.in_service
    assert AuditEntry.query.filter_by(entity_type="equipment", entity_id=str(item.id), action="create").count() == 1


@pytest.mark.parametrize("values, message", [
    ({"inventory_number": ""}, "Wajib diisi."),
    ({"inventory_number": "KP LT 01"}, "Nomor inventaris hanya boleh"),
    ({"inventory_number": "X" * 41}, "maksimal 40 karakter"),
    ({"kind": ""}, "Pilih jenis peralatan"),
    ({"kind": "helikopter"}, "Pilih jenis peralatan"),
    ({"name": ""}, "Wajib diisi."),
    ({"condition": "hilang"}, "Pilih kondisi"),
    ({"condition": "rusak_berat", "in_service": "y"}, "rusak berat tidak dapat dinyatakan siap pakai"),
])
def test_bad_equipment_input_is_explained_and_kept(client, login_as, values, message):
    login_as(Role.ADMIN)
    resp = client.post_form(NEW, form(**values), token_from=NEW)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page
    assert 'value="PF3XK9Z1"' in page   # typed data kept
    assert EquipmentItem.query.count() == 0


def test_duplicate_inventory_number_is_refused_next_to_the_field(client, login_as):
    make_item("KP/LT/2026/010", kind="laptop")
    login_as(Role.ADMIN)
    resp = client.post_form(NEW, form(inventory_number="kp/lt/2026/010"), token_from=NEW)
    assert "KP/LT/2026/010 sudah dipakai" in resp.get_data(as_text=True)
    assert EquipmentItem.query.count() == 1


def test_edit_and_take_out_of_service(client, login_as):
    item = make_item()
    other = make_item("KP/KM/2023/002")
    login_as(Role.ADMIN)
    url = f"/inventaris/peralatan/{item.id}"
    resp = client.post_form(url, form(inventory_number="KP/KM/2023/002", kind="kamera"), token_from=url)
    assert "sudah dipakai" in resp.get_data(as_text=True)
    resp = client.post_form(url, form(inventory_number="KP/KM/2023/001", kind="kamera", name="Canon EOS 3000D (lensa 18-55)",
                                      condition="rusak_ringan"), token_from=url)
    assert resp.status_code == 302
    db.session.refresh(item)
    assert item.name.endswith("(lensa 18-55)") and item.condition == "rusak_ringan"
    resp = client.post_form(f"{url}/status-pakai", {"note": "Dikirim ke servis"}, token_from=url)
    assert resp.status_code == 302
    db.session.refresh(item)
    assert item.in_service is False
    entry = AuditEntry.query.filter_by(entity_type="equipment", entity_id=str(item.id)).order_by(AuditEntry.at.desc()).first()
    assert "tidak dipakai — Dikirim ke servis" in entry.summary
    client.post_form(f"{url}/status-pakai", {}, token_from=url)
    db.session.refresh(item)
    assert item.in_service is True
    assert other.inventory_number == "KP/KM/2023/002"


def test_badly_damaged_item_cannot_return_to_service(app):
    item = make_item(condition="rusak_berat", in_service=False)
    with pytest.raises(DomainError):
        services.set_in_service(item, True, actor=None)
    db.session.rollback()
    assert db.session.get(EquipmentItem, item.id).in_service is False


def test_list_filters_search_as_you_type(client, login_as):
    make_item("KP/KM/2023/001")
    make_item("KP/PR/2023/002", kind="printer", name="Epson L5290", condition="rusak_ringan", in_service=False)
    make_item("KP/GS/2023/001", kind="genset", name="Honda EU22i")
    login_as(Role.VIEWER)
    body = client.htmx("GET", "/inventaris/peralatan?q=epson").get_data(as_text=True)
    assert "Epson L5290" in body and "Honda" not in body and "<html" not in body
    body = client.htmx("GET", "/inventaris/peralatan?in_service=tidak").get_data(as_text=True)
    assert "KP/PR/2023/002" in body and "KP/GS/2023/001" not in body
    body = client.htmx("GET", "/inventaris/peralatan?kind=genset&condition=baik").get_data(as_text=True)
    assert "Honda EU22i" in body and "Canon" not in body
    full = client.get("/inventaris/peralatan?kind=bukan&condition=x&in_service=z").get_data(as_text=True)
    assert all(n in full for n in ("KP/KM/2023/001", "KP/PR/2023/002", "KP/GS/2023/001"))
    assert "Tambah peralatan" not in full   # the viewer only views


def test_unknown_equipment_is_404(client, login_as):
    login_as(Role.ADMIN)
    missing = uuid.uuid4()
    assert client.get(f"/inventaris/peralatan/{missing}").status_code == 404
    assert client.post_form(f"/inventaris/peralatan/{missing}/status-pakai", {}, token_from="/").status_code == 404
    assert client.get("/inventaris/peralatan/bukan-id").status_code == 404


def test_viewer_cannot_edit(client, login_as):
    item = make_item()
    login_as(Role.VIEWER)
    assert client.get(f"/inventaris/peralatan/{item.id}").status_code == 403
    assert client.get(NEW).status_code == 403


def test_demo_loader_is_idempotent(app, make_user):
    make_user(Role.ADMIN, username="admin")
    from webapp.inventory.demo import load_inventory
    first = load_inventory()
    second = load_inventory()
    assert "20 dicatat; penerimaan stok: 6" in first[0]
    assert "0 dicatat; penerimaan stok: 0" in second[0]
    assert services.balance("BLANGKO_KTP") == 500
    repair = EquipmentItem.query.filter_by(condition="rusak_ringan").one()
    assert repair.in_service is False
