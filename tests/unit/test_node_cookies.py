"""A field node's cookies carry its node id, so the demo office and bus on one host (a browser keeps
one cookie jar per host, whatever the port) do not log each other out."""
from webapp.config import field_cookie_names, name_node_cookies


def test_a_field_node_names_its_cookies_after_itself_and_the_office_keeps_the_plain_names():
    assert field_cookie_names("field", "BUS-01") == {"SESSION_COOKIE_NAME": "kp_session_bus-01",
                                                     "REMEMBER_COOKIE_NAME": "kp_remember_bus-01"}
    assert field_cookie_names("office", "OFFICE") == {}
    config = {"ROLE": "field", "NODE_ID": "BUS-02", "SESSION_COOKIE_NAME": "kp_session"}
    name_node_cookies(config)
    assert config["SESSION_COOKIE_NAME"] == "kp_session_bus-02"


def test_a_cookie_name_set_explicitly_is_kept(monkeypatch):
    config = {"ROLE": "field", "NODE_ID": "BUS-01", "SESSION_COOKIE_NAME": "mine"}
    name_node_cookies(config, explicit={"SESSION_COOKIE_NAME": "mine"})
    assert config["SESSION_COOKIE_NAME"] == "mine" and config["REMEMBER_COOKIE_NAME"] == "kp_remember_bus-01"
    monkeypatch.setenv("REMEMBER_COOKIE_NAME", "from_env")
    config = {"ROLE": "field", "NODE_ID": "BUS-01", "REMEMBER_COOKIE_NAME": "from_env"}
    name_node_cookies(config)
    assert config["REMEMBER_COOKIE_NAME"] == "from_env"


def test_the_app_of_a_field_node_sets_its_session_cookie_under_its_own_name(tmp_path):
    from webapp import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ROLE": "field", "NODE_ID": "BUS-01",
                      "UPLOAD_FOLDER": str(tmp_path / "files"), "SERVER_NAME": None})
    assert app.config["SESSION_COOKIE_NAME"] == "kp_session_bus-01"
    client = app.test_client()
    client.get("/masuk")
    assert client.get_cookie("kp_session_bus-01") is not None and client.get_cookie("kp_session") is None
