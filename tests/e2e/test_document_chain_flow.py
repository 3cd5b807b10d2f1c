"""One Akta Kelahiran through the whole chain in the browser: on the bus a late birth (day 61)
with a requirement replaced by an SPTJM, accepted with a receipt; the resident checks the public
status; at the office the files are received, exported to SIAK and SIAK's result file imported,
the printing recorded (a sheet out of the warehouse); at the pick-up desk the scanner's QR text
finds the receipt and the document is handed over; the public status follows each step.

Other browser tests share the live database: everything here is found by this test's own trip,
receipt number and application, never by totals."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.trip_factories import departed_trip, office_user, stock
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today

pytestmark = pytest.mark.e2e

BOM = "\ufeff"
RESIDENT = "Aluh Masitah"            # on the village list of departed_trip()'s default request
BABY = "Bayi Aluh Uji Rantai"
LATE_LETTER = ("Surat pernyataan keterlambatan pelaporan kelahiran (lebih dari 60 hari) untuk persetujuan "
               "Kepala Dinas")


def sign_in(page, base_url, user) -> None:
    page.goto(base_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/masuk" not in url)


def mark(page, state: str, text: str) -> None:
    """Choose a checklist line's state (saved with the whole list)."""
    page.get_by_label(f"{state}: {text}", exact=True).check()


def save_checklist(page) -> None:
    """"Simpan daftar syarat": every state in one request; htmx puts the form back in place."""
    with page.expect_response(re.compile(r"/syarat$")) as answer:
        page.get_by_test_id("save-checklist").click()
    assert answer.value.status == 200


def public_status(page, base_url, number: str, check_code: str) -> str:
    """The anonymous status check; returns the state the page shows (data-state)."""
    page.goto(base_url + "/status")
    page.get_by_label("Nomor tanda terima").fill(number)
    page.get_by_label("Kode cek").fill(check_code)
    page.get_by_role("button", name="Cek status").click()
    answer = page.get_by_test_id("status-result").locator("[data-state]")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text(f"Tanda terima {number}")
    expect(page.get_by_test_id("status-result")).not_to_contain_text(RESIDENT)     # no personal data
    return answer.get_attribute("data-state")


def fill_result(downloaded: bytes, receipt_number: str, document_number: str, issued_on: str) -> bytes:
    """The export as SIAK's operator returns it: this receipt's row only (rows without a result
    are errors), NO_DOKUMEN and TGL_TERBIT filled, in the export's own encoding and delimiter."""
    text = downloaded.decode("utf-8")
    assert text.startswith(BOM), "the CSV export is UTF-8 with a BOM (docs/siak-exchange-format.md)"
    dialect = csv.Sniffer().sniff(text[1:].split("\r\n", 1)[0], delimiters=";,\t|")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), dialect))
    header = rows[0]
    mine = [dict(zip(header, r)) for r in rows[1:] if r and r[header.index("NO_TANDA_TERIMA")] == receipt_number]
    assert len(mine) == 1, [r[:3] for r in rows]
    row = mine[0]
    # what SIAK's operator needs to see: a late birth, no NIK yet
    assert (row["KODE_LAYANAN"], row["TERLAMBAT"], row["HARI_TERLAMBAT"], row["NIK"]) == ("AKTA_LAHIR", "ya", "1", "")
    assert row["NAMA_LGKP"].upper() == BABY.upper()
    row.update(NO_DOKUMEN=document_number, TGL_TERBIT=issued_on)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow([row[c] for c in header])
    return (BOM + out.getvalue()).encode("utf-8")


