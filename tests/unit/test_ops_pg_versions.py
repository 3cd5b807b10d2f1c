"""Which pg_dump / pg_restore may serve which PostgreSQL server and archive: the rule behind the
clear refusal of `flask ops backup|restore` (webapp.ops.services.version_problem)."""
import pytest

from webapp.ops.services import version_problem


@pytest.mark.parametrize("tool, server, archive", [
    ("15.20", "15.20 (Debian 15.20-0+deb12u1)", None),   # same major
    ("16.4", "15.8", None),                              # a newer client reads an older server
    ("16.4", "15.8", "15.8"),                            # and an older archive
    ("9.6.24", "9.6.3", None),                           # old numbering: the first number is what we compare
])
def test_a_client_at_least_as_new_as_server_and_archive_is_accepted(tool, server, archive):
    assert version_problem("pg_restore", tool, server, archive) is None


def test_an_older_pg_dump_than_the_server_is_refused_with_the_package_to_install():
    problem = version_problem("pg_dump", "13.16", "15.8")
    assert problem == ("pg_dump 13.16 lebih lama dari server PostgreSQL 15.8: pasang postgresql-client-15 "
                       "dan atur PG_BIN_DIR=/usr/lib/postgresql/15/bin.")


def test_an_archive_from_a_newer_pg_dump_is_refused():
    problem = version_problem("pg_restore", "15.8", "15.8", "16.2")
    assert problem.startswith("Cadangan dibuat dengan pg_dump 16.2; pg_restore 15.8 tidak dapat membacanya")
    assert "postgresql-client-16" in problem


def test_an_unreadable_version_is_said_so():
    assert "tidak terbaca" in version_problem("pg_dump", "", "15.8")
