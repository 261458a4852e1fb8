"""Settings, read from the environment once, when the application is created.

Everything that differs between a laptop, CI and production comes from a ``MINITENDR_*`` variable;
``create_app(config)`` may override any key (tests and the demo do).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A Redis that does not answer is given up on within a second, so a request waits no longer for it.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


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
        # Rate-limit counters live in Redis when there is one, so several app hosts share them. When
        # Redis stops answering, each host counts in its own memory (with a warning in the log) rather
        # than refusing every limited request; it goes back to Redis when Redis is back.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # After this many failed logins in the window the account counts as under attack: each address
        # that has failed at it waits after one failure (see minitendr.auth.throttle).
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("MINITENDR_LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        # Submitting and replacing bids: enough for honest corrections on deadline day, not for a flood.
        "BID_LIMIT": os.environ.get("MINITENDR_BID_LIMIT", "30 per minute"),
        # Failed logins from one address at any accounts: a whole office behind one NAT address shares it.
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("MINITENDR_LOGIN_LIMIT_PER_ADDRESS", "300 per 15 minutes"),
        "SESSION_COOKIE_NAME": "minitendr_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Sessions end after an hour unused and twelve hours after login, whatever happens in between
        # (minitendr.auth.sessions); None switches a limit off (tests that move the clock by days).
        "SESSION_IDLE_TIMEOUT": dt.timedelta(minutes=int(os.environ.get("MINITENDR_SESSION_IDLE_MINUTES", 60))),
        "SESSION_MAX_AGE": dt.timedelta(hours=int(os.environ.get("MINITENDR_SESSION_MAX_HOURS", 12))),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_I18N_ENABLED": False,  # WTForms' own Czech messages, see forms.CzechForm
        "BOOTSTRAP_SERVE_LOCAL": True,  # no CDN: the application works offline
        # Who runs the application and answers for its accessibility (the accessibility statement).
        "ACCESSIBILITY_OPERATOR": os.environ.get("MINITENDR_ACCESSIBILITY_OPERATOR", "Provozovatel aplikace minitendr"),
        "ACCESSIBILITY_CONTACT": os.environ.get("MINITENDR_ACCESSIBILITY_CONTACT")
        or os.environ.get("MINITENDR_SMTP_FROM", "minitendr@localhost"),
        "PROXY_FIX_HOPS": int(os.environ.get("MINITENDR_PROXY_HOPS", 0)),
        "DEMO": False,
        "CLI": False,  # the `minitendr` command, not a server: see sealing.check_key
        "TESTING": False,
        "PASSWORD_MIN_LENGTH": 10,
        # E-mail: sent by SMTP when a host is set, otherwise kept in the outbox (admin can read it).
        "SMTP_HOST": os.environ.get("MINITENDR_SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("MINITENDR_SMTP_PORT", 587)),
        "SMTP_USER": os.environ.get("MINITENDR_SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("MINITENDR_SMTP_PASSWORD"),
        "SMTP_FROM": os.environ.get("MINITENDR_SMTP_FROM", "minitendr@localhost"),
        "SMTP_STARTTLS": _flag("MINITENDR_SMTP_STARTTLS", True),
        # Where people reach the application: absolute links in e-mails are built on it, never on the
        # Host of whichever request caused the e-mail. MINITENDR_PUBLIC_URL is its former name.
        "BASE_URL": os.environ.get("MINITENDR_BASE_URL") or os.environ.get("MINITENDR_PUBLIC_URL", ""),
        # Exports: up to this many detail rows are answered at once; larger ones run in the background.
        "EXPORT_SYNC_LIMIT": int(os.environ.get("MINITENDR_EXPORT_SYNC_LIMIT", 5000)),
        # A large export file older than the data is rebuilt at most this often (seconds).
        "EXPORT_REFRESH_SECONDS": int(os.environ.get("MINITENDR_EXPORT_REFRESH_SECONDS", 60)),
        "EXPORT_KEEP_DAYS": int(os.environ.get("MINITENDR_EXPORT_KEEP_DAYS", 7)),
        "EXPORT_RUNNER": "rq" if redis_url else "thread",
        "EXPORTS_DIR": os.environ.get("MINITENDR_EXPORTS_DIR", str(Path(instance_path) / "exports")),
        # Bid attachments: PDF only, encrypted, outside the web root (instance/attachments), under random names.
        "ATTACHMENTS_DIR": os.environ.get("MINITENDR_ATTACHMENTS_DIR", str(Path(instance_path) / "attachments")),
        "DOCUMENTS_DIR": os.environ.get("MINITENDR_DOCUMENTS_DIR", str(Path(instance_path) / "documents")),
        # One store for all hosts: s3://bucket/prefix (minitendr.storage); unset, the three folders above.
        # The endpoint is for S3-compatible stores other than AWS (MinIO, Ceph); credentials come the boto3 way.
        "STORAGE_URL": os.environ.get("MINITENDR_STORAGE_URL", ""),
        "S3_ENDPOINT_URL": os.environ.get("MINITENDR_S3_ENDPOINT_URL") or None,
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MINITENDR_MAX_ATTACHMENT_MB", 5)) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": (3 * int(os.environ.get("MINITENDR_MAX_ATTACHMENT_MB", 5)) + 1) * 1024 * 1024,
    }


def check(config: dict) -> None:
    """Refuse to start without what production needs; tests and the demo may go without a secret key,
    but nobody goes without a bid key (a wrong one would leave every sealed bid unreadable)."""
    from minitendr.sealing import check_key

    check_key(config)
    check_base_url(config.get("BASE_URL") or "")
    check_storage_url(config.get("STORAGE_URL") or "")
    if not config.get("SECRET_KEY"):
        if config.get("TESTING") or config.get("DEMO"):
            return
        raise ConfigurationError(
            "MINITENDR_SECRET_KEY není nastaven. Nastavte dlouhý náhodný klíč, např.\n"
            "  export MINITENDR_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
        )


def check_base_url(base_url: str) -> None:
    """Empty (e-mails then carry paths only) or a full http(s) address with nothing after the path."""
    if not base_url:
        return
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"MINITENDR_BASE_URL={base_url!r} není úplná adresa aplikace. Zadejte ji se schématem, "
            "např. https://minitendr.example.cz nebo https://example.cz/minitendr"
        )


def check_storage_url(storage_url: str) -> None:
    """Empty (local folders) or ``s3://bucket/prefix`` with boto3 installed."""
    if not storage_url:
        return
    from minitendr.storage import parse_url

    try:
        parse_url(storage_url)
    except ValueError:
        raise ConfigurationError(
            f"MINITENDR_STORAGE_URL={storage_url!r} není adresa úložiště. Zadejte s3://bucket/prefix, "
            "nebo ji nenastavujte (soubory pak zůstanou ve složkách instance)."
        ) from None
    if importlib.util.find_spec("boto3") is None:
        raise ConfigurationError("MINITENDR_STORAGE_URL míří do S3, ale chybí boto3: pip install 'minitendr[s3]'")
