"""The blank stock ledger: balances never go negative, every movement has an actor and a
reason, trips cannot return more than they carry, and the pages answer bad input clearly."""
import threading
import uuid

import pytest
from sqlalchemy import text

from webapp.core.audit import AuditEntry
from webapp.auth.roles import Role
from webapp.core.errors import DomainError
from webapp.core.uow import unit_of_work
from webapp.extensions import db
from webapp.inventory import services
from webapp.inventory.models import StockMovement


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="gudang")


def test_receive_issue_use_spoil_return(app, admin):
    trip = uuid.uuid4()
    services.receive("BLANGKO_KTP", 100, actor=admin, reason="Distribusi Ditjen Dukcapil, BA No. 1")
    services.issue_to_trip("BLANGKO_KTP", 40, trip_id=trip, actor=admin, reason="Perjalanan Loksado")
    assert services.balance("BLANGKO_KTP") == 60
    services.record_use("BLANGKO_KTP", 25, trip_id=trip, actor=admin, reason="Dicetak di bus")
    services.record_spoiled("BLANGKO_KTP", 2, trip_id=trip, actor=admin, reason="Gagal cetak")
    with pytest.raises(DomainError) as error:
        services.return_from_trip("BLANGKO_KTP", 14, trip_id=trip, actor=admin, reason="Sisa")
    assert error.value.field == "quantity" and "tinggal 13 keping" in str(error.value.message)
    services.return_from_trip("BLANGKO_KTP", 13, trip_id=trip, actor=admin, reason="Sisa dibawa pulang")
    assert services.balance("BLANGKO_KTP") == 73
    assert services.trip_stock(trip)["BLANGKO_KTP"] == services.TripStock(40, 25, 2, 13)
    assert services.trip_stock(trip)["BLANGKO_KTP"].outstanding == 0
    with pytest.raises(DomainError):
        services.record_use("BLANGKO_KTP", 1, trip_id=trip, actor=admin, reason="lagi")
    movements = StockMovement.query.all()
    assert len(movements) == 5 and all(m.actor_name == "gudang" and m.reason for m in movements)
    assert AuditEntry.query.filter_by(entity_type="stock_movement").count() == 5


def test_issue_beyond_balance_names_item_balance_and_request(app, admin):
    services.receive("BLANGKO_KTP", 12, actor=admin, reason="BA No. 2")
    with pytest.raises(DomainError) as error:
        services.issue_to_trip("BLANGKO_KTP", 20, trip_id=uuid.uuid4(), actor=admin, reason="x")
    assert str(error.value.message) == "Stok Blangko KTP-el tidak cukup: sisa 12 keping, diminta 20."
    assert error.value.field == "quantity"
    assert services.balance("BLANGKO_KTP") == 12
    with pytest.raises(DomainError):
        services.issue_to_trip("BLANGKO_KIA", 1, trip_id=uuid.uuid4(), actor=admin, reason="tanpa saldo")


@pytest.mark.parametrize("quantity", [0, -5, "abc", "", None, 1.5, True, 100_001, "99999999999999999999"])
def test_bad_quantities_are_refused(app, admin, quantity):
    with pytest.raises(DomainError) as error:
        services.receive("KERTAS_KK", quantity, actor=admin, reason="x")
    assert error.value.field == "quantity"
    assert services.balance("KERTAS_KK") == 0 and StockMovement.query.count() == 0


def test_reason_and_code_and_trip_are_required(app, admin):
    with pytest.raises(DomainError) as error:
        services.receive("KERTAS_KK", 5, actor=admin, reason="  ")
    assert error.value.field == "reason"
    with pytest.raises(DomainError) as error:
        services.receive("EMAS", 5, actor=admin, reason="x")
    assert error.value.field == "stock_code"
    services.receive("KERTAS_KK", 5, actor=admin, reason="x")
    with pytest.raises(DomainError):
        services.issue_to_trip("KERTAS_KK", 1, trip_id=None, actor=admin, reason="x")
    with pytest.raises(DomainError):
        services.return_from_trip("KERTAS_KK", 1, trip_id=uuid.uuid4(), actor=admin, reason="tidak pernah dibawa")
    assert services.balance("KERTAS_KK") == 5


