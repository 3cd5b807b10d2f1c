"""On the bus, in the browser: a KIA for a 6-year-old with photo and checklist (saved in one form,
a bad photo refused with nothing saved), finished on site with the trip's blank debited; an Akta Kelahiran reported on day 61 (late), a requirement
replaced by an SPTJM, ending with a receipt."""
import re
from datetime import timedelta
from itertools import count

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.intake_factories import trip_on_site, visit_at_desk
from tests.integration.trip_factories import office_user
from webapp.auth.roles import Role
from webapp.core.timefmt import wita_today

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
_BUS = count(71)


@pytest.fixture
def own_bus(live_app):
    """A bus of its own for this test's trip (other browser tests book BUS-01 today)."""
    before = live_app.config.get("BUSES", "")
    code = f"BUS-{next(_BUS)}"
    live_app.config["BUSES"] = f"{before};{code}=Bus Uji Pelayanan {code}"
    yield code
    live_app.config["BUSES"] = before


def sign_in(page, base_url, user):
    page.goto(base_url + "/masuk")
    page.get_by_label("Nama pengguna").fill(user.username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/masuk" not in url)


def mark(page, state: str, text: str):
    """Choose a checklist line's state (saved with the whole list)."""
    page.get_by_label(f"{state}: {text}", exact=True).check()


def save_checklist(page, status: int = 200):
    """"Simpan daftar syarat": the states and files in one request; htmx puts the form back in place."""
    with page.expect_response(re.compile(r"/syarat$")) as answer:
        page.get_by_test_id("save-checklist").click()
    assert answer.value.status == status


def test_kia_for_a_six_year_old_with_photo_finished_on_site(page, base_url, live_db, own_bus):
    officer = office_user(Role.PETUGAS, full_name="Rahmat Hidayat Uji Pelayanan")
    trip = trip_on_site(team=[officer], bus=own_bus, trip_stock={"BLANGKO_KIA": 3})
    visit = visit_at_desk(trip, name="Aluh Masitah Uji KIA")
    born = wita_today().replace(year=wita_today().year - 6) - timedelta(days=40)

    sign_in(page, base_url, officer)
    page.goto(f"{base_url}/pelayanan/kunjungan/{visit.id}/baru")
    expect(page.get_by_role("heading", name="Permohonan baru")).to_be_visible()
    page.get_by_label("Layanan").select_option("KIA:5_17")
    page.get_by_label("Pemohon adalah").select_option("orang_tua")
    page.get_by_label("NIK").fill("")
    page.get_by_label("Nama lengkap").fill("Galuh Rahmah")
    page.get_by_label("Jenis kelamin").select_option("P")
    with page.expect_response(re.compile(r"/pratinjau")):
        page.get_by_label("Tanggal lahir", exact=True).fill(born.isoformat())
        page.get_by_label("Tanggal lahir", exact=True).blur()
    box = page.get_by_test_id("eligibility")
    expect(box).to_contain_text("usia 6 tahun")
    expect(box).to_contain_text("Memenuhi syarat")
    expect(box).to_contain_text("Pas foto berwarna 2×3")
    page.get_by_test_id("save-application").click()

    expect(page.get_by_role("heading", name=re.compile("Kartu Identitas Anak"))).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Sedang diisi")
    expect(page.get_by_test_id("missing")).to_contain_text("Kutipan akta kelahiran anak")
    documents = ("Kutipan akta kelahiran anak", "KK orang tua", "KTP-el kedua orang tua")
    for text in documents:
        mark(page, "Ada", text)
    photo_line = page.locator(".check-line", has_text="Pas foto berwarna")
    expect(photo_line.get_by_test_id("camera-capture")).to_have_count(0)   # no agent here: the upload only
    photo_line.locator("input[type=file]").set_input_files(
        {"name": "anak.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 not a photo"})
    save_checklist(page, 422)                                     # one bad file: nothing of it saved
    expect(page.locator(".check-line", has_text="Pas foto berwarna")).to_contain_text("Jenis berkas harus JPG atau PNG.")
    expect(page.get_by_test_id("checklist-refused")).to_be_visible()
    expect(page.get_by_test_id("missing")).to_contain_text("Kutipan akta kelahiran anak")
    for text in documents:                                        # what was chosen is kept
        expect(page.get_by_label(f"Ada: {text}", exact=True)).to_be_checked()
    photo_line = page.locator(".check-line", has_text="Pas foto berwarna")
    photo_line.locator("input[type=file]").set_input_files({"name": "anak.png", "mimeType": "image/png", "buffer": PNG})
    save_checklist(page)
    expect(page.get_by_test_id("checklist-saved")).to_have_text("Daftar syarat disimpan.")
    expect(page.locator(".check-line", has_text="Pas foto berwarna")).to_contain_text("Pas foto 1")
    expect(page.get_by_test_id("complete")).to_contain_text("Persyaratan lengkap")

    finish = page.get_by_test_id("finish")
    expect(finish.get_by_label("Blangko yang dipakai")).to_have_value("BLANGKO_KIA")
    expect(finish.get_by_test_id("stock-left")).to_contain_text("Blangko KIA 3")
    finish.get_by_label("Nomor dokumen dari SIAK").fill("6306-KIA-2026-000123")
    with page.expect_response(re.compile(r"/selesai$")) as answer:
        finish.get_by_test_id("finish-submit").click()
    assert answer.value.status == 200                             # htmx: the page itself, no redirect
    expect(page.get_by_text("Dokumen selesai di lokasi; blangko tercatat terpakai.")).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Selesai di lokasi")
    expect(page.get_by_test_id("outcome")).to_contain_text("6306-KIA-2026-000123")

    page.goto(f"{base_url}/perjalanan/{trip.id}")
    row = page.get_by_test_id("stock").locator("tr", has_text="Blangko KIA")
    expect(row.locator("td[data-label=Dipakai]")).to_have_text("1")
    expect(row.locator("td[data-label='Belum kembali']")).to_have_text("2")


def test_late_birth_with_sptjm_ends_with_a_receipt(page, base_url, live_db, own_bus):
    officer = office_user(Role.PETUGAS, full_name="Fitri Handayani Uji Pelayanan")
    trip = trip_on_site(team=[officer], bus=own_bus, siak_online=False, trip_stock={"KERTAS_AKTA": 2})
    visit = visit_at_desk(trip, name="Aluh Masitah Uji Akta")
    born = wita_today() - timedelta(days=61)

    sign_in(page, base_url, officer)
    page.goto(f"{base_url}/pelayanan/kunjungan/{visit.id}/baru")
    page.get_by_label("Layanan").select_option("AKTA_LAHIR:baru")
    page.get_by_label("Pemohon adalah").select_option("orang_tua")
    page.get_by_label("NIK").fill("")
    page.get_by_label("Nama lengkap").fill("Bayi Aluh Masitah")
    page.get_by_label("Jenis kelamin").select_option("L")
    with page.expect_response(re.compile(r"/pratinjau")):
        page.get_by_label("Tanggal lahir", exact=True).fill(born.isoformat())
        page.get_by_label("Tanggal lahir", exact=True).blur()
    box = page.get_by_test_id("eligibility")
    expect(box.get_by_test_id("late-flag")).to_contain_text("Terlambat 1 hari")       # before saving
    expect(box.get_by_test_id("late-flag")).to_contain_text("persetujuan Kepala Dinas")
    expect(box).to_contain_text("Surat pernyataan keterlambatan pelaporan kelahiran")
    page.get_by_test_id("save-application").click()

    expect(page.get_by_role("heading", name=re.compile("Akta Kelahiran"))).to_be_visible()
    expect(page.get_by_test_id("late-flag")).to_contain_text("Terlambat 1 hari")
    expect(page.get_by_test_id("siak-offline")).to_have_text("SIAK tidak terhubung: selesaikan dengan tanda terima")
    page.get_by_test_id("receipt-submit").click()                                    # too early: refused
    expect(page.get_by_test_id("receipt")).to_contain_text("persyaratan belum lengkap")

    mark(page, "Diganti SPTJM",
         "Surat keterangan lahir dari rumah sakit, puskesmas, bidan, atau kepala desa/lurah")
    mark(page, "Ada", "SPTJM kebenaran sebagai pasangan suami istri")
    mark(page, "Ada", "Kartu Keluarga (KK)")
    mark(page, "Ada", "KTP-el kedua orang tua")
    mark(page, "Ada", "Surat pernyataan keterlambatan pelaporan kelahiran (lebih dari 60 hari) untuk persetujuan "
                      "Kepala Dinas")
    page.get_by_test_id("files").locator("input[type=file]").set_input_files(
        {"name": "surat-pindah.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 surat"})
    save_checklist(page)
    expect(page.get_by_test_id("complete")).to_contain_text("Persyaratan lengkap")
    expect(page.get_by_test_id("files")).to_contain_text("Pindaian 1")          # the application's other file

    receipt = page.get_by_test_id("receipt")
    receipt.get_by_label("Melalui kantor desa").check()
    receipt.get_by_test_id("receipt-submit").click()
    expect(page.get_by_text(re.compile(r"Tanda terima KP-\S+ diterbitkan untuk 1 permohonan"))).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("Berkas diterima (tanda terima)")
    number = page.get_by_test_id("receipt-number")
    expect(number).to_contain_text("Melalui kantor desa")
    receipt_no = re.search(r"KP-\S+", number.inner_text()).group(0)
    page.get_by_test_id("print-receipt").click()
    expect(page.locator("main")).to_contain_text(receipt_no)
