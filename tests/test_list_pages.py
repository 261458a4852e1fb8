"""The register and administration lists, the framework list and pages, and every object's history
page by keyset (minitendr.pagination): "Další" / "Předchozí" links that keep the list's filters, a
count that stops at 10 000, a bad cursor refused with 400, and the same few SQL statements for a page
whether the list holds three rows or sixty (so a lazy load per row fails here)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.service import HISTORY_PAGE, record
from minitendr.auth.models import Role
from minitendr.bids.service import score_bid
from minitendr.contracts.models import SubContract
from minitendr.db import db
from minitendr.demands.evaluation import award, open_envelopes
from minitendr.frameworks.service import add_party
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.notifications.service import NOTIFICATIONS_PAGE
from minitendr.pagination import PER_PAGE, encode_cursor
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from tests.factories import ProviderFactory, UserFactory, make_bid, make_demand, make_framework, seat_committee

pytestmark = pytest.mark.usefixtures("monday")

MOST_STATEMENTS = 15
SEPTEMBER = dt.datetime(2026, 9, 1, 9, 0, tzinfo=clock.PRAGUE)


# --- reading the pages ---------------------------------------------------------------------------
def link(page: str, rel: str) -> str | None:
    """The pager's link to the next or previous page (None when the pager shows none)."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def marked(page: str, mark: str) -> list[str]:
    """The rows of a page, as the ``mark`` + number each test row carries in its name, in page order."""
    return re.findall(rf"{re.escape(mark)}\d+", page)


def statements_of(statements, client, url: str) -> int:
    client.get(url)  # once before counting: what a first request sets up is not the page's cost
    with statements() as ran:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ran)


def grows_not(statements, client, url: str, add: Callable[[int, int], None]) -> tuple[int, int]:
    """The statements of ``url`` with 3 rows and with 60 (``add(start, stop)`` adds rows start..stop)."""
    add(0, 3)
    db.session.commit()
    small = statements_of(statements, client, url)
    add(3, 60)
    db.session.commit()
    return small, statements_of(statements, client, url)


# --- the provider register -----------------------------------------------------------------------
def test_the_provider_register_pages_by_name_and_keeps_the_search(login, personas):
    for n in range(60):
        ProviderFactory(name=f"Centrum Hledané {n:02d}, z.ú.")
    ProviderFactory(name="Jiný spolek, z.s.")
    db.session.commit()
    client = login(personas.kraj)

    first = get(client, "/providers/?q=hledané")
    assert marked(first, "Hledané ") == [f"Hledané {n:02d}" for n in range(PER_PAGE)]
    assert "Celkem 60 poskytovatelů" in first and link(first, "prev") is None
    following = link(first, "next")
    assert following is not None and "q=hledan" in following and "after=" in following

    second = get(client, following)
    assert marked(second, "Hledané ") == [f"Hledané {n:02d}" for n in range(PER_PAGE, 60)]
    assert link(second, "next") is None
    back = link(second, "prev")
    assert back is not None and "q=hledan" in back
    assert marked(get(client, back), "Hledané ") == marked(first, "Hledané ")


@pytest.mark.parametrize("role", ["admin", "ministry", "kraj", "ospod"])
def test_a_page_of_providers_costs_the_same_statements_for_3_or_60(login, personas, statements, role):
    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            ProviderFactory(name=f"Poskytovatel v seznamu {n:02d}")

    small, large = grows_not(statements, login(personas[role]), "/providers/?q=v seznamu", add)
    assert small == large <= MOST_STATEMENTS


