import logging

from webapp.auth.roles import Role
from webapp.core.logging import NikScrubber, scrub


def test_404_and_403_pages_are_indonesian(client, login_as):
    login_as(Role.VIEWER)
    not_found = client.get("/tidak-ada-halaman")
    assert not_found.status_code == 404 and "Halaman tidak ditemukan" in not_found.get_data(as_text=True)
    forbidden = client.get("/admin/pengguna")
    assert forbidden.status_code == 403 and "Akses ditolak" in forbidden.get_data(as_text=True)


def test_500_page_leaks_nothing(app, client, login_as):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("rahasia-internal SELECT * FROM users 6306104509870001")
    boom._kp_roles = frozenset(Role)
    login_as(Role.VIEWER)
    resp = client.get("/_boom")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "Terjadi kesalahan" in page
    assert "rahasia-internal" not in page and "Traceback" not in page and "SELECT" not in page


def test_logs_never_carry_a_full_nik(caplog):
    assert scrub("NIK 6306104509870001 dan KK 6306101203150007") == "NIK 6306••••••••0001 dan KK 6306••••••••0007"
    logger = logging.getLogger("webapp.test")
    logger.addFilter(NikScrubber())
    with caplog.at_level(logging.INFO, logger="webapp.test"):
        logger.info("mencari %s", "6306104509870001")
    assert "6306104509870001" not in caplog.text and "6306••••••••0001" in caplog.text


def test_request_log_lines_are_scrubbed(app, client, login_as, caplog):
    login_as(Role.VIEWER)
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('"GET /?q=6306104509870001 HTTP/1.1" 200 -')
    assert "6306104509870001" not in caplog.text
