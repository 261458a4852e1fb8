"""The base: settings, clock and working days, Czech formats, money and time types, the audit
trail, the health check, migrations, error pages and security headers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from minitendr import clock, create_app, formatting
from minitendr.audit.models import AppendOnlyError
from minitendr.audit.service import history, record
from minitendr.config import ConfigurationError
from minitendr.db import Money, UTCDateTime, db
from minitendr.providers.models import Provider
from minitendr.sealing import new_key
from tests.conftest import config_for_tests
from tests.factories import ProviderFactory


def test_secret_key_is_required_outside_tests_and_demo(monkeypatch, database_url):
    monkeypatch.delenv("MINITENDR_SECRET_KEY", raising=False)
    config = config_for_tests(database_url) | {"TESTING": False, "SECRET_KEY": None}
    with pytest.raises(ConfigurationError, match="MINITENDR_SECRET_KEY"):
        create_app(config)
    assert create_app(config | {"DEMO": True}).config["DEMO"]


def test_settings_come_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("MINITENDR_SECRET_KEY", "z-prostredi")
    bid_key = new_key()
    monkeypatch.setenv("MINITENDR_BID_KEY", bid_key)
    monkeypatch.setenv("MINITENDR_DATABASE_URL", "sqlite:////tmp/jinde.db")
    monkeypatch.setenv("MINITENDR_REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.config["SECRET_KEY"] == "z-prostredi"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/jinde.db"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert app.config["BID_KEY"] == bid_key


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.setenv("MINITENDR_SECRET_KEY", "x")
    monkeypatch.setenv("MINITENDR_BID_KEY", new_key())
    monkeypatch.delenv("MINITENDR_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/minitendr.db"


# --- clock and working days -------------------------------------------------------------------
def test_clock_is_aware_utc_and_can_be_stopped_by_tests():
    assert clock.now().tzinfo is dt.UTC
    moment = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        assert clock.now() == moment
    assert clock.now() != moment


def test_today_is_the_prague_date():
    with clock.frozen_at(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)):  # 00:30 on 1 July in Prague
        assert clock.today() == dt.date(2026, 7, 1)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 11, 23), 1, dt.date(2026, 11, 24)),  # Monday → Tuesday
        (dt.date(2026, 11, 20), 1, dt.date(2026, 11, 23)),  # Friday → Monday
        (dt.date(2026, 12, 23), 3, dt.date(2026, 12, 30)),  # 24.–26. 12. are holidays, 27. is a Sunday
        (dt.date(2026, 4, 2), 1, dt.date(2026, 4, 7)),  # Velký pátek 3. 4. and Velikonoční pondělí 6. 4.
        (dt.date(2026, 10, 27), 1, dt.date(2026, 10, 29)),  # 28. října
        (dt.date(2026, 11, 23), 0, dt.date(2026, 11, 23)),
    ],
)
def test_working_days_skip_weekends_and_czech_holidays(start, days, expected):
    assert clock.add_working_days(start, days) == expected


def test_noon_in_prague_follows_summer_time():
    assert clock.prague_noon(dt.date(2026, 1, 15)) == dt.datetime(2026, 1, 15, 11, tzinfo=dt.UTC)
    assert clock.prague_noon(dt.date(2026, 7, 15)) == dt.datetime(2026, 7, 15, 10, tzinfo=dt.UTC)


# --- Czech formats ----------------------------------------------------------------------------
def test_money_is_formatted_the_czech_way():
    assert formatting.money(Decimal("1234567")) == "1\xa0234\xa0567,00\xa0Kč"
    assert formatting.money(Decimal("0.5")) == "0,50\xa0Kč"
    assert formatting.money(None) == "–"


def test_dates_are_czech_and_in_prague_time():
    assert formatting.date(dt.date(2026, 1, 5)) == "5. 1. 2026"
    assert formatting.datetime(dt.datetime(2026, 7, 15, 10, 0, tzinfo=dt.UTC)) == "15. 7. 2026 12:00"
    assert formatting.number(Decimal("12345.678"), 2) == "12\xa0345,68"


# --- column types -----------------------------------------------------------------------------
def test_money_refuses_float_and_keeps_exact_haler(app):
    column = Money()
    dialect = db.engine.dialect
    with pytest.raises(TypeError):
        column.process_bind_param(0.1, dialect)
    assert column.process_bind_param(Decimal("0.005"), dialect) == Decimal("0.01")
    assert column.process_result_value(0.1 + 0.2, dialect) == Decimal("0.30")


def test_timestamps_refuse_naive_values_and_come_back_aware(personas):
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(dt.datetime(2026, 1, 1), db.engine.dialect)
    moment = dt.datetime(2026, 7, 1, 14, 0, tzinfo=clock.PRAGUE)
    personas.admin.last_login_at = moment
    db.session.flush()
    db.session.expire_all()
    assert personas.admin.last_login_at == moment and personas.admin.last_login_at.tzinfo is not None


# --- audit trail ------------------------------------------------------------------------------
def test_audit_events_are_append_only(personas):
    event = record("user.tested", personas.ministry, {"amount": Decimal("10.50"), "when": dt.date(2026, 1, 2)})
    db.session.flush()
    assert event.data == {"amount": "10.50", "when": "2026-01-02"}
    assert event.actor_label == "systém" and event.actor_id is None
    assert history(personas.ministry).items == [event]
    with pytest.raises(AppendOnlyError), db.session.begin_nested():
        event.action = "user.rewritten"
    with pytest.raises(AppendOnlyError), db.session.begin_nested():
        db.session.delete(event)
    assert history(personas.ministry).items[0].action == "user.tested"


# --- health check -----------------------------------------------------------------------------
def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_health_check_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/neexistuje/x.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


# --- migrations -------------------------------------------------------------------------------
def test_migrations_give_exactly_the_models_schema(_transaction):
    """The test database was built by ``db upgrade``; it must match the models to the column."""
    context = MigrationContext.configure(_transaction, opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []


# --- error pages and headers ------------------------------------------------------------------
def test_unexpected_errors_get_a_czech_500_page(database_url):
    app = create_app(config_for_tests(database_url))

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Chyba serveru" in response.get_data(as_text=True) and "kaboom" not in response.get_data(as_text=True)


def test_api_clients_get_json_errors(client):
    response = client.get("/neexistuje", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["status"] == 404


def test_security_headers(client):
    headers = client.get("/login").headers
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'self': no inline script
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # only behind HTTPS (MINITENDR_SECURE_COOKIES)


def test_what_a_logged_in_person_sees_is_never_cached(login, personas):
    """A shared or proxy cache must not hand one official's page to the next person; style sheets may be."""
    client = login(personas.ospod)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_pages_load_bootstrap_from_this_server(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in page and "cdn" not in page.lower()
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_every_audited_action_reads_in_czech():
    """A new ``record("…")`` call without a Czech label would show a code on the history tables."""
    import re
    from pathlib import Path

    from minitendr.audit.labels import ACTIONS

    package = Path(__file__).resolve().parent.parent / "minitendr"
    source = "\n".join(p.read_text("utf-8") for p in package.rglob("*.py"))
    recorded = set(re.findall(r'record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert recorded and recorded <= set(ACTIONS), recorded - set(ACTIONS)


def test_templates_need_no_inline_script_or_style():
    """The Content-Security-Policy allows neither; a template that used them would break in browsers."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", path.read_text("utf-8"))
    ]
    assert offenders == []


def test_audit_values_read_as_people_read_them():
    from minitendr.audit.labels import value_text

    # Money as money, never "5000000.00" (issue 18: history shows formatted values, old → new).
    assert value_text(["5000000.00", "6000000.00"], "ceiling") == "5\xa0000\xa0000,00\xa0Kč → 6\xa0000\xa0000,00\xa0Kč"
    assert value_text(["26742101", "26987457"], "invited") == "26742101, 26987457"
    assert value_text("2026-12-08T11:00:00+00:00", "deadline") == "8. 12. 2026 12:00"
    assert value_text(None) == "–" and value_text(3) == "3"


def test_an_audit_event_keeps_the_time_it_was_recorded_not_flushed(personas):
    moment = dt.datetime(2013, 7, 10, 9, 0, tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        event = record("user.tested", personas.ministry)
    db.session.flush()  # later, outside the frozen block
    assert event.occurred_at == moment


def test_text_with_nul_characters_is_a_400_not_a_database_error(login, personas):
    """PostgreSQL refuses NUL in text; such input is turned away at the door on every database."""
    client = login(personas.admin)
    response = client.post("/providers/new", data={"ico": "00216208", "name": "Poradna\x00", "active": "y"})
    assert response.status_code == 400
    assert "nepovolený znak (NUL)" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Provider).where(Provider.ico == "00216208")) is None
    assert client.get("/reports/spend?kraj=CZ\x00").status_code == 400
    # … and in a path: an export job's id is text (Hypothesis found this one on PostgreSQL).
    assert client.get("/reports/jobs/a%00b/download").status_code == 400
    assert client.get("/reports/jobs/a%00b").status_code == 400
    # … and in a JSON body, which Flask-WTF reads as the form (Hypothesis found it on PostgreSQL: a 500),
    # at any depth and in a key.
    provider = ProviderFactory()
    for body in ({"name": "\x00"}, {"a": [{"b": ["\x00"]}]}, {"\x00": 1}):
        response = client.post(f"/providers/{provider.id}/edit", json=body)
        assert response.status_code == 400 and "nepovolený znak (NUL)" in response.get_data(as_text=True)