# --- users ---------------------------------------------------------------------------------------
def _users(start: int, stop: int) -> None:
    """Accounts bound to different kraje, ORPs and providers (a lazy load per row would show)."""
    kraje = list(db.session.scalars(sa.select(Kraj).order_by(Kraj.id)))
    orps = list(db.session.scalars(sa.select(Orp).order_by(Orp.id)))
    for n in range(start, stop):
        role = (Role.KRAJ, Role.OSPOD, Role.PROVIDER)[n % 3]
        binding = {
            Role.KRAJ: {"kraj": kraje[n % len(kraje)]},
            Role.OSPOD: {"orp": orps[n % len(orps)]},
            Role.PROVIDER: {"provider": ProviderFactory()},
        }[role]
        UserFactory(email=f"seznam{n:02d}@test.cz", name=f"Účet {n:02d}", role=role, **binding)


def test_a_page_of_users_costs_the_same_statements_for_3_or_60(login, personas, statements):
    small, large = grows_not(statements, login(personas.admin), "/admin/users/?q=seznam", _users)
    assert small == large <= MOST_STATEMENTS


def test_the_user_list_pages_within_a_role_and_keeps_role_and_search(login, personas):
    for n in range(60):
        UserFactory(email=f"urednik{n:02d}@test.cz", name=f"Úředník {n:02d}", role=Role.MINISTRY)
    UserFactory(email="urednik-admin@test.cz", role=Role.ADMIN)
    db.session.commit()
    client = login(personas.admin)

    first = get(client, "/admin/users/?role=ministry&q=urednik")
    assert marked(first, "Úředník ") == [f"Úředník {n:02d}" for n in range(PER_PAGE)]
    assert "Celkem 60 uživatelů" in first
    following = link(first, "next")
    assert following is not None and "role=ministry" in following and "q=urednik" in following
    second = get(client, following)
    assert marked(second, "Úředník ") == [f"Úředník {n:02d}" for n in range(PER_PAGE, 60)]
    assert link(second, "next") is None and link(second, "prev") is not None


def test_the_user_list_goes_by_role_then_e_mail(login, personas):
    db.session.commit()
    page = get(login(personas.admin), "/admin/users/")
    shown = re.findall(r"<td>([^<@]+@test\.cz)</td>", page)
    assert shown[:2] == ["admin@test.cz", "kraj.kvk@test.cz"]  # admin, then kraj (by role), by e-mail


# --- notifications and the outbox ----------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_a_page_of_notifications_costs_the_same_statements_for_3_or_60(login, personas, statements, role):
    user = personas[role]

    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            db.session.add(Notification(user_id=user.id, created_at=clock.now(), title=f"Zpráva {n:02d}"))

    small, large = grows_not(statements, login(user), "/notifications/", add)
    assert small == large <= MOST_STATEMENTS


def test_notifications_page_newest_first_and_only_ones_own(login, personas):
    for n in range(40):
        moment = clock.now() - dt.timedelta(hours=40 - n)
        db.session.add(Notification(user_id=personas.ospod.id, created_at=moment, title=f"Zpráva {n:02d}"))
    db.session.add(Notification(user_id=personas.kraj.id, created_at=clock.now(), title="Zpráva 99"))
    db.session.commit()
    client = login(personas.ospod)

    first = get(client, "/notifications/")
    assert marked(first, "Zpráva ") == [f"Zpráva {n:02d}" for n in range(39, 39 - NOTIFICATIONS_PAGE, -1)]
    assert "Celkem 40 oznámení" in first
    second = get(client, link(first, "next") or "")
    assert marked(second, "Zpráva ") == [f"Zpráva {n:02d}" for n in range(39 - NOTIFICATIONS_PAGE, -1, -1)]


def test_a_page_of_the_outbox_costs_the_same_statements_for_3_or_60(login, personas, statements):
    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            db.session.add(OutboxEmail(recipient="a@test.cz", subject=f"Předmět {n:02d}", body="Text"))

    small, large = grows_not(statements, login(personas.admin), "/admin/outbox/", add)
    assert small == large <= MOST_STATEMENTS


