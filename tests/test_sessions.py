"""Sessions that end when they should, and what a session's pages leave behind.

A copied session cookie is what an attacker holds after reading it off a shared computer, a proxy log or
a stolen laptop: logout, a new password and deactivation must make it worthless at once; an hour unused
or twelve hours after login it is worthless anyway.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db
from minitendr.notifications.models import OutboxEmail
from tests.factories import TEST_PASSWORD

COOKIE = "minitendr_session"
T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def at(**delta):
    return clock.frozen_at(T0 + dt.timedelta(**delta))


def log_in_by_form(client, email: str, password: str = TEST_PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def time_limits(app, monkeypatch):
    """The production limits (the suite's other tests move the clock by days and switch them off)."""
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", dt.timedelta(minutes=60))
    monkeypatch.setitem(app.config, "SESSION_MAX_AGE", dt.timedelta(hours=12))


# --- ending every copy -----------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_no_longer_works_after_it(app, client, personas):
    log_in_by_form(client, "ospod.pardubice@test.cz")
    thief = copy_of(app, client)
    assert logged_in(thief)
    client.post("/logout")
    assert not logged_in(thief)
    assert thief.get("/").headers["Location"].startswith("/login")


def test_logout_ends_the_sessions_of_the_account_on_other_devices_too(app, personas):
    office, laptop = app.test_client(), app.test_client()
    log_in_by_form(office, "ospod.pardubice@test.cz")
    log_in_by_form(laptop, "ospod.pardubice@test.cz")
    office.post("/logout")
    assert not logged_in(laptop)
    # Another account's session is its own.
    other = log_in_by_form(app.test_client(), "mpsv@test.cz")
    log_in_by_form(office, "ospod.pardubice@test.cz").post("/logout")
    assert logged_in(other)


def test_a_new_password_ends_every_other_session_and_keeps_the_changer_logged_in(app, client, personas):
    log_in_by_form(client, "kraj.pak@test.cz")
    elsewhere = log_in_by_form(app.test_client(), "kraj.pak@test.cz")
    thief = copy_of(app, client)
    response = client.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "Modrý vlak do Chebu 7",
            "confirm": "Modrý vlak do Chebu 7",
        },
    )
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(elsewhere) and not logged_in(thief)
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "kraj.pak@test.cz", "password": TEST_PASSWORD}).status_code == 200
    log_in_by_form(fresh, "kraj.pak@test.cz", "Modrý vlak do Chebu 7")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"current_password": "spatne"}, "Současné heslo není správné."),
        ({"new_password": "kratke", "confirm": "kratke"}, "Heslo musí mít alespoň 10 znaků."),
        ({"new_password": "heslo12345", "confirm": "heslo12345"}, "příliš běžné"),
        ({"confirm": "jine heslo nez nove"}, "Hesla se neshodují."),
        ({"new_password": TEST_PASSWORD, "confirm": TEST_PASSWORD}, "Nové heslo musí být jiné než současné."),
        ({"current_password": ""}, "Toto pole je povinné."),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_refused_new_password_says_why_in_czech_and_changes_nothing(login, personas, data, message):
    client = login(personas.kraj)
    form = {
        "current_password": TEST_PASSWORD,
        "new_password": "Modrý vlak do Chebu 7",
        "confirm": "Modrý vlak do Chebu 7",
    }
    response = client.post("/account/password", data=form | data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(personas.kraj)
    assert personas.kraj.check_password(TEST_PASSWORD) and personas.kraj.session_generation == 0
    assert logged_in(client)


def test_the_current_password_cannot_be_guessed_through_the_change_form(login, personas):
    client = login(personas.kraj)
    wrong = {"current_password": "hadam", "new_password": "Modrý vlak do Chebu 7", "confirm": "Modrý vlak do Chebu 7"}
    with at(minutes=0):
        assert [client.post("/account/password", data=wrong).status_code for _ in range(4)] == [200, 200, 200, 429]
        refused = client.post("/account/password", data=wrong | {"current_password": TEST_PASSWORD})
        assert refused.status_code == 429 and "Další pokus bude možný za 2 s" in refused.get_data(as_text=True)


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(app, login, personas):
    victim = log_in_by_form(app.test_client(), "mpsv@test.cz")
    admin = login(personas.admin)
    admin.post(f"/admin/users/{personas.ministry.id}/deactivate")
    assert not logged_in(victim)
    admin.post(f"/admin/users/{personas.ministry.id}/activate")
    assert not logged_in(victim)
    log_in_by_form(app.test_client(), "mpsv@test.cz")


def test_the_cookie_held_before_login_never_becomes_a_logged_in_one(app, client, personas):
    """Session fixation: a visitor's cookie planted or read before login is worth nothing after it."""
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = copy_of(app, client)
    log_in_by_form(client, "admin@test.cz")
    assert client.get_cookie(COOKIE).value != before.get_cookie(COOKIE).value
    assert not logged_in(before)
    with client.session_transaction() as session:
        assert "planted" not in session


# --- time limits -----------------------------------------------------------------------------------
def test_a_session_unused_for_an_hour_has_ended(client, personas, time_limits):
    with at(minutes=0):
        log_in_by_form(client, "ospod.pardubice@test.cz")
    with at(minutes=59):
        assert logged_in(client)
    with at(minutes=59 + 59):
        assert logged_in(client)  # used a minute before: the hour starts again
    with at(minutes=59 + 59 + 60):
        assert not logged_in(client)
    with at(minutes=59 + 59 + 61):
        assert not logged_in(client)  # and it stays ended


def test_a_session_ends_twelve_hours_after_login_however_busy(client, personas, time_limits):
    with at(minutes=0):
        log_in_by_form(client, "ospod.pardubice@test.cz")
    for minutes in range(30, 12 * 60, 30):
        with at(minutes=minutes):
            assert logged_in(client), minutes
    with at(hours=12):
        assert not logged_in(client)


def test_the_session_cookie_ends_with_the_browser(client, personas):
    """A permanent cookie made Flask-Login's "strong" protection merely mark a stolen session as not
    fresh; the cookie now carries no expiry and the server decides how long it lives."""
    response = client.post("/login", data={"email": "admin@test.cz", "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Expires" not in cookie and "Max-Age" not in cookie


def test_a_session_replayed_from_another_browser_is_dropped(app, client, personas):
    log_in_by_form(client, "admin@test.cz")
    thief = copy_of(app, client)
    thief.environ_base["HTTP_USER_AGENT"] = "Jiný prohlížeč/1.0"
    assert not logged_in(thief)
    assert logged_in(client)


def test_a_session_from_before_this_version_has_ended(app, client, personas):
    """Sessions issued before the generation existed carry none: their owners log in again."""
    log_in_by_form(client, "admin@test.cz")
    with client.session_transaction() as session:
        del session["_generation"]
    assert not logged_in(client)


# --- what pages leave behind -----------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/", "/providers/", "/reports/spend", "/reports/spend.csv", "/reports/spend.xlsx"])
def test_pages_and_downloads_of_a_logged_in_user_are_not_stored(login, personas, url):
    response = login(personas.ministry).get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_every_attachment_download_is_not_stored_even_without_a_session(separate_app):
    app = separate_app()

    @app.get("/_test/public-download")
    def public_download():
        return "a;b\n", {"Content-Disposition": "attachment; filename=x.csv", "Cache-Control": "public"}

    assert app.test_client().get("/_test/public-download").headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_may_be_cached(login, client, personas):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    static = login(personas.admin).get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


# --- e-mail links and proxies ----------------------------------------------------------------------
def change_password(client, **headers):
    new = "Modrý vlak do Chebu 7"
    data = {"current_password": TEST_PASSWORD, "new_password": new, "confirm": new}
    return client.post("/account/password", data=data, headers=headers)


def last_email() -> OutboxEmail:
    return db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()


FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


def test_links_in_emails_come_from_the_base_url_never_from_the_host_header(app, login, personas, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://minitendr.example.cz")
    client = login(personas.kraj)
    # The request is sent to another name (its Host), so the browser sends the cookie it has for that one.
    client.set_cookie(COOKIE, client.get_cookie(COOKIE).value, domain="evil.example")
    assert change_password(client, Host="evil.example", **FORGED).status_code == 302
    email = last_email()
    assert email.recipient == "kraj.pak@test.cz"
    assert "Podrobnosti: https://minitendr.example.cz/account/password" in email.body
    assert "evil" not in email.body


def test_a_base_url_with_a_path_prefixes_the_links(app, login, personas, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://kraj.example.cz/minitendr/")
    change_password(login(personas.kraj))
    assert "Podrobnosti: https://kraj.example.cz/minitendr/account/password" in last_email().body


def test_base_url_is_read_from_the_environment_and_the_former_name_still_works(database_url, monkeypatch):
    from minitendr import create_app
    from tests.conftest import config_for_tests

    monkeypatch.setenv("MINITENDR_PUBLIC_URL", "https://stare.example.cz")
    assert create_app(config_for_tests(database_url)).config["BASE_URL"] == "https://stare.example.cz"
    monkeypatch.setenv("MINITENDR_BASE_URL", "https://nove.example.cz")
    assert create_app(config_for_tests(database_url)).config["BASE_URL"] == "https://nove.example.cz"


@pytest.mark.parametrize("value", ["minitendr.example.cz", "ftp://x.cz", "https://x.cz/?a=1", "https://"])
def test_a_base_url_that_is_not_an_address_stops_the_start_with_a_czech_message(database_url, value):
    from minitendr import create_app
    from minitendr.config import ConfigurationError
    from tests.conftest import config_for_tests

    with pytest.raises(ConfigurationError, match="není úplná adresa"):
        create_app(config_for_tests(database_url) | {"BASE_URL": value})


def throttled_after_three_failures(client, forged_address: str) -> int:
    """Three failures claiming one address, then the right password claiming another: the status."""
    with at(minutes=0):
        for _ in range(3):
            client.post(
                "/login",
                data={"email": "admin@test.cz", "password": "spatne"},
                headers={"X-Forwarded-For": "198.51.100.1"},
            )
        response = client.post(
            "/login",
            data={"email": "admin@test.cz", "password": TEST_PASSWORD},
            headers={"X-Forwarded-For": forged_address},
        )
    return response.status_code


def test_x_forwarded_for_is_ignored_without_trusted_proxies(client, personas):
    """Otherwise every guess could claim a new address and never wait."""
    assert throttled_after_three_failures(client, "203.0.113.9") == 429


def test_x_forwarded_headers_are_believed_behind_a_trusted_proxy(separate_app, monkeypatch):
    app = separate_app(PROXY_FIX_HOPS=1, BASE_URL="https://minitendr.example.cz")
    client = app.test_client()
    assert throttled_after_three_failures(client, "203.0.113.9") == 302
    # The e-mail links stay on BASE_URL even when the proxy passes a forged host on. (The session is
    # bound to the address it logged in from, as the proxy reports it.)
    with app.app_context():
        assert change_password(client, **FORGED, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 302
        body = last_email().body
    assert "https://minitendr.example.cz/account/password" in body and "evil" not in body


# --- Redis down --------------------------------------------------------------------------------------
CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_without_redis_logins_limits_and_health_degrade_instead_of_failing(separate_app, caplog, monkeypatch):
    # Alembic's logging set-up (migrations/env.py), run by the suite's fixture, disables the loggers
    # that existed before it; a server process never runs it.
    monkeypatch.setattr(logging.getLogger("flask-limiter"), "disabled", False)
    app = separate_app(REDIS_URL=CLOSED_PORT, RATELIMIT_STORAGE_URI=CLOSED_PORT)
    from minitendr.extensions import limiter

    @app.post("/_test/limited")
    @limiter.limit("2 per minute")
    def limited():
        return "ok"

    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        assert client.post("/login", data={"email": "admin@test.cz", "password": "spatne"}).status_code == 200
        log_in_by_form(client, "admin@test.cz")
        statuses = [client.post("/_test/limited").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # still limited, in this host's memory
    assert "falling back to in-memory storage" in caplog.text
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json | {"dialect": None} == {
        "database": "ok",
        "redis": "unavailable",
        "status": "degraded",
        "dialect": None,
    }


def redis_url() -> str | None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        return None
    return url


def test_health_says_ok_when_redis_answers_or_is_not_used(app, client, monkeypatch):
    health = client.get("/healthz").json
    assert health["redis"] == "not configured" and health["status"] == "ok"
    url = redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    health = client.get("/healthz").json
    assert health["redis"] == "ok" and health["status"] == "ok"


def test_exports_run_in_a_thread_when_redis_does_not_answer(app, personas, monkeypatch, caplog):
    from minitendr.reports import jobs

    ran: list[str] = []
    monkeypatch.setattr(jobs, "run_in_thread", lambda _app, job_id: ran.append(job_id))
    monkeypatch.setattr(app.logger, "disabled", False)  # see the test above
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_PORT)
    job = jobs.start(personas.ministry, {}, 10)
    with caplog.at_level(logging.WARNING):
        jobs.dispatch(job.id)
    assert ran == [job.id]
    assert "Redis unreachable" in caplog.text


def test_the_open_data_package_names_itself_by_the_base_url_not_the_host_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://kraj.example.cz/minitendr/")
    response = client.get("/open-data/ocds.json", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.get_json()["uri"] == "https://kraj.example.cz/minitendr/open-data/ocds.json"
