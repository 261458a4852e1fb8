"""minitendr: minitenders for Czech child-protection authorities (OSPOD)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from minitendr import config as settings
from minitendr.config import PROJECT_ROOT

# Served to everybody alike (style sheets, scripts): they may be cached.
STATIC_ENDPOINTS = {"static", "bootstrap.static"}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages, CLI."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        instance_relative_config=True,
    )
    register_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_templating(app)
    register_security_headers(app)
    return app


def register_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config["MIGRATIONS_DIR"] = str(PROJECT_ROOT / "migrations")
    app.config["SEED_DIR"] = str(PROJECT_ROOT / "seed")
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["TESTING"] and "RATELIMIT_STORAGE_URI" not in (overrides or {}):
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    settings.check(app.config)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = settings.REDIS_TIMEOUTS | app.config["RATELIMIT_STORAGE_OPTIONS"]
    if app.config["SMTP_HOST"] and not app.config["BASE_URL"]:
        app.logger.warning("MINITENDR_BASE_URL is not set: links in e-mails will be paths without the server")
    # X-Forwarded-* come from whoever sends the request unless a proxy of ours overwrites them: they are
    # believed only for as many proxies as MINITENDR_PROXY_HOPS says stand in front (none by default).
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    import minitendr.models  # noqa: F401  (all tables on the metadata)
    from minitendr.db import install_sqlite_hooks
    from minitendr.extensions import bootstrap, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Pro pokračování se přihlaste."
    login_manager.login_message_category = "info"
    # Effective because sessions are not permanent (see minitendr.auth.sessions): a session replayed
    # from another address or browser is dropped, not merely marked as not fresh.
    login_manager.session_protection = "strong"

    from minitendr.auth.sessions import load_user

    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    from minitendr.accessibility.views import bp as accessibility_bp
    from minitendr.audit.views import bp as audit_bp  # the audit log
    from minitendr.auth.views import bp as auth_bp
    from minitendr.auth.views import colleagues_bp, users_bp
    from minitendr.bids.views import bp as bids_bp
    from minitendr.bulk_import.views import bp as bulk_import_bp
    from minitendr.committee.views import bp as committee_bp
    from minitendr.contracts.views import bp as contracts_bp
    from minitendr.demands.views import bp as demands_bp
    from minitendr.documents.views import bp as documents_bp
    from minitendr.frameworks.views import bp as frameworks_bp
    from minitendr.home.views import bp as home_bp
    from minitendr.isrs.views import bp as isrs_bp
    from minitendr.network.catalogue_views import bp as catalogue_bp
    from minitendr.network.hsds import bp as hsds_bp
    from minitendr.network.model_views import bp as network_model_bp  # service network: the kraj's model
    from minitendr.network.views import bp as network_bp  # service network: the map and the ORP pages
    from minitendr.notices.views import bp as notices_bp  # kraj notices
    from minitendr.notifications.service import register_delivery
    from minitendr.notifications.views import bp as notifications_bp
    from minitendr.notifications.views import outbox_bp
    from minitendr.outcomes.views import bp as outcomes_bp
    from minitendr.providers.views import bp as providers_bp
    from minitendr.registry.views import bp as registry_bp
    from minitendr.reminders.views import bp as reminders_bp  # reminders: preferences, daily schedule
    from minitendr.reports.views import bp as reports_bp

    blueprints = (
        home_bp,
        auth_bp,
        users_bp,
        colleagues_bp,
        bulk_import_bp,
        providers_bp,
        registry_bp,
        frameworks_bp,
        demands_bp,
        notifications_bp,
        outbox_bp,
        bids_bp,
        committee_bp,
        contracts_bp,
        isrs_bp,
        reports_bp,
        network_model_bp,
        documents_bp,
        catalogue_bp,
        hsds_bp,
        network_bp,
        outcomes_bp,
        accessibility_bp,
        notices_bp,
        reminders_bp,
        audit_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_delivery(app)

    from minitendr.api import register as register_api  # the JSON API /api/v1 and the account's tokens

    register_api(app)

    from minitendr.cli import register_commands

    register_commands(app)


def register_errors(app: Flask) -> None:
    from minitendr.home.errors import register

    register(app)


def register_templating(app: Flask) -> None:
    from minitendr.audit.labels import action_label, details, field_label, object_label, value_text
    from minitendr.auth.models import Role
    from minitendr.formatting import FILTERS
    from minitendr.navigation import menu, navigation
    from minitendr.permissions import may

    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(may=may, Role=Role)
    app.jinja_env.filters.update(audit_action=action_label, audit_field=field_label, audit_value=value_text)
    app.jinja_env.filters.update(audit_details=details, audit_object=object_label)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_navigation() -> dict[str, Any]:
        return {"navigation": navigation, "nav_menu": menu, "unread_notifications": _unread}


def _unread() -> int:
    from flask_login import current_user

    from minitendr.notifications.service import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def _strings(document: Any) -> list[str]:
    """Every string in a JSON document, keys included (a walk without recursion: any depth)."""
    found: list[str] = []
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(key for key in value if isinstance(key, str))
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


def register_security_headers(app: Flask) -> None:
    """Headers that tell the browser to trust nothing but us (no inline script, no framing)."""
    csp = (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    @app.before_request
    def refuse_nul_characters():
        """No text a person types contains NUL, nor a path (an export job's id); PostgreSQL refuses it in
        text columns and comparisons, so it is a 400 at the door rather than an error deep in a query."""
        path_values = [value for value in (request.view_args or {}).values() if isinstance(value, str)]
        values = [*request.args.values(), *request.form.values(), *path_values]
        if request.is_json and not request.path.startswith("/api/"):
            # Flask-WTF reads a JSON body as the form (the API validates its bodies by its schemas).
            values.extend(_strings(request.get_json(silent=True)))
        if any("\x00" in value for value in values):
            from minitendr.home.errors import ForbiddenCharacter

            raise ForbiddenCharacter()

    @app.after_request
    def add_headers(response):
        # What one person saw must not be served to the next one from a shared or proxy cache, nor be
        # shown again from the browser's history after logout.
        # The API says its own (private, revalidated by ETag: minitendr.api.core.finish).
        if (
            request.endpoint not in STATIC_ENDPOINTS
            and not request.path.startswith("/api/")
            and (current_user.is_authenticated or "attachment" in response.headers.get("Content-Disposition", ""))
        ):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