def test_the_outbox_pages_newest_first(login, personas):
    for n in range(60):
        db.session.add(OutboxEmail(recipient="a@test.cz", subject=f"Předmět {n:02d}", body="Text"))
    db.session.commit()
    client = login(personas.admin)
    first = get(client, "/admin/outbox/")
    assert marked(first, "Předmět ")[:2] == ["Předmět 59", "Předmět 58"] and "Celkem 60 e-mailů" in first
    assert marked(get(client, link(first, "next") or ""), "Předmět ")[-1] == "Předmět 00"


# --- frameworks ----------------------------------------------------------------------------------
def _frameworks(personas) -> Callable[[int, int], None]:
    """Frameworks over every kraj and category, the later the higher their number, the persona
    provider a party of each."""
    kraje = list(db.session.scalars(sa.select(Kraj).order_by(Kraj.code)))
    kraje.remove(next(k for k in kraje if k.code == "CZ053"))
    categories = list(db.session.scalars(sa.select(ServiceCategory.code).order_by(ServiceCategory.position)))

    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            # Every other one in Pardubický kraj, so the kraj official and its OSPOD see them grow too.
            kraj = db.session.scalars(sa.select(Kraj).where(Kraj.code == "CZ053")).one() if n % 2 else kraje[n % 13]
            make_framework(
                kraj,
                categories[n % 3],
                [personas.provider.provider],
                number=f"RS-SEZNAM-{n:02d}",
                # One after another: a kraj has one framework per category in force at a time.
                valid_from=clock.today() + dt.timedelta(days=10 * n),
                valid_to=clock.today() + dt.timedelta(days=10 * n + 9),
            )

    return add


