"""Server time and SQL statements of the list pages and reports, per role, through the Flask test client.

A page is requested once to warm it, then ``runs`` times: the median time of those and the most
statements any of them ran are kept. A deep page is reached the way a person reaches it: by following
the page's ``rel="next"`` link (whatever its form, ``?after=<cursor>`` or ``?page=N``) up to ``depth``
times; a list without such a link is asked for ``?page=<depth>`` instead. A page that fails is recorded
with its status (or the exception's name), and the run goes on.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from minitendr.auth.models import User
from minitendr.db import db
from tests.benchmarks.databases import Personas
from tests.conftest import log_in

ROLES = ("ministry", "kraj", "ospod", "provider")


@dataclass(frozen=True)
class Page:
    path: str
    roles: tuple[str, ...] = ROLES
    paged: bool = True  # a list with more pages: measure a deep one too
    api: bool = False  # a list of the JSON API: asked with a token, its next page is the JSON's ``next``


LISTS = (
    Page("/subcontracts/"),
    Page("/demands/"),
    Page("/frameworks/"),
    Page("/notifications/"),
    Page("/subcontracts/registry", paged=False),
    Page("/providers/", ("admin",)),
    Page("/admin/users/", ("admin",)),
    Page("/admin/outbox/", ("admin",)),
    # The JSON API's lists (minitendr.api), the same target as the pages.
    Page("/api/v1/subcontracts/", api=True),
    Page("/api/v1/demands/", api=True),
    Page("/api/v1/frameworks/", api=True),
)
REPORT_FILTERS = ("", "kraj", "orp", "provider", "year")
REPORT_YEAR = 2024
# The service network's map (national for the ministry, the own kraj's for the others) with its switches,
# and the busiest ORP's page. (role, page label, path; "{orp}" is the personas' ORP)
NETWORK_ROLES = ("ministry", "kraj", "ospod")
NETWORK_PAGES = (
    *((role, "/network/", "/network/") for role in NETWORK_ROLES),
    *(
        (role, "/network/ ?need&metric&year", f"/network/?need=bezpeci&metric=value_per_child&year={REPORT_YEAR}")
        for role in NETWORK_ROLES
    ),
    ("ministry", "/network/orp/<busiest>", "/network/orp/{orp}"),
    ("ospod", "/network/orp/<busiest>", "/network/orp/{orp}"),
)


@dataclass(frozen=True)
class Measurement:
    """One page as one role: ``status`` is the HTTP status (or an exception's name), ``ms`` the median
    server time, ``statements`` the SQL statements of one request, ``reached`` how deep a deep page is."""

    section: str  # "list" or "report"
    page: str  # the path, with a report's filter
    role: str
    which: str  # "first" or "deep"
    status: int | str
    ms: float | None = None
    statements: int | None = None
    reached: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.section, self.page, self.role, self.which)


class StatementCounter:
    """Counts the SQL statements every engine sends while it is installed."""

    def __init__(self) -> None:
        self.count = 0

    def _count(self, *_args) -> None:
        self.count += 1

    @contextmanager
    def installed(self) -> Iterator[StatementCounter]:
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._count)
        try:
            yield self
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._count)


class _NextLink(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.href is None and tag in {"a", "link"} and "next" in (found.get("rel") or "").split():
            self.href = found.get("href")


def next_link(html: str) -> str | None:
    """The href of the page's first ``rel="next"`` link or anchor (entities decoded by the parser), or
    an API list's ``next``."""
    if html.startswith("{"):
        try:
            return json.loads(html).get("next") or None
        except ValueError:
            return None
    parser = _NextLink()
    parser.feed(html)
    return parser.href or None


def with_query(url: str, **params: object) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | {key: str(value) for key, value in params.items()}
    return urlunsplit(parts._replace(query=urlencode(query)))


def _resolve(base: str, href: str) -> str:
    """``href`` as a path the test client can request (links are relative to the page or absolute)."""
    parts = urlsplit(href)
    if parts.path:
        return urlunsplit(("", "", parts.path, parts.query, ""))
    return urlunsplit(("", "", urlsplit(base).path, parts.query, ""))


def client_for(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        log_in(app, client, db.session.get_one(User, user_id))
        db.session.remove()
    return client


def api_client_for(app: Flask, user_id: int) -> FlaskClient:
    """A client whose every request carries a new API token of the user."""
    from minitendr.api import tokens

    client = app.test_client()
    with app.app_context():
        _token, secret = tokens.create_token(db.session.get_one(User, user_id), "benchmark")
        db.session.commit()
        db.session.remove()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _get(client: FlaskClient, url: str) -> tuple[int | str, str]:
    try:
        response = client.get(url)
    except Exception as error:  # a broken page is a figure too, not the end of the run
        return type(error).__name__, ""
    return response.status_code, response.get_data(as_text=True)


def measure(
    client: FlaskClient, url: str, runs: int, section: str, page: str, role: str, which: str, reached: str = ""
) -> Measurement:
    status, _ = _get(client, url)  # warm: caches, templates, the database's pages
    if status != 200:
        return Measurement(section, page, role, which, status, reached=reached)
    times, counts = [], []
    for _ in range(runs):
        counter = StatementCounter()
        with counter.installed():
            started = time.perf_counter()
            status, _ = _get(client, url)
            times.append(time.perf_counter() - started)
        counts.append(counter.count)
        if status != 200:
            return Measurement(section, page, role, which, status, reached=reached)
    return Measurement(section, page, role, which, 200, statistics.median(times) * 1000, max(counts), reached)


def deep_url(client: FlaskClient, path: str, depth: int, budget: float = 60.0) -> tuple[str, str]:
    """The page ``depth`` pages on from ``path``, following ``rel="next"`` (within ``budget`` seconds),
    and how it was reached."""
    status, html = _get(client, path)
    href = next_link(html) if status == 200 else None
    if href is None:
        return with_query(path, page=depth), f"?page={depth}"
    url, hops, started = _resolve(path, href), 1, time.perf_counter()
    while hops < depth and time.perf_counter() - started < budget:
        status, html = _get(client, url)
        href = next_link(html) if status == 200 else None
        if href is None:
            break
        url, hops = _resolve(url, href), hops + 1
    return url, f"{hops + 1}. str."


def measure_lists(
    app: Flask, personas: Personas, runs: int = 5, depth: int = 200, pages: Sequence[Page] = LISTS
) -> list[Measurement]:
    """Every list page, first and deep, as each of its roles."""
    results = []
    for page in pages:
        for role in page.roles:
            client = (api_client_for if page.api else client_for)(app, personas.users[role])
            results.append(measure(client, page.path, runs, "list", page.path, role, "first"))
            if page.paged:
                url, reached = deep_url(client, page.path, depth)
                results.append(measure(client, url, runs, "list", page.path, role, "deep", reached))
    return results


def report_url(personas: Personas, kind: str) -> str:
    value = {
        "": None,
        "kraj": personas.kraj,
        "orp": personas.orp,
        "provider": personas.provider,
        "year": REPORT_YEAR,
    }[kind]
    return "/reports/spend" if value is None else with_query("/reports/spend", **{kind: value})


def measure_reports(app: Flask, personas: Personas, runs: int = 5) -> list[Measurement]:
    """The spend dashboard as each role, without a filter and with each filter (the kraj, ORP and
    provider of the personas, a year)."""
    results = []
    for role in ROLES:
        client = client_for(app, personas.users[role])
        for kind in REPORT_FILTERS:
            page = f"/reports/spend{f' ?{kind}' if kind else ''}"
            results.append(measure(client, report_url(personas, kind), runs, "report", page, role, "first"))
    return results


def measure_network(app: Flask, personas: Personas, runs: int = 5) -> list[Measurement]:
    """The service network's map and ORP pages (``NETWORK_PAGES``), as the roles that read them."""
    results = []
    for role, label, path in NETWORK_PAGES:
        client = client_for(app, personas.users[role])
        results.append(measure(client, path.format(orp=personas.orp), runs, "report", label, role, "first"))
    return results
