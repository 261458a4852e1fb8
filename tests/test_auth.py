"""Logging in and out: credentials, inactive accounts, fresh sessions, cookies, CSRF, rate limits."""

from __future__ import annotations

import re

import pytest

from minitendr import create_app
from minitendr.db import db
from tests.conftest import config_for_tests
from tests.factories import TEST_PASSWORD


def post_login(client, email, password=TEST_PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def test_login_with_the_right_password_opens_the_home_page(client, personas):
    response = post_login(client, "ospod.pardubice@test.cz")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "OSPOD" in page and "Pardubice" in page
    db.session.refresh(personas.ospod)
    assert personas.ospod.last_login_at is not None


def test_email_is_matched_without_case_or_spaces(client, personas):
    assert post_login(client, "  OSPOD.Pardubice@Test.cz ").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ospod.pardubice@test.cz", "spatne-heslo"),
        ("nikdo@test.cz", TEST_PASSWORD),
        ("neaktivni@test.cz", TEST_PASSWORD),
    ],
    ids=["wrong password", "unknown address", "inactive account"],
)
def test_login_is_refused_with_one_czech_message(client, personas, email, password):
    response = post_login(client, email, password)
    assert response.status_code == 200
    assert "Nesprávný e-mail nebo heslo" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_empty_login_form_says_what_is_missing_in_czech(client, personas):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Toto pole je povinné" in page


def test_login_starts_a_fresh_session(client, personas):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    post_login(client, "admin@test.cz")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(personas.admin.id)


def test_session_cookie_is_httponly_and_samesite(client, personas):
    response = post_login(client, "admin@test.cz")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only when configured, see below


def test_session_cookie_is_secure_when_configured(database_url, monkeypatch):
    monkeypatch.setenv("MINITENDR_SECURE_COOKIES", "1")
    app = create_app(config_for_tests(database_url))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_logout_is_a_post_and_ends_the_session(login, personas):
    client = login(personas.admin)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_next_parameter_stays_on_this_site(client, personas):
    assert (
        post_login(client, "admin@test.cz", query_string={"next": "/providers/"}).headers["Location"] == "/providers/"
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_next_parameter_never_leaves_the_site(client, personas, target):
    response = post_login(client, "admin@test.cz", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_failed_logins_per_account_are_limited(client, personas):
    for _ in range(5):
        assert post_login(client, "admin@test.cz", "spatne").status_code == 200
    blocked = post_login(client, "admin@test.cz", TEST_PASSWORD)
    assert blocked.status_code == 429
    assert "Příliš mnoho pokusů" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked by someone guessing this one.
    assert post_login(client, "mpsv@test.cz").status_code == 302


def test_failed_logins_per_address_are_limited(app, client, personas):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    try:
        for n in range(3):
            assert post_login(client, f"hadani{n}@test.cz", "spatne").status_code == 200
        assert post_login(client, "admin@test.cz").status_code == 429
    finally:
        app.config["LOGIN_LIMIT_PER_ADDRESS"] = "30 per 15 minutes"


def test_successful_logins_do_not_count_towards_the_limit(client, personas):
    for _ in range(7):
        assert post_login(client, "admin@test.cz").status_code == 302
        client.post("/logout")


@pytest.fixture
def csrf_client(app):
    """A client of an application with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app.test_client()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_login_without_csrf_token_is_refused_in_czech(csrf_client, personas):
    response = post_login(csrf_client, "admin@test.cz")
    assert response.status_code == 400
    assert "bezpečnostní token" in response.get_data(as_text=True)


def test_login_with_csrf_token_works_and_logout_needs_one_too(csrf_client, personas):
    page = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_client.post(
        "/login", data={"email": "admin@test.cz", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert csrf_client.post("/logout").status_code == 400  # a forged logout from another site
    home = csrf_client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', home).group(1)
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_deactivated_user_is_logged_out_on_the_next_request(login, personas):
    client = login(personas.ministry)
    assert client.get("/").status_code == 200
    personas.ministry.active = False
    db.session.flush()
    assert client.get("/").status_code == 302


def redis_url() -> str | None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        return None
    return url


def test_login_limits_are_shared_between_hosts_through_redis(tmp_path):
    """Two app hosts behind a load balancer count failed logins together when Redis is configured."""
    url = redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(url).flushdb()
    # The hosts share a database of their own: the test's open transaction would block them.
    config = config_for_tests(f"sqlite:///{tmp_path}/hosts.db") | {"RATELIMIT_STORAGE_URI": url}
    hosts = [create_app(config) for _ in range(2)]
    with hosts[0].app_context():
        db.create_all()
    clients = [host.test_client() for host in hosts]
    for n in range(5):
        assert post_login(clients[n % 2], "nikdo-redis@test.cz", "spatne").status_code == 200
    assert post_login(clients[1], "nikdo-redis@test.cz", "spatne").status_code == 429
    redis.Redis.from_url(url).flushdb()
