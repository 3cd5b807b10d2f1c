"""Responses are compressed for browsers that accept it (Flask-Compress, webapp/core/compression.py):
pages, htmx fragments and static CSS/JS; the node sync API and downloads are left as they are."""
import gzip

from webapp.auth.roles import Role


def test_a_page_comes_back_gzipped_and_smaller(client):
    plain = client.get("/masuk")
    packed = client.get("/masuk", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data())
    assert body == plain.get_data()                      # the same page
    assert len(packed.get_data()) < len(plain.get_data()) / 2


def test_an_htmx_fragment_is_compressed_and_still_a_fragment(client, login_as):
    login_as(Role.OPERATOR)
    resp = client.htmx("POST", "/kualitas/penduduk", data={"query": "ab"},
                       headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 422
    html = (gzip.decompress(resp.get_data()) if resp.headers.get("Content-Encoding") == "gzip"
            else resp.get_data()).decode()
    assert 'id="person-search"' in html and "<html" not in html and "minimal 3 huruf nama" in html
    page = client.get("/kualitas/penduduk", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and b"person-search" in gzip.decompress(page.get_data())


def test_static_files_are_compressed_with_the_best_accepted_encoding(client):
    resp = client.get("/static/css/app.css", headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "br"


def _processed(app, path, response):
    with app.test_request_context(path, headers={"Accept-Encoding": "gzip"}):
        return app.process_response(response)


def test_the_sync_api_downloads_and_streams_are_left_as_they_are(app):
    from flask import Response
    body = '{"rows": [' + ",".join(['{"name": "SITI AISYAH"}'] * 200) + "]}"
    assert _processed(app, "/kualitas/x", Response(body, mimetype="application/json")).headers["Content-Encoding"] == "gzip"
    sync = _processed(app, "/sync/v1/pull", Response(body, mimetype="application/json"))
    assert "Content-Encoding" not in sync.headers and sync.get_data(as_text=True) == body
    download = Response(body, mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=siak.json"})
    assert "Content-Encoding" not in _processed(app, "/operator/ekspor", download).headers
    stream = Response((part for part in (body[:100], body[100:])), mimetype="text/html")
    streamed = _processed(app, "/kualitas/x", stream)
    assert "Content-Encoding" not in streamed.headers and streamed.get_data(as_text=True) == body
