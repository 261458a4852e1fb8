"""The benchmark harness (tests/benchmarks) keeps working: it reaches every page as every role and
counts what each request costs. Its figures are for people to read; nothing here times anything."""

from __future__ import annotations

import sqlalchemy as sa

from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.seeding.synthetic import generate
from tests.benchmarks.databases import add_people, personas
from tests.benchmarks.pages import (
    LISTS,
    NETWORK_PAGES,
    REPORT_FILTERS,
    ROLES,
    measure_lists,
    measure_network,
    measure_reports,
    next_link,
)


def test_the_benchmark_measures_every_list_and_report_as_every_role(app):
    generate(200, seed=5)
    add_people()
    people = personas()
    # An account for each kraj, ORP and provider, and each award's notification and e-mail.
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.OSPOD)) == 206
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 200
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 200

    lists = measure_lists(app, people, runs=1, depth=2)
    expected = {
        (page.path, role, which)
        for page in LISTS
        for role in page.roles
        for which in (("first", "deep") if page.paged else ("first",))
    }
    assert {(m.page, m.role, m.which) for m in lists} == expected
    reports = measure_reports(app, people, runs=1)
    assert len(reports) == len(ROLES) * len(REPORT_FILTERS)

    network = measure_network(app, people, runs=1)
    assert [(m.role, m.page) for m in network] == [(role, label) for role, label, _path in NETWORK_PAGES]
    # At most 15 statements a page, plus the savepoint each request of the test client runs in and its rollback.
    over = [(m.page, m.role, m.status, m.statements) for m in network if m.status != 200 or m.statements > 15 + 2]
    assert over == []

    for measurement in lists + reports + network:
        if measurement.status == 200:
            assert measurement.ms is not None and measurement.ms > 0
            assert measurement.statements is not None and measurement.statements > 0
        else:  # a refusal is recorded as such, not a crash of the run
            assert isinstance(measurement.status, int) and measurement.statements is None
    assert all(m.status == 200 for m in lists if m.role in {"ministry", "admin"})
    assert all(m.status == 200 for m in reports if m.role == "ministry")


def test_the_deep_page_follows_whatever_next_link_the_page_has():
    keyset = '<nav><a class="page-link" rel="next" href="/subcontracts/?after=MTIz&amp;kraj=CZ053">Další</a></nav>'
    assert next_link(keyset) == "/subcontracts/?after=MTIz&kraj=CZ053"
    assert next_link('<link rel="prev" href="?after=1"><link href="?page=3" rel="nofollow next">') == "?page=3"
    assert next_link('<a href="?page=2">2</a>') is None
