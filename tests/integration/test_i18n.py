"""The English catalogue is complete, and the footer's language switch really changes the UI.

Bahasa Indonesia is the source language and the default (whatever the browser asks for);
English lives in webapp/translations/en. The compiled .mo is build output (git-ignored) made by
scripts/setup: this module runs the very compile command written in scripts/setup (not a
compile of its own), so a broken command there — wrong flags, a hidden failure — fails here.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
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


SETUP = ROOT / "scripts/setup"
CATALOGS = "webapp/translations"


def _setup_compile_line() -> str:
    """The one line of scripts/setup that compiles the catalogs."""
    lines = [line.strip() for line in SETUP.read_text().splitlines()
             if "pybabel" in line and "compile" in line and not line.strip().startswith("#")]
    assert len(lines) == 1, f"scripts/setup should compile the catalogs in one pybabel line: {lines}"
    return lines[0]


def _run_setup_compile(catalogs: Path) -> subprocess.CompletedProcess:
    """Run scripts/setup's compile command as written, on a copy of the catalogs in `catalogs`."""
    args = shlex.split(_setup_compile_line())
    assert CATALOGS in args, args
    args = [str(catalogs) if a == CATALOGS else a for a in args]
    if args[0] == ".venv/bin/pybabel" and not (ROOT / args[0]).exists():   # a venv elsewhere
        args[0] = str(Path(sys.executable).with_name("pybabel"))
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog(tmp_path_factory):
    """messages.mo as scripts/setup makes it: its compile command, run on a copy of the
    catalogs, must succeed; the result then replaces the tree's .mo atomically (parallel
    workers never read a half-written file)."""
    work = tmp_path_factory.mktemp("catalogs")
    shutil.copytree(ROOT / CATALOGS, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.mo"))
    done = _run_setup_compile(work)
    assert done.returncode == 0, f"scripts/setup's catalog compile fails: {done.stderr or done.stdout}"
    built = work / "en/LC_MESSAGES/messages.mo"
    assert built.exists(), "scripts/setup's compile command made no English catalog"
    partial = MO.with_name(f".messages.{os.getpid()}.mo")
    shutil.copyfile(built, partial)
    os.replace(partial, MO)


def test_setup_compiles_the_catalogs_and_a_failure_stops_it():
    line = _setup_compile_line()
    assert "|| true" not in line and "2>/dev/null" not in line, line
    script = (ROOT / "scripts/i18n").read_text()
    assert "|| true" not in script


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