def test_adjust_up_and_down_never_below_zero(app, admin):
    services.adjust("PITA_PRINTER_KARTU", 5, actor=admin, reason="Stock opname: ditemukan di lemari")
    services.adjust("PITA_PRINTER_KARTU", "-2", actor=admin, reason="Stock opname: rusak")
    assert services.balance("PITA_PRINTER_KARTU") == 3
    with pytest.raises(DomainError) as error:
        services.adjust("PITA_PRINTER_KARTU", -4, actor=admin, reason="x")
    assert "sisa 3 rol" in str(error.value.message)
    with pytest.raises(DomainError):
        services.adjust("PITA_PRINTER_KARTU", 0, actor=admin, reason="x")
    assert services.balance("PITA_PRINTER_KARTU") == 3
    last = StockMovement.query.filter_by(kind="adjust").order_by(StockMovement.at.desc()).first()
    assert last.quantity == 2 and last.balance_delta == -2


def test_office_use_comes_straight_from_the_warehouse(app, admin):
    services.receive("BLANGKO_KIA", 10, actor=admin, reason="x")
    services.record_use("BLANGKO_KIA", 4, trip_id=None, actor=admin, reason="Cetak di loket kantor")
    assert services.balance("BLANGKO_KIA") == 6


def test_nothing_commits_inside_so_the_caller_rolls_everything_back(app, admin):
    services.receive("KERTAS_AKTA", 10, actor=admin, reason="x")
    db.session.commit()
    trip = uuid.uuid4()
    services.issue_to_trip("KERTAS_AKTA", 4, trip_id=trip, actor=admin, reason="x")
    with pytest.raises(DomainError):
        services.issue_to_trip("KERTAS_AKTA", 7, trip_id=trip, actor=admin, reason="x")
    db.session.rollback()
    assert services.balance("KERTAS_AKTA") == 10
    assert services.trip_stock(trip) == {}


def test_database_refuses_a_negative_balance(app, admin):
    services.receive("KERTAS_STRUK", 1, actor=admin, reason="x")
    db.session.commit()
    with pytest.raises(Exception):
        db.session.execute(text("UPDATE stock_balance SET quantity = -1 WHERE stock_code = 'KERTAS_STRUK'"))
        db.session.flush()
    db.session.rollback()
    assert services.balance("KERTAS_STRUK") == 1


def test_two_concurrent_issues_cannot_overdraw(app, admin):
    """Two sessions on the real database issue 60 each from 100 at the same moment."""
    services.receive("BLANGKO_KTP", 100, actor=admin, reason="x")
    db.session.commit()
    admin_id = admin.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def issue():
        with app.app_context():
            from webapp.auth.models import User
            actor = db.session.get(User, admin_id)
            barrier.wait()
            try:
                with unit_of_work():   # as a request would: commit on success, roll back on refusal
                    services.issue_to_trip("BLANGKO_KTP", 60, trip_id=uuid.uuid4(), actor=actor, reason="bersamaan")
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(str(error.message))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    assert "tidak cukup: sisa 40 keping, diminta 60" in [o for o in outcomes if o != "ok"][0]
    db.session.expire_all()
    assert services.balance("BLANGKO_KTP") == 40
    assert StockMovement.query.filter_by(kind="issue").count() == 1


def test_movements_filter_and_page(app, admin):
    trip = uuid.uuid4()
    services.receive("KERTAS_KK", 100, actor=admin, reason="x")
    services.issue_to_trip("KERTAS_KK", 10, trip_id=trip, actor=admin, reason="y")
    services.receive("KERTAS_AKTA", 5, actor=admin, reason="z")
    assert len(services.movements().items) == 3
    assert [m.kind for m in services.movements(stock_code="KERTAS_KK").items] == ["issue", "receipt"]
    assert len(services.movements(trip_id=trip).items) == 1
    assert services.movements(trip_id="bukan-uuid").items == []
    assert len(services.movements(kind="receipt").items) == 2


# --------------------------------------------------------------------------- pages

def test_balances_page_with_units(client, login_as, admin):
    services.receive("BLANGKO_KTP", 1500, actor=admin, reason="x")
    login_as(Role.KEPALA_DINAS)
    page = client.get("/inventaris/stok").get_data(as_text=True)
    assert "Blangko KTP-el" in page and "1.500" in page and "keping" in page
    assert "Terima stok" not in page   # view only




