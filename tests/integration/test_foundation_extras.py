import json
import socket
import uuid

import pytest



def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def test_nik_check_command_through_the_app(app):
    result = app.test_cli_runner().invoke(args=["nik", "check", "6306104509870001", "6306103202870000", "--json"])
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert lines[0]["valid"] is True and lines[0]["sex"] == "P" and lines[0]["birth_date"] == "1987-09-05"
    assert lines[0]["kecamatan"]["name"] == "Loksado"
    assert lines[1]["valid"] is False and any(e["code"] == "nik.serial_zero" for e in lines[1]["errors"])
    assert result.exit_code == 1


@pytest.mark.skipif(not _redis_up(), reason="Redis not running on 127.0.0.1:6379")
def test_login_rate_limit_counters_live_in_redis_when_configured(database_template, tmp_path, make_user):
    """With REDIS_URL the per-address limit is shared by all workers: two app instances (two
    gunicorn workers) count together."""
    from webapp import create_app
    from tests.conftest import Client
    import shutil
    kind, source = database_template
    if kind == "sqlite":
        shutil.copyfile(source, tmp_path / "redis.sqlite")
        source = tmp_path / "redis.sqlite"
    prefix = f"kp-test-{uuid.uuid4().hex[:8]}"
    apps = []
    for _ in range(2):
        url = f"sqlite:///{source}" if kind == "sqlite" else source
        a = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                        "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": "3 per minute"})
        a.test_client_class = Client
        apps.append(a)
    statuses = []
    for i in range(4):
        client = apps[i % 2].test_client()
        with apps[i % 2].app_context():
            resp = client.post_form("/masuk", {"username": "siapa", "password": "salah-sekali-1"})
        statuses.append(resp.status_code)
    assert statuses == [200, 200, 200, 429]


def test_counter_first_use_race_is_harmless(app):
    from webapp.core import counters
    from webapp.extensions import db
    assert counters.next_value("trip", node="BUS-02") == 1
    db.session.commit()
    assert counters.next_value("trip", node="BUS-02") == 2