def test_late_birth_from_the_bus_to_the_pickup_desk(page, browser, base_url, live_db, make_live_user, tmp_path):
    from webapp.documents.models import Handover
    from webapp.intake.models import Application, Receipt
    from webapp.inventory.models import StockMovement
    from webapp.inventory.services import balance
    from webapp.requirements.services import get_template, seed_templates
    from webapp.core.changes import StatusHistory

    if get_template("AKTA_LAHIR", "baru") is None:
        seed_templates()
        live_db.session.commit()
    stock("KERTAS_AKTA", 2)                                    # the office prints on the warehouse's sheets
    officer = office_user(Role.PETUGAS, full_name="Nurul Hidayah Uji Rantai")
    trip = departed_trip(members=[(officer, "koordinator")], arrived=True)
    trip_number = trip.number
    born = wita_today() - timedelta(days=61)
    page.on("dialog", lambda dialog: dialog.accept())

    # --- on the bus: the trip day, check-in, "Layani" straight to her new application ---------------------
    sign_in(page, base_url, officer)
    page.get_by_role("link", name="Pelayanan Lapangan").first.click()
    page.get_by_test_id("today-trips").locator("tr", has_text=trip_number).get_by_test_id("open-trip-day").click()
    expect(page.get_by_role("heading", name=re.compile(f"Hari pelayanan {trip_number}"))).to_be_visible()
    expect(page.get_by_test_id("trip-status")).to_have_text("Tiba di lokasi")
    row = page.get_by_test_id("visit-row").filter(has_text=RESIDENT)
    row.get_by_test_id("check-in").click()
    expect(row.locator(".queue-no")).to_have_text("001")
    expect(row).to_contain_text("Menunggu")
    expect(page.locator('[data-count="menunggu"]')).to_have_text("1")       # out of band, with the row
    row.get_by_role("button", name="Layani").click()          # a link styled as a button: "Panggil" is optional

    # --- intake: a birth reported on day 61, flagged late before anything is saved -----------------------
    expect(page.get_by_role("heading", name="Permohonan baru")).to_be_visible()
    page.get_by_label("Layanan").select_option("AKTA_LAHIR:baru")
    page.get_by_label("Pemohon adalah").select_option("orang_tua")
    page.get_by_label("NIK").fill("")
    page.get_by_label("Nama lengkap").fill(BABY)
    page.get_by_label("Jenis kelamin").select_option("L")
    with page.expect_response(re.compile(r"/pratinjau")):
        page.get_by_label("Tanggal lahir", exact=True).fill(born.isoformat())
        page.get_by_label("Tanggal lahir", exact=True).blur()
    late = page.get_by_test_id("eligibility").get_by_test_id("late-flag")
    expect(late).to_contain_text("Terlambat 1 hari")
    expect(late).to_contain_text("persetujuan Kepala Dinas")
    page.get_by_test_id("save-application").click()

    expect(page.get_by_role("heading", name=re.compile("Akta Kelahiran"))).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Sedang diisi")
    expect(page.get_by_test_id("late-flag")).to_contain_text("Terlambat 1 hari")
    expect(page.get_by_test_id("siak-offline")).to_be_visible()           # no SIAK on this bus: a receipt
    mark(page, "Diganti SPTJM",
         "Surat keterangan lahir dari rumah sakit, puskesmas, bidan, atau kepala desa/lurah")
    mark(page, "Ada", "SPTJM kebenaran sebagai pasangan suami istri")
    mark(page, "Ada", "Kartu Keluarga (KK)")
    mark(page, "Ada", "KTP-el kedua orang tua")
    mark(page, "Ada", LATE_LETTER)
    save_checklist(page)
    expect(page.get_by_test_id("complete")).to_contain_text("Persyaratan lengkap")
    receipt_form = page.get_by_test_id("receipt")
    receipt_form.get_by_label("Melalui kantor desa").check()
    receipt_form.get_by_test_id("receipt-submit").click()
    expect(page.get_by_text(re.compile(r"Tanda terima KP-\S+ diterbitkan untuk 1 permohonan"))).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Berkas diterima (tanda terima)")

    # --- the printed receipt: its number and check code as the resident gets them --------------------------
    page.get_by_test_id("print-receipt").click()
    printed = page.get_by_test_id("receipt")
    expect(printed).to_contain_text("TANDA TERIMA BERKAS")
    expect(printed).to_contain_text("diganti SPTJM")
    receipt_no = page.get_by_test_id("receipt-number").inner_text().strip()
    check_code = page.get_by_test_id("receipt-check-code").inner_text().strip()
    assert re.fullmatch(r"KP-[A-Z0-9]+-\d{6}", receipt_no), receipt_no
    assert re.fullmatch(r"[A-Z0-9]{4,10}", check_code), check_code
    expect(page.get_by_test_id("receipt-qr").locator("svg")).to_be_visible()

    live_db.session.expire_all()
    receipt = Receipt.query.filter_by(number=receipt_no).one()
    (application,) = receipt.applications
    application_id, receipt_id = application.id, receipt.id
    assert (application.service_code, application.status, receipt.check_code) == ("AKTA_LAHIR", "tanda_terima",
                                                                                   check_code)
    assert {line.state for line in application.lines} >= {"sptjm"}

    page.locator("summary", has_text="Nurul Hidayah Uji Rantai").click()            # the user menu
    page.get_by_test_id("logout").click()
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible()

    # --- the resident, anonymous: received --------------------------------------------------------------
    assert public_status(page, base_url, receipt_no, check_code.lower()) == "diterima"
    expect(page.get_by_test_id("status-result")).to_contain_text("Melalui kantor desa")

    # --- the office: receive the files, export for SIAK, import SIAK's result, record printing ------------
    operator = make_live_user(Role.OPERATOR)
    sign_in(page, base_url, operator)
    page.get_by_role("navigation").get_by_role("link", name="Antrean Operator").click()
    page.get_by_role("link", name="Terima berkas dari lapangan").first.click()
    section = page.locator(f'[data-trip="{trip_number}"]')
    expect(section).to_contain_text(receipt_no)
    section.get_by_label(f"Terima berkas {receipt_no}").check()
    section.get_by_role("button", name="Terima yang dicentang").click()
    expect(page.get_by_text("Berkas 1 permohonan diterima di kantor")).to_be_visible()
    expect(page.locator(f'[data-trip="{trip_number}"]')).to_have_count(0)   # nothing left from this trip

    page.get_by_role("link", name="Berkas SIAK", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Unduh CSV").click()
    download = download_info.value
    assert re.fullmatch(r"siak-ekspor-\d{8}-\d{6}\.csv", download.suggested_filename), download.suggested_filename
    document_number = f"6306-LU-{wita_today():%d%m%Y}-{receipt_no[-6:]}"
    result = tmp_path / "hasil-siak.csv"
    result.write_bytes(fill_result(open(download.path(), "rb").read(), receipt_no, document_number,
                                   wita_today().isoformat()))

    upload = page.get_by_label("Berkas hasil SIAK (CSV atau JSON)")
    upload.set_input_files(str(result))
    page.get_by_role("button", name="Periksa saja").click()
    expect(page.get_by_test_id("import-outcome")).to_contain_text("1 baris benar, siap diterapkan")
    live_db.session.expire_all()
    assert live_db.session.get(Application, application_id).status == "diproses"     # checked, not applied
    page.get_by_label("Berkas hasil SIAK (CSV atau JSON)").set_input_files(str(result))
    page.get_by_role("button", name="Terapkan hasil").click()
    expect(page.get_by_text("Hasil SIAK diterapkan: 1 dokumen terbit, 0 ditolak.")).to_be_visible()
    expect(page.get_by_test_id("run-applied")).to_have_text("1")

    page.get_by_role("link", name="Antrean", exact=True).click()
    row = page.get_by_test_id("queue-row").filter(has_text=receipt_no)
    expect(row.get_by_test_id("document-number")).to_contain_text(document_number)
    row.get_by_role("link", name="Buka").click()
    expect(page.get_by_test_id("document-number")).to_contain_text(document_number)
    expect(page.get_by_test_id("application-status")).to_have_text("Terbit di SIAK, menunggu cetak")
    live_db.session.expire_all()
    sheets_before = balance("KERTAS_AKTA")
    print_form = page.get_by_test_id("print-form")
    expect(print_form.get_by_label("Blangko yang dipakai")).to_have_value("KERTAS_AKTA")
    print_form.get_by_label("Blangko rusak/gagal cetak").fill("0")
    print_form.get_by_role("button", name="Catat cetak: dokumen siap diambil").click()
    expect(page.get_by_text("Cetak tercatat; dokumen siap diambil.")).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Siap diambil")

    live_db.session.expire_all()
    assert balance("KERTAS_AKTA") == sheets_before - 1
    movements = StockMovement.query.filter(StockMovement.reason.contains(receipt_no)).all()
    assert [(m.stock_code, m.kind, m.quantity, m.balance_delta, m.trip_id) for m in movements] == [
        ("KERTAS_AKTA", "use", 1, -1, None)]

    # --- the resident again: ready ---------------------------------------------------------------------
    visitor = browser.new_context().new_page()
    assert public_status(visitor, base_url, receipt_no, check_code) == "siap_diambil"

    # --- the pick-up desk: the scanner types the QR text, the resident takes the document -----------------
    page.get_by_role("navigation").get_by_role("link", name="Pengambilan Dokumen").click()
    search = page.get_by_label("Nomor tanda terima atau QR")
    search.fill(f"KPTT:{receipt_no}:{check_code}")
    search.press("Enter")
    expect(page.get_by_role("heading", name=f"Tanda terima {receipt_no}")).to_be_visible()
    documents = page.get_by_test_id("receipt-applications")
    expect(documents).to_contain_text("Siap diambil")
    expect(documents).to_contain_text(document_number)
    expect(documents.locator("input[name=applications]")).to_be_checked()
    page.get_by_label("Pemohon sendiri").check()
    page.get_by_label("Nama penerima").fill(RESIDENT)
    page.get_by_role("button", name="Serahkan dokumen terpilih").click()
    expect(page.get_by_text(re.compile(rf"Serah terima ST-\S+ tercatat: 1 dokumen diserahkan kepada {RESIDENT}"))
           ).to_be_visible()
    expect(page.get_by_test_id("receipt-status")).to_contain_text("Selesai")
    expect(documents).to_contain_text("Sudah diambil")

    # --- the resident, last time: collected ------------------------------------------------------------
    assert public_status(visitor, base_url, receipt_no, check_code) == "sudah_diambil"
    visitor.context.close()

    live_db.session.expire_all()
    stored = live_db.session.get(Application, application_id)
    handover = live_db.session.get(Handover, stored.handover_id)
    assert (stored.status, stored.document_number, stored.stock_code) == ("diambil", document_number,
                                                                          "KERTAS_AKTA")
    assert (handover.receiver_name, handover.document_count) == (RESIDENT, 1)
    assert live_db.session.get(Receipt, receipt_id).status == "selesai"
    path = [h.to_status for h in StatusHistory.query.filter_by(entity_type="application", entity_id=application_id)
            .order_by(StatusHistory.at)]
    assert path == ["draf", "tanda_terima", "di_kantor", "diproses", "terbit", "siap_diambil", "diambil"]
    visit_path = [h.to_status for h in StatusHistory.query.filter_by(entity_type="visit", entity_id=stored.visit_id)
                  .order_by(StatusHistory.at)]
    assert visit_path[-3:] == ["menunggu", "dipanggil", "selesai"]    # saving her application called her (step 5)