@pytest.mark.parametrize("role", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_a_page_of_frameworks_costs_the_same_statements_for_3_or_60(login, personas, statements, role):
    small, large = grows_not(statements, login(personas[role]), "/frameworks/", _frameworks(personas))
    assert small == large <= MOST_STATEMENTS


def test_the_framework_list_is_newest_first_and_keeps_its_filters(login, personas):
    _frameworks(personas)(0, 60)  # RS-SEZNAM-59 is the newest; the odd ones are Pardubický kraj's
    db.session.commit()
    client = login(personas.ministry)

    first = get(client, "/frameworks/?status=active&category=")
    assert marked(first, "RS-SEZNAM-") == [f"RS-SEZNAM-{n:02d}" for n in range(59, 59 - PER_PAGE, -1)]
    assert "Celkem 60 rámcových smluv" in first
    following = link(first, "next")
    assert following is not None and "status=active" in following
    second = get(client, following)
    assert marked(second, "RS-SEZNAM-") == [f"RS-SEZNAM-{n:02d}" for n in range(59 - PER_PAGE, -1, -1)]
    assert "status=active" in (link(second, "prev") or "")

    pardubicky = get(client, "/frameworks/?kraj=CZ053")
    assert marked(pardubicky, "RS-SEZNAM-") == [f"RS-SEZNAM-{n:02d}" for n in range(59, 0, -2)]
    assert "Celkem 30 rámcových smluv" in pardubicky and link(pardubicky, "next") is None


@pytest.mark.parametrize(
    "query", ["status=bogus", "valid_on=31.12.2026", "valid_on=0001-01-01", "kraj=CZ999", "category=x" * 500]
)
def test_a_bad_framework_filter_filters_nothing_or_everything_but_never_fails(login, personas, query):
    assert login(personas.kraj).get(f"/frameworks/?{query}").status_code == 200


# --- a framework's page: its parties, sub-contracts and minitenders -------------------------------
def _awarded_under(framework, personas, providers) -> None:
    """One minitender per provider, each awarded to that provider (the ORP is the persona OSPOD's)."""
    with clock.frozen_at(SEPTEMBER):
        demands = [make_demand(personas.ospod, publish=True, estimated_max_value=None) for _ in providers]
        bids = [make_bid(demand, provider) for demand, provider in zip(demands, providers, strict=True)]
    with clock.frozen_at(SEPTEMBER + dt.timedelta(days=16)):
        for demand, bid in zip(demands, bids, strict=True):
            seat_committee(demand, personas.ospod)
            open_envelopes(demand, personas.ospod)
            score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
            award(demand, personas.ospod)


@pytest.mark.parametrize("role", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_a_framework_page_costs_the_same_statements_for_3_or_30_parties_and_sub_contracts(
    login, personas, statements, kraj_pak, role
):
    with clock.frozen_at(SEPTEMBER):
        framework = make_framework(kraj_pak, providers=[personas.provider.provider], ceiling=Decimal("90000000"))
    client, url = login(personas[role]), f"/frameworks/{framework.id}"

    def add(start: int, stop: int) -> None:
        providers = [ProviderFactory(name=f"Strana {n:02d}") for n in range(start, stop)]
        with clock.frozen_at(SEPTEMBER):
            for provider in providers:
                add_party(framework, provider, framework.valid_from)
        _awarded_under(framework, personas, providers)

    add(0, 2)  # with the persona provider: 3 parties, 2 sub-contracts
    db.session.commit()
    small = statements_of(statements, client, url)
    add(2, 30)
    db.session.commit()
    assert "Strana 29" in get(client, url)
    assert small == statements_of(statements, client, url) <= MOST_STATEMENTS


def test_a_framework_page_lists_its_newest_sub_contracts_and_says_so(login, personas, kraj_pak, monkeypatch):
    from minitendr.frameworks import queries

    monkeypatch.setattr(queries, "SHOWN", 2)
    providers = [ProviderFactory(name=f"Strana {n:02d}") for n in range(3)]
    with clock.frozen_at(SEPTEMBER):
        framework = make_framework(kraj_pak, providers=providers, ceiling=Decimal("90000000"))
    _awarded_under(framework, personas, providers)
    db.session.commit()
    page = get(login(personas.kraj), f"/frameworks/{framework.id}")
    assert "Nejnovějších 2 dílčích smluv." in page and "Nejnovějších 2 minitendrů." in page
    awarded = db.session.scalars(sa.select(SubContract.number).order_by(SubContract.id.desc())).all()
    assert re.findall(r"<td>(DS-PAK-\d{4}-\d+)</td>", page) == awarded[:2]


# --- histories -----------------------------------------------------------------------------------
def _events(thing, start: int, stop: int) -> None:
    for n in range(start, stop):
        record("framework.updated", thing, {"title": [f"Krok {n:02d}", f"Krok {n + 1:02d}"]})


def test_a_long_history_pages_newest_first_on_the_objects_page(login, personas, kraj_pak):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    _events(framework, 0, 60)
    db.session.commit()
    client = login(personas.kraj)

    first = get(client, f"/frameworks/{framework.id}")
    steps = marked(first, "Krok ")[::2]  # each event names the step it left and the one it made
    assert steps == [f"Krok {n:02d}" for n in range(59, 59 - HISTORY_PAGE, -1)]
    older = link(first, "next")
    assert older is not None and older.startswith(f"/frameworks/{framework.id}?history_after=")
    assert older.endswith("#historie")

    second = get(client, older)
    assert marked(second, "Krok ")[::2][: 60 - HISTORY_PAGE] == [
        f"Krok {n:02d}" for n in range(59 - HISTORY_PAGE, -1, -1)
    ]
    # Then the events the framework was born with (created, parties, activated), the oldest last.
    assert "Založení návrhu" in second and "Založení návrhu" not in first
    newer = link(second, "prev")
    assert newer is not None and marked(get(client, newer), "Krok ") == marked(first, "Krok ")


def test_the_history_links_of_a_refused_form_lead_to_the_objects_page(login, personas, kraj_pak):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    _events(framework, 0, 60)
    db.session.commit()
    refused = login(personas.kraj).post(f"/frameworks/{framework.id}/terminate", data={"reason": ""})
    assert refused.status_code == 200 and "Uveďte důvod ukončení." in refused.get_data(as_text=True)
    assert (link(refused.get_data(as_text=True), "next") or "").startswith(f"/frameworks/{framework.id}?history_after=")


def test_the_history_keeps_the_rest_of_the_url(login, personas, kraj_pak):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    _events(framework, 0, 60)
    db.session.commit()
    page = get(login(personas.kraj), f"/frameworks/{framework.id}?after=jiny-seznam")
    assert "after=jiny-seznam" in (link(page, "next") or "")


@pytest.mark.parametrize("role", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_a_framework_history_costs_the_same_statements_for_3_or_60_events(login, personas, statements, kraj_pak, role):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    client = login(personas[role])
    small, large = grows_not(statements, client, f"/frameworks/{framework.id}", lambda a, b: _events(framework, a, b))
    assert small == large <= MOST_STATEMENTS


def test_a_provider_history_costs_the_same_statements_for_3_or_60_events(login, personas, statements):
    provider = personas.provider.provider
    client = login(personas.admin)
    small, large = grows_not(statements, client, f"/providers/{provider.id}", lambda a, b: _events(provider, a, b))
    assert small == large <= MOST_STATEMENTS
    assert f'href="/providers/{provider.id}?history_after=' in get(client, f"/providers/{provider.id}")


@pytest.mark.parametrize("role", ["ministry", "kraj", "ospod", "provider"])
def test_a_sub_contract_history_costs_the_same_statements_for_3_or_60_events(
    login, personas, statements, objects, role
):
    subcontract = db.session.get(SubContract, objects["subcontract_id"])
    client, url = login(personas[role]), f"/subcontracts/{subcontract.id}"
    small, large = grows_not(statements, client, url, lambda a, b: _events(subcontract, a, b))
    assert small == large  # the rest of the sub-contract's page is another list's story (its drawdowns)
    assert f'href="/subcontracts/{subcontract.id}?history_after=' in get(client, url)


@pytest.mark.parametrize("role", ["ministry", "kraj", "ospod"])
def test_a_demand_history_costs_the_same_statements_for_3_or_60_events(login, personas, statements, objects, role):
    from minitendr.demands.models import Demand

    demand = db.session.get(Demand, objects["past_demand_id"])
    client, url = login(personas[role]), f"/demands/{demand.id}"
    small, large = grows_not(statements, client, url, lambda a, b: _events(demand, a, b))
    assert small == large
    assert f'href="/demands/{demand.id}?history_after=' in get(client, url)


# --- cursors and page numbers --------------------------------------------------------------------
LISTS = ("/providers/", "/admin/users/", "/notifications/", "/admin/outbox/", "/frameworks/")


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("cursor", ["x", "e30", "!!!", "a" * 5000, encode_cursor([1] * 7)])
def test_a_cursor_that_is_not_ours_is_a_bad_request(login, personas, url, cursor):
    client = login(personas.admin)
    assert client.get(url, query_string={"after": cursor}).status_code == 400
    assert client.get(url, query_string={"before": cursor}).status_code == 400


def test_a_history_cursor_that_is_not_ours_is_a_bad_request(login, personas, kraj_pak):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    db.session.commit()
    client = login(personas.kraj)
    assert client.get(f"/frameworks/{framework.id}?history_after=x").status_code == 400
    assert client.get(f"/frameworks/{framework.id}?history_before={encode_cursor([1, 2])}").status_code == 400


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page", ["2", "99999999999999999999", "-1", "x"])
def test_a_page_number_is_no_longer_read(login, personas, url, page):
    client = login(personas.admin)

    def without_tokens(page: str) -> str:  # a form's CSRF token is signed anew for every page
        return re.sub(r'name="csrf_token"[^>]*>', "", page)

    assert without_tokens(get(client, f"{url}?page={page}")) == without_tokens(get(client, url))


@pytest.mark.parametrize("query", ["role=bogus", "role=", "q=%25", "q=_", "q=" + "x" * 5000, "role=admin&q=ž"])
def test_a_bad_user_filter_never_fails(login, personas, query):
    assert login(personas.admin).get(f"/admin/users/?{query}").status_code == 200
