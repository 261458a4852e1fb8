"""Logging in and out: credentials, inactive accounts, fresh sessions, cookies, CSRF, rate limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from minitendr import clock, create_app
from minitendr.auth.models import LoginFailures
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


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/\\evil.example/",
        "/\\/evil.example/",
        "/\t/evil.example/",
        "/\r\nSet-Cookie: minitendr_session=planted",
        "/providers/\n",
        "\r\n/",
        "/\u202e/reversed",
        "evil.example",
    ],
    ids=repr,
)
def test_next_parameter_never_leaves_the_site_nor_breaks_the_login(client, personas, target):
    """Line breaks answered 500 (Werkzeug refuses them in a header); backslashes and tabs led off the
    site in browsers, which read ``/\\host`` as ``//host``."""
    response = post_login(client, "admin@test.cz", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- throttling failed logins ----------------------------------------------------------------------
T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def at(seconds: float):
    return clock.frozen_at(T0 + dt.timedelta(seconds=seconds))


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_a_persons_typos_make_them_wait_longer_and_longer(client, personas):
    with at(0):
        for _ in range(3):  # free
            assert post_login(client, "admin@test.cz", "spatne").status_code == 200
        refused = post_login(client, "admin@test.cz")  # even the right password waits now
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        assert "Další pokus bude možný za 2 s" in refused.get_data(as_text=True)
    with at(2):
        assert post_login(client, "admin@test.cz", "spatne").status_code == 200
    with at(5):
        assert post_login(client, "admin@test.cz").headers["Retry-After"] == "1"
    with at(6):
        assert post_login(client, "admin@test.cz", "spatne").status_code == 200
    # The fifth failure in a quarter of an hour puts the account under attack: one free try, so 2⁵ s.
    with at(37):
        assert post_login(client, "admin@test.cz").status_code == 429
    with at(38):
        assert post_login(client, "admin@test.cz").status_code == 302


def test_waits_grow_to_a_quarter_of_an_hour_and_no_further():
    from minitendr.auth.throttle import wait_after

    waits = [wait_after(n, 3).total_seconds() for n in range(1, 16)]
    assert waits == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]


def test_a_success_clears_the_waits_of_that_address(client, personas):
    with at(0):
        for _ in range(2):
            post_login(client, "admin@test.cz", "spatne")
        assert post_login(client, "admin@test.cz").status_code == 302
        client.post("/logout")
        for _ in range(2):
            assert post_login(client, "admin@test.cz", "spatne").status_code == 200
        assert post_login(client, "admin@test.cz").status_code == 302


def test_failures_from_elsewhere_never_stop_the_right_password_from_a_new_address(client, personas):
    """Five failures from five addresses used to lock the account: the owner then got 429."""
    with at(0):
        for n in range(20):
            assert post_login(client, "admin@test.cz", "spatne", **from_address(f"198.51.100.{n}")).status_code == 200
        assert post_login(client, "admin@test.cz", **from_address("203.0.113.7")).status_code == 302


def test_an_account_under_attack_makes_every_failing_address_wait_after_one_failure(client, personas):
    with at(0):
        for n in range(5):
            post_login(client, "admin@test.cz", "spatne", **from_address(f"198.51.100.{n}"))
        assert post_login(client, "admin@test.cz", "spatne", **from_address("198.51.100.0")).status_code == 429
        # The same account from an address with fewer than five failures, had it not been attacked:
        assert post_login(client, "mpsv@test.cz", "spatne", **from_address("198.51.100.0")).status_code == 200
        assert post_login(client, "mpsv@test.cz", **from_address("198.51.100.0")).status_code == 302


def test_one_persons_typos_never_lock_colleagues_out(client, personas):
    """Thirty failures from one address used to lock out everybody behind it (one office, one NAT)."""
    moment = 0.0
    for _ in range(40):  # one stubborn person, trying whenever allowed
        with at(moment):
            response = post_login(client, "kraj.pak@test.cz", "spatne")
            if response.status_code == 429:
                moment += int(response.headers["Retry-After"])
    with at(moment):
        assert post_login(client, "mpsv@test.cz").status_code == 302
        client.post("/logout")
        for n in range(40):  # forty colleagues with one typo each
            assert post_login(client, f"kolega{n}@test.cz", "spatne").status_code == 200
        assert post_login(client, "ospod.pardubice@test.cz").status_code == 302


def test_an_unknown_address_is_throttled_like_a_known_one(client, personas):
    """Otherwise the throttle would tell which accounts exist."""
    with at(0):
        for email in ("admin@test.cz", "nikdo@test.cz"):
            for _ in range(3):
                post_login(client, email, "spatne")
            assert post_login(client, email, "spatne").status_code == 429


def test_failed_logins_per_address_have_a_ceiling(app, client, personas, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    for n in range(3):
        assert post_login(client, f"hadani{n}@test.cz", "spatne").status_code == 200
    assert post_login(client, "admin@test.cz").status_code == 429


def test_turned_away_attempts_do_not_fill_the_ceiling_of_the_address(app, client, personas, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "5 per 15 minutes")
    with at(0):
        for _ in range(3):
            post_login(client, "admin@test.cz", "spatne")
        for _ in range(10):
            assert post_login(client, "admin@test.cz", "spatne").status_code == 429
        assert post_login(client, "mpsv@test.cz").status_code == 302


def test_failed_logins_keep_no_address_and_no_typed_text(client, personas):
    post_login(client, "heslo-omylem-do-emailu", "spatne")
    rows = db.session.scalars(sa.select(LoginFailures)).all()
    assert len(rows) == 3  # the address at the account, the account, the address
    assert all(len(row.key) == 64 and "heslo" not in row.key for row in rows)


def test_old_failures_are_forgotten(client, personas):
    with at(0):
        for _ in range(4):
            post_login(client, "admin@test.cz", "spatne")
    with at(2 * 3600):
        post_login(client, "mpsv@test.cz", "spatne")  # any failure sweeps what nobody needs any more
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailures)) == 3


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


def test_login_limits_are_shared_between_hosts(separate_app):
    """Two app hosts behind a load balancer count failures together: in the database they share."""
    first = separate_app(LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes")
    second = separate_app(database_of=first, LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes")
    clients = [first.test_client(), second.test_client()]
    with at(0):
        for n in range(3):
            assert post_login(clients[n % 2], "admin@test.cz", "spatne").status_code == 200
        assert post_login(clients[1], "admin@test.cz").status_code == 429
        for n in range(2):
            assert post_login(clients[n % 2], f"jiny{n}@test.cz", "spatne").status_code == 200
        assert post_login(clients[0], "dalsi@test.cz", "spatne").status_code == 429


def test_an_ipv6_guesser_gains_nothing_by_changing_the_last_64_bits(client, personas):
    """One /64 is one household or machine: its addresses share their waits."""
    with at(0):
        for n in range(3):
            address = f"2001:db8:1:2::{n + 1:x}"
            assert post_login(client, "admin@test.cz", "spatne", **from_address(address)).status_code == 200
        refused = post_login(client, "admin@test.cz", **from_address("2001:db8:1:2:ffff::9"))
        assert refused.status_code == 429
        assert post_login(client, "admin@test.cz", **from_address("2001:db8:1:3::1")).status_code == 302
