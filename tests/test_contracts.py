"""Sub-contracts after the award: drawdowns, amendments, completion, the register of contracts,
and the money invariants under any sequence of operations."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitendr import clock
from minitendr.bids import service as bids
from minitendr.contracts import service
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.frameworks.service import committed_amount
from minitendr.privacy import BIRTH_NUMBER_MESSAGE
from tests.factories import make_bid, make_demand, make_framework, seat_committee

pytestmark = pytest.mark.usefixtures("monday")

SEPTEMBER = dt.datetime(2026, 9, 1, 9, 0, tzinfo=clock.PRAGUE)


def awarded(personas, kraj_pak, unit_price="500", ceiling="100000", framework=None):
    """A sub-contract awarded in September: 40 units at ``unit_price``, running mid-September to March."""
    with clock.frozen_at(SEPTEMBER):
        framework = framework or make_framework(
            kraj_pak, providers=[personas.provider.provider], ceiling=Decimal(ceiling)
        )
        demand = make_demand(personas.ospod, publish=True, estimated_max_value=None)
        bid = make_bid(demand, personas.provider.provider, unit_price=unit_price)
    with clock.frozen_at(SEPTEMBER + dt.timedelta(days=16)):
        seat_committee(demand, personas.ospod)
        evaluation.open_envelopes(demand, personas.ospod)
        bids.score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
        subcontract = evaluation.award(demand, personas.ospod)
    db.session.flush()
    return subcontract


@pytest.fixture
def sc(personas, kraj_pak):
    return awarded(personas, kraj_pak)  # 20 000,00; 15. 9. 2026 – 15. 3. 2027


def report(sc, personas, month=10, units="4", amount=None, reason=None, year=2026):
    units = Decimal(units)
    amount = Decimal(amount) if amount is not None else sc.unit_price * units
    return service.report_drawdown(
        sc, personas.provider.provider, period=dt.date(year, month, 1), units=units, amount=amount, reason=reason
    )


# --- drawdowns -----------------------------------------------------------------------------------
def test_a_drawdown_is_reported_confirmed_and_then_counts_as_spent(sc, personas):
    assert (sc.start_date, sc.value) == (dt.date(2026, 9, 15), Decimal("20000.00"))
    drawdown = report(sc, personas, month=10, units="4")
    assert drawdown.amount == Decimal("2000.00") and drawdown.status is DrawdownStatus.SUBMITTED
    assert service.drawn(sc) == 0 and service.reserved(sc) == Decimal("2000.00")
    service.confirm_drawdown(drawdown)
    assert service.drawn(sc) == Decimal("2000.00")
    with pytest.raises(DomainError, match="už bylo rozhodnuto"):
        service.reject_drawdown(drawdown, "pozdě")


def test_the_amount_must_match_units_times_price_unless_explained(sc, personas):
    with pytest.raises(DomainError, match="neodpovídá počtu jednotek"):
        report(sc, personas, units="4", amount="2100")
    drawdown = report(sc, personas, units="4", amount="2100", reason="Příplatek za víkendový výjezd dle dohody.")
    assert drawdown.amount == Decimal("2100.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": 8}, "v době plnění"),  # before the start (September)
        ({"month": 4, "year": 2027}, "v době plnění"),  # after the end (March 2027)
        ({"month": 12}, "uplynulý nebo běžící měsíc"),  # the future
        ({"units": "0"}, "musí být kladný"),
        ({"units": "-1"}, "musí být kladný"),
        ({"units": "1", "amount": "0"}, "musí být kladná"),
        ({"units": "1", "amount": "-500"}, "musí být kladná"),
        ({"units": "1", "amount": "500.001"}, "na haléře"),
        ({"units": "50"}, "překročilo smluvní hodnotu"),  # 25 000 > 20 000
    ],
)
def test_bad_drawdowns_are_refused(sc, personas, kwargs, message):
    with pytest.raises(DomainError, match=message):
        report(sc, personas, **kwargs)
    assert db.session.scalar(sa.select(sa.func.count(Drawdown.id))) == 0


def test_one_drawdown_per_month_unless_rejected(sc, personas):
    first = report(sc, personas, month=10)
    with pytest.raises(DomainError, match="už je čerpání vykázáno"):
        report(sc, personas, month=10)
    with pytest.raises(DomainError, match="Uveďte důvod"):
        service.reject_drawdown(first, "")
    service.reject_drawdown(first, "Chybí výkaz hodin.")
    again = report(sc, personas, month=10, units="3")
    assert again.status is DrawdownStatus.SUBMITTED


def test_the_total_never_exceeds_the_contracted_value(sc, personas):
    report(sc, personas, month=9, units="20")  # 10 000
    report(sc, personas, month=10, units="18")  # 9 000
    with pytest.raises(DomainError, match="zbývá 1\xa0000,00\xa0Kč"):
        report(sc, personas, month=11, units="3")  # 1 500 > 1 000
    report(sc, personas, month=11, units="2")
    assert service.reserved(sc) == sc.value


def test_only_the_sub_contracts_provider_reports(sc, personas):
    with pytest.raises(DomainError, match="jen poskytovatel"):
        service.report_drawdown(
            sc, personas.interloper.provider, period=dt.date(2026, 10, 1), units=Decimal(1), amount=sc.unit_price
        )


def test_a_drawdown_is_decided_once_confirmed(sc, personas):
    drawdown = report(sc, personas, month=10)
    assert drawdown.can_be_decided
    drawdown.confirm()
    assert drawdown.status is DrawdownStatus.CONFIRMED and drawdown.decided_at == clock.now()
    assert not drawdown.can_be_decided
    with pytest.raises(DomainError, match="už bylo rozhodnuto \\(potvrzeno\\)"):
        drawdown.confirm()
    with pytest.raises(DomainError, match="už bylo rozhodnuto"):
        drawdown.reject("Chybí výkaz hodin.")
    assert drawdown.status is DrawdownStatus.CONFIRMED and drawdown.rejection_reason is None


def test_a_drawdown_is_decided_once_rejected_and_only_with_a_reason(sc, personas):
    drawdown = report(sc, personas, month=10)
    for reason, message in ((" ", "Uveďte důvod zamítnutí"), ("Dítě 015101/1234", "rodného čísla")):
        with pytest.raises(DomainError, match=message) as refused:
            drawdown.reject(reason)
        assert refused.value.field == "reason"
        assert drawdown.status is DrawdownStatus.SUBMITTED and drawdown.rejection_reason is None
    drawdown.reject("  Chybí výkaz hodin. ")
    assert drawdown.status is DrawdownStatus.REJECTED and drawdown.rejection_reason == "Chybí výkaz hodin."
    with pytest.raises(DomainError, match="už bylo rozhodnuto \\(zamítnuto\\)"):
        drawdown.reject("Ještě jednou.")
    with pytest.raises(DomainError, match="už bylo rozhodnuto"):
        drawdown.confirm()
    assert drawdown.status is DrawdownStatus.REJECTED and drawdown.rejection_reason == "Chybí výkaz hodin."


def test_a_drawdown_of_a_closed_sub_contract_is_not_decided(sc, personas):
    drawdown = report(sc, personas, month=10)
    sc.status = SubContractStatus.COMPLETED  # as if closed under it; the service refuses to close with one pending
    assert not drawdown.can_be_decided
    with pytest.raises(DomainError, match="nepřijímá"):
        drawdown.confirm()
    assert drawdown.status is DrawdownStatus.SUBMITTED


# --- amendments ----------------------------------------------------------------------------------
def amend(sc, **changes):
    values = {
        "new_value": sc.value,
        "new_units": sc.units,
        "new_end_date": sc.end_date,
        "reason": "Rodina potřebuje delší podporu.",
        "provider_consent": "Dopis č. j. 12/2026",
        "consent_on": clock.today(),
    }
    return service.amend(sc, **(values | changes))


def test_an_amendment_changes_value_units_and_end_date(sc, personas):
    amendment = amend(sc, new_value=Decimal("30000.00"), new_units=Decimal("60"), new_end_date=dt.date(2027, 6, 30))
    assert amendment.seq == 1 and (amendment.old_value, amendment.new_value) == (
        Decimal("20000.00"),
        Decimal("30000.00"),
    )
    assert (sc.value, sc.units, sc.end_date) == (Decimal("30000.00"), Decimal("60.00"), dt.date(2027, 6, 30))
    assert committed_amount(sc.framework) == Decimal("30000.00")


def test_an_amendment_never_exceeds_the_framework_ceiling(personas, kraj_pak):
    first = awarded(personas, kraj_pak, unit_price="1500", ceiling="100000")  # 60 000
    second = awarded(personas, kraj_pak, unit_price="500", framework=first.framework)  # 20 000
    with pytest.raises(DomainError, match="překročilo strop") as refused:
        amend(second, new_value=Decimal("40000.01"))  # + 20 000,01 > 20 000 left
    assert "zbývá 20\xa0000,00\xa0Kč" in refused.value.message
    amend(second, new_value=Decimal("40000.00"))
    assert committed_amount(first.framework) == first.framework.ceiling


def test_an_amendment_never_drops_below_what_is_reported(sc, personas):
    report(sc, personas, month=10, units="20")  # 10 000 reported
    with pytest.raises(DomainError, match="pod již vykázané čerpání"):
        amend(sc, new_value=Decimal("9999.99"))
    with pytest.raises(DomainError, match="nesmí předcházet vykázanému čerpání"):
        amend(sc, new_end_date=dt.date(2026, 9, 30))
    amend(sc, new_value=Decimal("10000.00"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "nic nemění"),
        ({"new_value": Decimal("25000"), "provider_consent": ""}, "souhlas poskytovatele"),
        ({"new_value": Decimal("25000"), "reason": " "}, "důvod dodatku"),
        ({"new_value": Decimal("25000"), "consent_on": dt.date(2026, 12, 1)}, "v budoucnosti"),
        ({"new_end_date": dt.date(2026, 9, 1)}, "nesmí předcházet jeho začátku"),
        ({"new_value": Decimal("-1")}, "kladná částka"),
        ({"new_units": Decimal("0")}, "kladný"),
    ],
)
def test_bad_amendments_are_refused(sc, changes, message):
    with pytest.raises(DomainError, match=message):
        amend(sc, **changes)
    assert sc.amendments == [] and sc.value == Decimal("20000.00")


# --- completion ----------------------------------------------------------------------------------
def test_completion_waits_for_pending_drawdowns_and_then_takes_no_more(sc, personas):
    drawdown = report(sc, personas, month=10)
    with pytest.raises(DomainError, match="čeká na rozhodnutí"):
        service.complete(sc)
    service.confirm_drawdown(drawdown)
    service.complete(sc)
    assert sc.status is SubContractStatus.COMPLETED
    with pytest.raises(DomainError, match="nepřijímá"):
        report(sc, personas, month=11)
    with pytest.raises(DomainError, match="nepřijímá"):
        amend(sc, new_value=Decimal("25000"))


def test_early_termination_needs_a_reason(sc):
    with pytest.raises(DomainError, match="důvod"):
        service.terminate(sc, "")
    with pytest.raises(DomainError, match="rodného čísla") as refused:
        sc.terminate("Dítě 015101/1234 se odstěhovalo.")
    assert refused.value.field == "reason" and sc.is_active and sc.termination_reason is None
    service.terminate(sc, " Rodina se odstěhovala mimo ORP. ")
    assert sc.status is SubContractStatus.TERMINATED and sc.termination_reason == "Rodina se odstěhovala mimo ORP."
    with pytest.raises(DomainError, match="nepřijímá"):
        sc.terminate("Ještě jednou.")
    with pytest.raises(DomainError, match="nepřijímá"):
        sc.complete()


# --- register of contracts -----------------------------------------------------------------------
def test_register_of_contracts_over_50_000(personas, kraj_pak):
    small = awarded(personas, kraj_pak, unit_price="1250", ceiling="200000")  # 50 000,00: not over it
    big = awarded(personas, kraj_pak, unit_price="1250.03", framework=small.framework)  # 50 001,20
    assert not small.requires_registry and big.requires_registry and big.registry_pending
    pending = db.session.scalars(sa.select(SubContract.number).where(SubContract.registry_pending)).all()
    assert pending == [big.number]
    with pytest.raises(DomainError, match="nezveřejňuje"):
        service.record_registry(small, "123", clock.today())
    with pytest.raises(DomainError, match="je číslo"):
        service.record_registry(big, "RS-12", clock.today())
    with pytest.raises(DomainError, match="v budoucnosti"):
        service.record_registry(big, "26781234", clock.today() + dt.timedelta(days=1))
    with pytest.raises(DomainError, match="před jejím uzavřením"):
        service.record_registry(big, "26781234", dt.date(2026, 1, 1))
    service.record_registry(big, "26781234", clock.today())
    assert not big.registry_pending
    with pytest.raises(DomainError, match="už je zaznamenáno"):
        service.record_registry(big, "26781235", clock.today())


def test_registry_pending_gives_the_same_rows_in_python_and_in_sql(personas, kraj_pak):
    small = awarded(personas, kraj_pak, unit_price="1250", ceiling="300000")  # 50 000,00: not over it
    big = awarded(personas, kraj_pak, unit_price="1250.03", framework=small.framework)  # 50 001,20
    published = awarded(personas, kraj_pak, unit_price="1500", framework=small.framework)  # 60 000
    service.record_registry(published, "26781234", clock.today())
    db.session.flush()
    everything = db.session.scalars(sa.select(SubContract)).all()
    in_python = {s.id for s in everything if s.registry_pending}
    in_sql = set(db.session.scalars(sa.select(SubContract.id).where(SubContract.registry_pending)))
    not_in_sql = set(db.session.scalars(sa.select(SubContract.id).where(~SubContract.registry_pending)))
    assert in_python == in_sql == {big.id}
    assert not_in_sql == {small.id, published.id}


def test_registry_overview_counts_what_is_left_per_kraj_and_orp(login, personas, kraj_pak):
    awarded(personas, kraj_pak, unit_price="1500")  # 60 000
    db.session.commit()
    page = login(personas.kraj).get("/subcontracts/registry").get_data(as_text=True)
    assert "Pardubický kraj" in page and "Pardubice" in page and "60\xa0000,00\xa0Kč" in page
    assert "60\xa0000,00\xa0Kč" not in login(personas.kraj_other).get("/subcontracts/registry").get_data(as_text=True)


# --- pages ---------------------------------------------------------------------------------------
def test_the_provider_reports_and_ospod_confirms_through_the_pages(login, sc, personas):
    db.session.commit()
    provider = login(personas.provider)
    response = provider.post(
        f"/subcontracts/{sc.id}/drawdowns", data={"period": "2026-10", "units": "4", "amount": "2 000,00"}
    )
    assert response.status_code == 302
    drawdown = db.session.scalars(sa.select(Drawdown)).one()
    page = provider.get(f"/subcontracts/{sc.id}", follow_redirects=True).get_data(as_text=True)
    assert "čeká na potvrzení" in page
    assert login(personas.ospod).post(f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/confirm").status_code == 302
    db.session.refresh(drawdown)
    assert drawdown.status is DrawdownStatus.CONFIRMED
    page = login(personas.kraj).get(f"/subcontracts/{sc.id}").get_data(as_text=True)
    assert "2\xa0000,00\xa0Kč" in page and "potvrzeno" in page


def at_field(page: str, field_id: str) -> tuple[str, str]:
    """What a refused form shows at the field ``field_id``: the text in it and the message, which the
    field must be marked invalid for and point at (aria-invalid, aria-describedby)."""
    tag = re.search(rf'<(input|textarea)\b[^>]*\bid="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id} on the page"
    assert 'aria-invalid="true"' in tag.group(0), f"{field_id} is not marked invalid"
    assert f'aria-describedby="{field_id}-error"' in tag.group(0), f"{field_id} does not point at its message"
    if tag.group(1) == "textarea":
        typed = re.search(rf'id="{field_id}"[^>]*>([^<]*)</textarea>', page).group(1)
    else:
        typed = (re.search(r'\bvalue="([^"]*)"', tag.group(0)) or re.match("()", "")).group(1)
    message = re.search(rf'<div[^>]*\bid="{field_id}-error"[^>]*>([^<]*)</div>', page)
    assert message, f"no message at {field_id}"
    return html.unescape(typed), html.unescape(message.group(1)).strip()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period": "2026-10", "units": "abc", "amount": "100"}, "units", "Zadejte číslo"),
        ({"period": "", "units": "1", "amount": "500"}, "period", "Toto pole je povinné"),
        ({"period": "říjen", "units": "1", "amount": "500"}, "period", "Zadejte platné datum"),
        ({"period": "2026-10", "units": "-1", "amount": "500"}, "units", "v rozmezí"),
    ],
)
def test_bad_drawdown_input_through_the_page_stores_nothing(login, sc, personas, data, field, message):
    db.session.commit()
    response = login(personas.provider).post(f"/subcontracts/{sc.id}/drawdowns", data=data)
    assert response.status_code == 200
    typed, shown = at_field(response.get_data(as_text=True), field)
    assert message in shown and typed == data[field]
    assert db.session.scalar(sa.select(sa.func.count(Drawdown.id))) == 0


def test_a_refused_drawdown_keeps_the_input_and_shows_the_message_at_the_field(login, sc, personas):
    db.session.commit()
    data = {"period": "2026-10", "units": "4", "amount": "2 100,00", "reason": ""}
    response = login(personas.provider).post(f"/subcontracts/{sc.id}/drawdowns", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    typed, message = at_field(page, "amount")
    assert typed == "2 100,00" and "neodpovídá počtu jednotek × ceně za jednotku" in message
    assert 'href="#amount"' in page  # the error summary links to the field
    assert 'value="4"' in page and 'value="2026-10"' in page
    assert db.session.scalar(sa.select(sa.func.count(Drawdown.id))) == 0


def test_a_refused_amendment_keeps_the_input_and_shows_the_message_at_the_field(login, sc, personas):
    db.session.commit()
    data = {
        "new_value": "25 000,00",
        "new_units": "50",
        "new_end_date": "2027-06-30",
        "reason": "Rodina potřebuje delší podporu.",
        "provider_consent": "Dopis č. j. 12/2026",
        "consent_on": "2026-12-01",  # next week: in the future
    }
    response = login(personas.ospod).post(f"/subcontracts/{sc.id}/amendments", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    typed, message = at_field(page, "consent_on")
    assert typed == "2026-12-01" and "nesmí být v budoucnosti" in message
    assert "Rodina potřebuje delší podporu.</textarea>" in page and 'value="25 000,00"' in page
    db.session.refresh(sc)
    assert sc.amendments == [] and sc.value == Decimal("20000.00")


def test_a_refused_rejection_keeps_the_reason_at_its_drawdown(login, sc, personas):
    drawdown = report(sc, personas, month=10)
    db.session.commit()
    ospod = login(personas.ospod)
    url = f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/reject"
    response = ospod.post(url, data={"reason": "Dítě 015101/1234 nepřišlo."})
    assert response.status_code == 200
    typed, message = at_field(response.get_data(as_text=True), f"rej-{drawdown.id}")
    assert typed == "Dítě 015101/1234 nepřišlo." and message == BIRTH_NUMBER_MESSAGE
    response = ospod.post(url, data={"reason": ""})
    assert at_field(response.get_data(as_text=True), f"rej-{drawdown.id}") == ("", "Toto pole je povinné.")
    db.session.refresh(drawdown)
    assert drawdown.status is DrawdownStatus.SUBMITTED


def test_a_second_decision_through_the_page_is_refused_on_the_page(login, sc, personas):
    drawdown = report(sc, personas, month=10)
    db.session.commit()
    ospod = login(personas.ospod)
    assert ospod.post(f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/confirm").status_code == 302
    response = ospod.post(f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/reject", data={"reason": "Pozdě."})
    assert response.status_code == 200
    assert "O tomto čerpání už bylo rozhodnuto (potvrzeno)." in response.get_data(as_text=True)
    db.session.refresh(drawdown)
    assert drawdown.status is DrawdownStatus.CONFIRMED and drawdown.rejection_reason is None


def test_a_bad_drawdown_on_a_closed_sub_contract_still_says_what_is_wrong(login, sc, personas):
    """The drawdown form has left the page of a completed sub-contract; a stale post's field errors
    are shown where it was."""
    service.complete(sc)
    db.session.commit()
    data = {"period": "2026-10", "units": "-1", "amount": "500"}
    response = login(personas.provider).post(f"/subcontracts/{sc.id}/drawdowns", data=data)
    assert response.status_code == 200
    assert "Poskytnuté jednotky: Číslo musí být v rozmezí" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Drawdown.id))) == 0


def test_a_refused_termination_keeps_the_reason(login, sc, personas):
    report(sc, personas, month=10)  # pending: it must be decided first
    db.session.commit()
    response = login(personas.ospod).post(f"/subcontracts/{sc.id}/terminate", data={"reason": "Rodina odešla."})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nejdřív potvrďte nebo zamítněte čerpání" in page and "Rodina odešla.</textarea>" in page
    db.session.refresh(sc)
    assert sc.is_active


def test_a_refused_registry_record_keeps_the_input_at_the_field(login, personas, kraj_pak):
    big = awarded(personas, kraj_pak, unit_price="1500")  # 60 000
    db.session.commit()
    data = {"registry_id": "RS-12", "published_on": "2026-11-20"}
    response = login(personas.ospod).post(f"/subcontracts/{big.id}/registry", data=data)
    assert response.status_code == 200
    typed, message = at_field(response.get_data(as_text=True), "registry_id")
    assert typed == "RS-12" and "je číslo" in message
    db.session.refresh(big)
    assert big.registry_pending


def test_another_orp_or_provider_cannot_touch_the_sub_contract(login, sc, personas):
    drawdown = report(sc, personas, month=10)
    db.session.commit()
    assert login(personas.ospod_other).post(f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/confirm").status_code == 403
    assert login(personas.interloper).get(f"/subcontracts/{sc.id}").status_code == 403
    assert login(personas.provider).post(f"/subcontracts/{sc.id}/drawdowns/{drawdown.id}/confirm").status_code == 403
    db.session.refresh(drawdown)
    assert drawdown.status is DrawdownStatus.SUBMITTED


def test_lists_filter_and_scope(login, personas, kraj_pak, kraj_kvk):
    big = awarded(personas, kraj_pak, unit_price="1500")
    small = awarded(personas, kraj_pak, unit_price="500", framework=big.framework)
    db.session.commit()

    def numbers(persona, query=""):
        page = login(personas[persona]).get(f"/subcontracts/{query}").get_data(as_text=True)
        return [n for n in (big.number, small.number) if n in page]

    assert numbers("ministry") == [big.number, small.number]
    assert numbers("provider") == [big.number, small.number] and numbers("interloper") == []
    assert numbers("kraj_other") == [] and numbers("ospod_other") == []
    assert numbers("ministry", "?registry=pending") == [big.number]
    assert numbers("ospod", "?registry=pending") == [big.number] and numbers("provider", "?registry=pending") == [
        big.number
    ]
    assert numbers("ministry", "?kraj=CZ041") == []
    assert numbers("ministry", f"?provider={personas.provider.provider.ico}&year=2026&category=terenni") == [
        big.number,
        small.number,
    ]
    assert numbers("ministry", "?year=2025") == []
    assert numbers("ministry", "?status=completed") == []
    page = login(personas.ministry).get("/subcontracts/?sort=-value").get_data(as_text=True)
    assert page.index(big.number) < page.index(small.number)
    page = login(personas.ministry).get("/subcontracts/?sort=value").get_data(as_text=True)
    assert page.index(small.number) < page.index(big.number)
    assert login(personas.ministry).get("/subcontracts/?year=99999999999&sort=x&status=y").status_code == 200


# --- the invariants under any sequence -----------------------------------------------------------
operations = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.integers(9, 11), st.decimals("0.5", "30", places=2), st.booleans()),
        st.tuples(st.just("confirm"), st.integers(0, 5)),
        st.tuples(st.just("reject"), st.integers(0, 5)),
        st.tuples(st.just("amend"), st.decimals("1", "120000", places=2)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_money_invariants_hold_after_any_sequence(personas, kraj_pak, steps):
    """drawn ≤ contracted and the framework's committed total ≤ its ceiling, to the haléř, whatever
    sequence of drawdowns, confirmations, rejections and amendments is tried (refusals included)."""
    savepoint = db.session.begin_nested()
    try:
        first = awarded(personas, kraj_pak, unit_price="1500", ceiling="100000")  # 60 000
        sc = awarded(personas, kraj_pak, unit_price="500", framework=first.framework)  # 20 000
        framework = sc.framework
        for step in steps:
            try:
                if step[0] == "report":
                    _, month, units, honest = step
                    amount = sc.unit_price * units if honest else sc.unit_price * units + Decimal("0.01")
                    service.report_drawdown(
                        sc,
                        personas.provider.provider,
                        period=dt.date(2026, month, 1),
                        units=units,
                        amount=amount,
                        reason=None if honest else "zaokrouhlení",
                    )
                elif step[0] in ("confirm", "reject"):
                    pending = [d for d in sc.drawdowns if d.status is DrawdownStatus.SUBMITTED]
                    if pending:
                        drawdown = pending[step[1] % len(pending)]
                        if step[0] == "confirm":
                            service.confirm_drawdown(drawdown)
                        else:
                            service.reject_drawdown(drawdown, "nesouhlasí výkaz")
                else:
                    service.amend(
                        sc,
                        new_value=step[1],
                        new_units=sc.units,
                        new_end_date=sc.end_date,
                        reason="změna rozsahu",
                        provider_consent="e-mail",
                        consent_on=clock.today(),
                    )
            except DomainError:
                pass
            db.session.flush()
            db.session.refresh(sc)
            assert service.drawn(sc) <= service.reserved(sc) <= sc.value
            assert committed_amount(framework) <= framework.ceiling
            assert committed_amount(framework) == first.value + sc.value
    finally:
        savepoint.rollback()


# --- numbers -------------------------------------------------------------------------------------
def test_sub_contract_numbers_run_per_kraj_and_year(personas, kraj_pak, kraj_kvk):
    assert service.allocate_number(kraj_pak, clock.today()) == ("DS-PAK-2026-0001", 2026, 1)
    first = awarded(personas, kraj_pak)
    assert (first.number, first.kraj_abbr, first.number_year, first.number_seq) == ("DS-PAK-2026-0001", "PAK", 2026, 1)
    # The next one of the same kraj and year; another kraj and another year each start at 1.
    assert service.allocate_number(kraj_pak, clock.today()) == ("DS-PAK-2026-0002", 2026, 2)
    assert service.allocate_number(kraj_kvk, clock.today()) == ("DS-KVK-2026-0001", 2026, 1)
    assert service.allocate_number(kraj_pak, dt.date(2027, 1, 4)) == ("DS-PAK-2027-0001", 2027, 1)


def test_the_database_refuses_two_sub_contracts_with_one_number(personas, kraj_pak):
    first = awarded(personas, kraj_pak)
    second = awarded(personas, kraj_pak, framework=first.framework)
    second.number_seq = first.number_seq
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


# Goes through demands.evaluation.award: passes with the numbering done where the row is written, whether
# the award calls contracts.allocate_number itself or leaves it to the flush.
def test_award_numbers_sub_contracts_without_gaps_after_unsuccessful_and_refused_awards(personas, kraj_pak):
    with clock.frozen_at(SEPTEMBER):
        framework = make_framework(kraj_pak, providers=[personas.provider.provider], ceiling=Decimal("50000"))
        nobody = make_demand(personas.ospod, publish=True, estimated_max_value=None)
        too_dear = make_demand(personas.ospod, publish=True, estimated_max_value=None)
        bid = make_bid(too_dear, personas.provider.provider, unit_price="1500")  # 60 000 > 50 000 ceiling
    with clock.frozen_at(SEPTEMBER + dt.timedelta(days=16)):
        evaluation.open_envelopes(nobody, personas.ospod)
        evaluation.close_unsuccessful(nobody, personas.ospod, "Nikdo nepodal nabídku.")
        seat_committee(too_dear, personas.ospod)
        evaluation.open_envelopes(too_dear, personas.ospod)
        bids.score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
        db.session.flush()
        with db.session.begin_nested(), pytest.raises(DomainError, match="strop"):
            evaluation.award(too_dear, personas.ospod)
    numbers = [awarded(personas, kraj_pak, framework=framework).number for _ in range(2)]
    assert numbers == ["DS-PAK-2026-0001", "DS-PAK-2026-0002"]


def test_the_migration_keeps_existing_numbers_and_reads_their_parts(tmp_path):
    """0011 on a database whose sub-contracts were numbered after their demands (DS-PAK-2026-0042):
    the numbers stay, their parts are read from them, a number it cannot read gets the next free
    place, and new numbers continue after the highest of each kraj and year."""
    from pathlib import Path

    from flask_migrate import downgrade, upgrade

    from minitendr import create_app
    from minitendr.registry.models import Kraj
    from minitendr.registry.service import load_reference_data
    from minitendr.seeding.synthetic import generate
    from tests.conftest import config_for_tests

    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/numbers.db"))
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        upgrade(directory=directory)
        load_reference_data(Path(app.config["SEED_DIR"]))
        generate(40, seed=3)
        db.session.commit()
        downgrade(directory=directory, revision="0010")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE subcontract SET number = 'DS-' || (SELECT number FROM demand WHERE id = demand_id)")
            )
            odd = conn.execute(sa.text("SELECT min(id) FROM subcontract")).scalar()
            conn.execute(sa.text("UPDATE subcontract SET number = 'SMLOUVA/1' WHERE id = :id"), {"id": odd})
            before = dict(conn.execute(sa.text("SELECT id, number FROM subcontract")).all())
        upgrade(directory=directory)
        subcontracts = db.session.scalars(sa.select(SubContract).order_by(SubContract.id)).all()
        assert {s.id: s.number for s in subcontracts} == before
        for s in subcontracts[1:]:
            assert s.number == f"DS-{s.kraj_abbr}-{s.number_year}-{s.number_seq:04d}"
        first = subcontracts[0]
        same = [
            s.number_seq
            for s in subcontracts[1:]
            if (s.kraj_abbr, s.number_year) == (first.kraj_abbr, first.signed_on.year)
        ]
        assert (first.kraj_abbr, first.number_year) == (first.orp.kraj.abbr, first.signed_on.year)
        assert first.number_seq == max(same, default=0) + 1
        kraj = db.session.scalar(sa.select(Kraj).where(Kraj.abbr == first.kraj_abbr))
        number, _year, seq = service.allocate_number(kraj, first.signed_on)
        assert seq == first.number_seq + 1 and number not in before.values()
        db.session.remove()
        db.engine.dispose()
