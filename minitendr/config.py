"""Settings, read from the environment once, when the application is created.

Everything that differs between a laptop, CI and production comes from a ``MINITENDR_*`` variable;
``create_app(config)`` may override any key (tests and the demo do).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """A setting the application cannot run without is missing or wrong."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """The settings as the environment gives them, with defaults for an embedded SQLite set-up."""
    default_db = "sqlite:///" + str(Path(instance_path) / "minitendr.db")
    redis_url = os.environ.get("MINITENDR_REDIS_URL")
    secure_cookies = _flag("MINITENDR_SECURE_COOKIES")
    return {
        "SECRET_KEY": os.environ.get("MINITENDR_SECRET_KEY"),
        # Seals bid envelopes (AES-GCM); kept outside the database: a base64 key or a file holding one.
        "BID_KEY": os.environ.get("MINITENDR_BID_KEY"),
        "BID_KEY_FILE": os.environ.get("MINITENDR_BID_KEY_FILE"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("MINITENDR_DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # Rate-limit counters live in Redis when there is one, so several app hosts share them.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("MINITENDR_LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        # Submitting and replacing bids: enough for honest corrections on deadline day, not for a flood.
        "BID_LIMIT": os.environ.get("MINITENDR_BID_LIMIT", "30 per minute"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("MINITENDR_LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "SESSION_COOKIE_NAME": "minitendr_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("MINITENDR_SESSION_SECONDS", 8 * 3600)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_I18N_ENABLED": False,  # WTForms' own Czech messages, see forms.CzechForm
        "BOOTSTRAP_SERVE_LOCAL": True,  # no CDN: the application works offline
        "PROXY_FIX_HOPS": int(os.environ.get("MINITENDR_PROXY_HOPS", 0)),
        "DEMO": False,
        "TESTING": False,
        "PASSWORD_MIN_LENGTH": 10,
        # E-mail: sent by SMTP when a host is set, otherwise kept in the outbox (admin can read it).
        "SMTP_HOST": os.environ.get("MINITENDR_SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("MINITENDR_SMTP_PORT", 587)),
        "SMTP_USER": os.environ.get("MINITENDR_SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("MINITENDR_SMTP_PASSWORD"),
        "SMTP_FROM": os.environ.get("MINITENDR_SMTP_FROM", "minitendr@localhost"),
        "SMTP_STARTTLS": _flag("MINITENDR_SMTP_STARTTLS", True),
        "PUBLIC_URL": os.environ.get("MINITENDR_PUBLIC_URL", ""),
        # Exports: up to this many detail rows are answered at once; larger ones run in the background.
        "EXPORT_SYNC_LIMIT": int(os.environ.get("MINITENDR_EXPORT_SYNC_LIMIT", 5000)),
        "EXPORT_RUNNER": "rq" if redis_url else "thread",
        "EXPORTS_DIR": os.environ.get("MINITENDR_EXPORTS_DIR", str(Path(instance_path) / "exports")),
        # Bid attachments: PDF only, kept outside the web root (instance/attachments) under their hash.
        "ATTACHMENTS_DIR": os.environ.get("MINITENDR_ATTACHMENTS_DIR", str(Path(instance_path) / "attachments")),
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MINITENDR_MAX_ATTACHMENT_MB", 5)) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": (3 * int(os.environ.get("MINITENDR_MAX_ATTACHMENT_MB", 5)) + 1) * 1024 * 1024,
    }


def check(config: dict) -> None:
    """Refuse to start without what production needs; tests and the demo may go without a secret key,
    but nobody goes without a bid key (a wrong one would leave every sealed bid unreadable)."""
    from minitendr.sealing import check_key

    check_key(config)
    if not config.get("SECRET_KEY"):
        if config.get("TESTING") or config.get("DEMO"):
            return
        raise ConfigurationError(
            "MINITENDR_SECRET_KEY není nastaven. Nastavte dlouhý náhodný klíč, např.\n"
            "  export MINITENDR_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