def test_receive_form_saves_and_audits(client, make_user, login):
    admin = login(make_user(Role.ADMIN))
    resp = client.post_form("/inventaris/stok/terima", {"stock_code": "BLANGKO_KIA", "quantity": "200",
                            "reason": "Distribusi blangko KIA, BA No. 470/0142"}, token_from="/inventaris/stok/terima")
    assert resp.status_code == 302
    assert services.balance("BLANGKO_KIA") == 200
    movement = StockMovement.query.one()
    assert movement.actor_id == admin.id and movement.kind == "receipt"


@pytest.mark.parametrize("quantity, message", [
    ("0", "lebih dari 0"), ("-5", "lebih dari 0"), ("dua puluh", "bilangan bulat"), ("", "Isi jumlah"),
    ("1e9", "bilangan bulat"), ("999999999999", "paling banyak"), ("12,5", "bilangan bulat"),
])
def test_receive_form_bad_quantity_keeps_input(client, login_as, quantity, message):
    login_as(Role.ADMIN)
    resp = client.post_form("/inventaris/stok/terima", {"stock_code": "BLANGKO_KIA", "quantity": quantity,
                            "reason": "BA No. 9"}, token_from="/inventaris/stok/terima")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in page
    assert f'value="{quantity}"' in page and "BA No. 9" in page
    assert StockMovement.query.count() == 0 and services.balance("BLANGKO_KIA") == 0


def test_receive_form_needs_item_and_reason(client, login_as):
    login_as(Role.ADMIN)
    resp = client.post_form("/inventaris/stok/terima", {"stock_code": "", "quantity": "5", "reason": "x"},
                            token_from="/inventaris/stok/terima")
    assert "Jenis stok tidak dikenal" in resp.get_data(as_text=True)
    resp = client.post_form("/inventaris/stok/terima", {"stock_code": "KERTAS_KK", "quantity": "5", "reason": ""},
                            token_from="/inventaris/stok/terima")
    assert "Isi alasan" in resp.get_data(as_text=True)
    assert StockMovement.query.count() == 0


def test_adjust_form_beyond_balance(client, login_as, admin):
    services.receive("KERTAS_STRUK", 3, actor=admin, reason="x")
    login_as(Role.ADMIN)
    resp = client.post_form("/inventaris/stok/koreksi", {"stock_code": "KERTAS_STRUK", "quantity": "-5",
                            "reason": "Stock opname"}, token_from="/inventaris/stok/koreksi")
    page = resp.get_data(as_text=True)
    assert "tidak boleh membuat stok" in page and 'value="-5"' in page
    assert services.balance("KERTAS_STRUK") == 3
    resp = client.post_form("/inventaris/stok/koreksi", {"stock_code": "KERTAS_STRUK", "quantity": "-3",
                            "reason": "Stock opname: basah kena hujan"}, token_from="/inventaris/stok/koreksi")
    assert resp.status_code == 302 and services.balance("KERTAS_STRUK") == 0


def test_movement_history_filters(client, login_as, admin):
    trip = uuid.uuid4()
    services.receive("KERTAS_KK", 50, actor=admin, reason="Penerimaan awal")
    services.issue_to_trip("KERTAS_KK", 5, trip_id=trip, actor=admin, reason="Perjalanan Hulu Banyu")
    login_as(Role.VIEWER)
    body = client.htmx("GET", f"/inventaris/stok/mutasi?trip_id={trip}").get_data(as_text=True)
    assert "Perjalanan Hulu Banyu" in body and "Penerimaan awal" not in body and "<html" not in body
    body = client.get("/inventaris/stok/mutasi?kind=receipt&stock_code=KERTAS_KK").get_data(as_text=True)
    assert "Penerimaan awal" in body and "Perjalanan Hulu Banyu" not in body
    body = client.get("/inventaris/stok/mutasi?trip_id=zzz&page=abc").get_data(as_text=True)
    assert "ID perjalanan tidak dikenali" in body


def test_kabid_views_but_cannot_receive(client, login_as):
    login_as(Role.KABID_DAFDUK)
    assert client.get("/inventaris/stok").status_code == 200
    assert client.get("/inventaris/stok/terima").status_code == 403
    assert client.post_form("/inventaris/stok/terima", {"stock_code": "KERTAS_KK", "quantity": "5", "reason": "x"},
                            token_from="/").status_code == 403
    assert StockMovement.query.count() == 0


def test_field_officer_does_not_see_the_ledger(client, login_as):
    login_as(Role.PETUGAS)
    assert client.get("/inventaris/stok").status_code == 403
