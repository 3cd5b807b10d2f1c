"""The English catalogue is complete, and the footer's language switch really changes the UI.

Bahasa Indonesia is the source language and the default (whatever the browser asks for);
English lives in webapp/translations/en. The compiled .mo is build output (git-ignored):
this module compiles it when it is missing or older than the .po, so a fresh clone passes.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import webapp
from webapp.auth.roles import Role

ROOT = Path(webapp.__file__).resolve().parent.parent
PO = ROOT / "webapp/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}   # as scripts/i18n
FIX = ("Run scripts/i18n, then translate every new or changed entry in "
       "webapp/translations/en/LC_MESSAGES/messages.po (fill msgstr, remove the fuzzy flag).")


def _read_catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """Compile messages.mo when it is missing or older than messages.po (atomic replace, so
    parallel workers never read a half-written file)."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    partial = MO.with_name(f".messages.{os.getpid()}.mo")
    with partial.open("wb") as f:
        write_mo(f, _read_catalog(), use_fuzzy=False)
    os.replace(partial, MO)


def _source_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_has_an_english_translation():
    catalog = _read_catalog()
    entries = [m for m in catalog if m.id]
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in entries}

    not_extracted = sorted(_source_msgids() - in_catalog)
    assert not_extracted == [], f"strings missing from the catalogue: {not_extracted[:20]}. {FIX}"

    untranslated = [m.id for m in entries
                    if not (all(m.string) if isinstance(m.string, (tuple, list)) else m.string)]
    assert untranslated == [], f"untranslated entries: {untranslated[:20]}. {FIX}"

    fuzzy = [m.id for m in entries if m.fuzzy]
    assert fuzzy == [], f"fuzzy (unchecked) entries: {fuzzy[:20]}. {FIX}"

    broken = {m.id: [str(e) for e in m.check(catalog)] for m in entries if list(m.check(catalog))}
    assert broken == {}, f"placeholders differ between msgid and msgstr: {broken}"


def _set_language(client, lang: str, page: str):
    resp = client.post_form("/bahasa", {"lang": lang, "next": page}, token_from=page)
    assert resp.status_code == 302


def test_the_footer_switches_the_whole_ui_to_english_and_back(client, login_as):
    page = client.get("/masuk").get_data(as_text=True)
    assert "Nama pengguna" in page and "Kata sandi" in page

    _set_language(client, "en", "/masuk")
    page = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="en">' in page
    for english in ("Username", "Password", "Log in",
                    "On-site population services for remote inland areas",
                    "Population and Civil Registration Office, Hulu Sungai Selatan Regency",
                    'data-network-error="Cannot reach the server.'):
        assert english in page
    for indonesian in ("Nama pengguna", "Kata sandi", "Masuk", "Dinas Kependudukan"):
        assert indonesian not in page

    user = login_as(Role.ADMIN)                        # the chosen language survives the login
    page = client.get("/").get_data(as_text=True)
    assert f"Welcome, {user.full_name}" in page
    for english in ("Users", "Audit log", "Change password", "Log out"):
        assert english in page
    for indonesian in ("Selamat datang", "Pengguna</a>", "Ganti kata sandi", "Keluar"):
        assert indonesian not in page

    page = client.get("/admin/pengguna").get_data(as_text=True)
    for english in ("Add user", 'placeholder="Search by name or username"', "<th>Username</th>", "<th>Name</th>",
                    "<th>Last login</th>", "All roles"):
        assert english in page
    for indonesian in ("Tambah pengguna", "Cari nama", "Nama pengguna", "Terakhir masuk", "Semua peran"):
        assert indonesian not in page

    resp = client.get("/tidak-ada-halaman-ini")
    assert resp.status_code == 404 and "Page not found" in resp.get_data(as_text=True)

    _set_language(client, "id", "/")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert f"Selamat datang, {user.full_name}" in page and "Keluar" in page
    assert "Welcome" not in page and "Log out" not in page


def test_indonesian_is_the_default_whatever_the_browser_prefers(client):
    resp = client.get("/masuk", headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = resp.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Nama pengguna" in page and "Kata sandi" in page
    assert "Username" not in page and "Password" not in page


def test_dates_and_durations_follow_the_language(app):
    from flask_babel import force_locale

    from webapp.core.timefmt import format_date, format_duration
    with app.test_request_context():
        assert format_date(date(2026, 12, 3), long=True) == "3 Desember 2026"
        assert format_duration(timedelta(hours=1, minutes=5)) == "1 jam 5 menit"
        with force_locale("en"):
            assert format_date(date(2026, 12, 3), long=True) == "3 December 2026"
            assert format_duration(timedelta(hours=1, minutes=5)) == "1 h 5 min"
            assert format_duration(timedelta(days=2, hours=3)) == "2 d 3 h"
