"""The operator at the office: receives the files a trip brought back, exports the ready
applications for SIAK (a download), uploads SIAK's result file (a wrong one first), sees the
document number in the queue and records the printing, which takes the blank from the warehouse."""
from __future__ import annotations

import csv
import io
from datetime import date

from webapp.core.timefmt import wita_today
import pytest
from playwright.sync_api import expect

from webapp.auth.roles import Role

pytestmark = pytest.mark.e2e


def _result_file(downloaded: bytes, receipt_number: str, number: str, *, twice: bool = False) -> bytes:
    """The export as SIAK's operator sends it back: our row only, its result columns filled."""
    rows = list(csv.reader(io.StringIO(downloaded.decode("utf-8-sig")), delimiter=";"))
    header, mine = rows[0], [r for r in rows[1:] if r[1] == receipt_number]
    assert len(mine) == 1, rows
    values = dict(zip(header, mine[0]))
    values.update(NO_DOKUMEN=number, TGL_TERBIT=wita_today().strftime("%d-%m-%Y"))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for _ in range(2 if twice else 1):
        writer.writerow([values[c] for c in header])
    return out.getvalue().encode("utf-8")


def test_operator_receives_exports_imports_and_prints(page, login_page, live_db, tmp_path):
    from tests.integration.office_factories import make_trip, receipted
    from tests.integration.trip_factories import stock
    from webapp.intake.models import Application
    from webapp.inventory.services import balance

    stock("BLANGKO_KIA", 2)
    before = balance("BLANGKO_KIA")
    trip = make_trip()
    _visit, (application,), receipt = receipted(trip, name="Galuh Rahmah")
    trip_number, receipt_number, application_id = trip.number, receipt.number, application.id
    document_number = f"6306-KIA-{receipt_number[-6:]}"

    login_page(Role.OPERATOR)
    page.get_by_role("navigation").get_by_role("link", name="Antrean Operator").click()
    page.get_by_role("link", name="Terima berkas dari lapangan").first.click()
    section = page.locator(f'[data-trip="{trip_number}"]')
    expect(section).to_contain_text(receipt_number)
    expect(section).not_to_contain_text("6306104512150003")          # the NIK is masked in lists
    section.get_by_role("button", name="Terima yang dicentang").click()
    expect(section.get_by_test_id("receive-error")).to_contain_text("Centang berkas")
    section = page.locator(f'[data-trip="{trip_number}"]')
    section.get_by_label(f"Terima berkas {receipt_number}").check()
    section.get_by_role("button", name="Terima yang dicentang").click()
    expect(page.get_by_text("Berkas 1 permohonan diterima di kantor")).to_be_visible()

    page.get_by_role("link", name="Antrean", exact=True).click()
    row = page.get_by_test_id("queue-row").filter(has_text=receipt_number)
    expect(row).to_contain_text("Berkas di kantor, menunggu operator")
    expect(row.get_by_test_id("age")).to_contain_text("berkas diterima")

    page.get_by_role("link", name="Berkas SIAK", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Unduh CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("siak-ekspor-") and download.suggested_filename.endswith(".csv")
    downloaded = open(download.path(), "rb").read()

    wrong = tmp_path / "hasil-ganda.csv"
    wrong.write_bytes(_result_file(downloaded, receipt_number, document_number, twice=True))
    upload = page.get_by_label("Berkas hasil SIAK (CSV atau JSON)")
    upload.set_input_files(str(wrong))
    page.get_by_role("button", name="Terapkan hasil").click()
    expect(page.get_by_test_id("import-outcome")).to_contain_text("Tidak ada hasil yang diterapkan")
    expect(page.locator('[data-testid="siak-error"][data-line="3"]')).to_contain_text("baris ganda")

    right = tmp_path / "hasil.csv"
    right.write_bytes(_result_file(downloaded, receipt_number, document_number))
    page.get_by_label("Berkas hasil SIAK (CSV atau JSON)").set_input_files(str(right))
    page.get_by_role("button", name="Periksa saja").click()
    expect(page.get_by_test_id("import-outcome")).to_contain_text("1 baris benar, siap diterapkan")
    page.get_by_label("Berkas hasil SIAK (CSV atau JSON)").set_input_files(str(right))
    page.get_by_role("button", name="Terapkan hasil").click()
    expect(page.get_by_text("Hasil SIAK diterapkan: 1 dokumen terbit, 0 ditolak.")).to_be_visible()
    expect(page.get_by_test_id("run-applied")).to_have_text("1")

    page.get_by_role("link", name="Antrean", exact=True).click()
    row = page.get_by_test_id("queue-row").filter(has_text=receipt_number)
    expect(row.get_by_test_id("document-number")).to_contain_text(document_number)
    row.get_by_role("link", name="Buka").click()
    expect(page.get_by_test_id("document-number")).to_contain_text(document_number)
    page.get_by_label("Blangko rusak/gagal cetak").fill("0")
    page.get_by_role("button", name="Catat cetak: dokumen siap diambil").click()
    expect(page.get_by_text("Cetak tercatat; dokumen siap diambil.")).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Siap diambil")

    live_db.session.expire_all()
    assert balance("BLANGKO_KIA") == before - 1
    stored = live_db.session.get(Application, application_id)
    assert (stored.status, stored.document_number, stored.stock_code) == ("siap_diambil", document_number,
                                                                          "BLANGKO_KIA")
