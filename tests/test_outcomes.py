"""Outcomes: OSPOD records what an ended sub-contract achieved against the demand's expected outcome,
the provider adds its final report, the kraj keeps the list of follow-ups, and the outcome rates per
ORP × needs area × category (and per provider) come from running totals that equal bare SQL."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.bids import service as bids
from minitendr.contracts import service as contracts
from minitendr.contracts.models import SubContract, SubContractStatus
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands.models import Demand
from minitendr.outcomes import service
from minitendr.outcomes.models import (
    FinalReport,
    FollowUp,
    Outcome,
    OutcomeNeed,
    OutcomeResult,
    OutcomeSummary,
    ProviderOutcomeSummary,
)
from minitendr.privacy import BIRTH_NUMBER_MESSAGE
from minitendr.registry.models import Kraj, Orp, ServiceCategory
from tests.factories import make_bid, make_demand, make_framework, message_at, seat_committee

pytestmark = pytest.mark.usefixtures("monday")

SEPTEMBER = dt.datetime(2026, 9, 1, 9, 0, tzinfo=clock.PRAGUE)
BIRTH_NUMBER = "Dítě 015101/1234 se vrátilo domů."


def awarded(ospod, provider, kraj, *, needs=("vztahy", "uceni"), service_type="SAS", framework=None):
    """A sub-contract of ``ospod``'s ORP held by ``provider``, awarded in September 2026."""
    with clock.frozen_at(SEPTEMBER):
        if framework is None:
            category = "terenni" if service_type == "SAS" else None
            framework = make_framework(kraj, category or "terenni", providers=[provider])
        demand = make_demand(ospod, service_type, publish=True, estimated_max_value=None, needs=list(needs))
        bid = make_bid(demand, provider)
    with clock.frozen_at(SEPTEMBER + dt.timedelta(days=16)):
        seat_committee(demand, ospod)
        evaluation.open_envelopes(demand, ospod)
        bids.score_bid(bid, 80, "Splňuje zadání.", by=ospod)
        subcontract = evaluation.award(demand, ospod)
    db.session.flush()
    return subcontract


def september_framework(kraj, providers, number):
    with clock.frozen_at(SEPTEMBER):
        return make_framework(kraj, "terenni", providers=providers, number=number)


def ended(subcontract: SubContract, terminate: bool = False) -> SubContract:
    if terminate:
        contracts.terminate(subcontract, "Rodina se odstěhovala.")
    else:
        contracts.complete(subcontract)
    db.session.flush()
    return subcontract


@pytest.fixture
def sc(personas, kraj_pak):
    return awarded(personas.ospod, personas.provider.provider, kraj_pak)


@pytest.fixture
def follow_ups(kraj_pak):
    together = service.add_follow_up(kraj_pak, "Rodina zůstává pohromadě")
    other = service.add_follow_up(kraj_pak, "Navazuje jiná služba")
    db.session.flush()
    return together, other


def page_of(client, sc) -> str:
    return client.get(f"/subcontracts/{sc.id}").get_data(as_text=True)


def outcome_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count(Outcome.id))) or 0


# --- OSPOD records the outcome -------------------------------------------------------------------
def test_ospod_records_the_outcome_of_a_completed_subcontract_and_the_page_shows_it(login, personas, sc, follow_ups):
    ended(sc)
    db.session.commit()
    client = login(personas.ospod)
    form = page_of(client, sc)
    assert "Zaznamenat výsledek" in form and sc.demand.expected_outcome in form
    response = client.post(
        f"/subcontracts/{sc.id}/outcome",
        data={"result": "partly", "follow_up": str(follow_ups[1].id), "note": "Školní docházka se zlepšila."},
    )
    assert response.status_code == 302
    outcome = db.session.scalar(sa.select(Outcome).where(Outcome.subcontract_id == sc.id))
    assert outcome is not None and outcome.result is OutcomeResult.PARTLY
    assert outcome.follow_up_id == follow_ups[1].id and outcome.recorded_by_id == personas.ospod.id
    assert {n.need for n in outcome.needs} == {"vztahy", "uceni"}
    page = page_of(client, sc)
    assert "částečně" in page and "Navazuje jiná služba" in page and "Školní docházka se zlepšila." in page
    assert "Zaznamenat výsledek" not in page
    # Audited on the sub-contract's trail, and it reads in Czech there.
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.object_type == "subcontract",
            AuditEvent.object_id == sc.id,
            AuditEvent.action == "subcontract.outcome_recorded",
        )
    ).one()
    assert event.actor_id == personas.ospod.id and event.data["result"] == "částečně"
    assert "Záznam výsledku" in page
    # The provider can read it (its own sub-contract) and is asked for its final report.
    provider_page = page_of(login(personas.provider), sc)
    assert "částečně" in provider_page and "Podat závěrečnou zprávu" in provider_page


def test_a_terminated_subcontract_takes_an_outcome_too(personas, sc, follow_ups):
    ended(sc, terminate=True)
    outcome = service.record_outcome(sc, result="not_met", follow_up_id=follow_ups[1].id, note="", user=personas.ospod)
    assert outcome.result is OutcomeResult.NOT_MET and sc.status is SubContractStatus.TERMINATED


def test_an_outcome_on_an_active_subcontract_is_refused_and_keeps_the_input(login, personas, sc, follow_ups):
    db.session.commit()
    response = login(personas.ospod).post(
        f"/subcontracts/{sc.id}/outcome",
        data={"result": "met", "follow_up": str(follow_ups[0].id), "note": "Pozor, ještě běží."},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "až po dokončení nebo předčasném ukončení" in page
    assert outcome_rows() == 0
    with pytest.raises(DomainError, match="až po dokončení"):
        service.record_outcome(sc, result="met", follow_up_id=follow_ups[0].id, note="")


def test_an_outcome_is_recorded_once(login, personas, sc, follow_ups):
    ended(sc)
    service.record_outcome(sc, result="met", follow_up_id=follow_ups[0].id, note="")
    db.session.commit()
    response = login(personas.ospod).post(
        f"/subcontracts/{sc.id}/outcome", data={"result": "not_met", "follow_up": str(follow_ups[1].id)}
    )
    assert response.status_code == 200 and "zaznamenává se jednou" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Outcome.result).where(Outcome.subcontract_id == sc.id)) is OutcomeResult.MET
    totals = db.session.execute(sa.select(sa.func.sum(OutcomeSummary.recorded), sa.func.sum(OutcomeSummary.met))).one()
    assert tuple(totals) == (2, 2)  # one outcome, in each of its two needs areas


@pytest.mark.parametrize("who", ["ospod_other", "kraj", "ministry", "admin", "provider"])
def test_nobody_but_the_orps_own_ospod_records_the_outcome(login, personas, sc, follow_ups, who):
    ended(sc)
    db.session.commit()
    response = login(personas[who]).post(
        f"/subcontracts/{sc.id}/outcome", data={"result": "met", "follow_up": str(follow_ups[0].id)}
    )
    assert response.status_code == 403 and outcome_rows() == 0


def test_a_missing_subcontract_is_404(login, personas):
    assert login(personas.ospod).post("/subcontracts/999999/outcome", data={"result": "met"}).status_code == 404
    assert login(personas.provider).post("/subcontracts/999999/final-report", data={"text": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"follow_up": "{together}"}, None, "Vyberte, zda byl očekávaný výsledek splněn."),
        ({"result": "skvele", "follow_up": "{together}"}, None, "Neplatná volba"),
        ({"result": "met"}, None, "Vyberte, co následovalo."),
        ({"result": "met", "follow_up": "abc"}, None, "Neplatná volba"),
        ({"result": "met", "follow_up": "{foreign}"}, None, "z nabízeného seznamu kraje"),
        ({"result": "met", "follow_up": "{retired}"}, None, "z nabízeného seznamu kraje"),
        ({"result": "met", "follow_up": "99999999999999999999"}, None, "z nabízeného seznamu kraje"),
        ({"result": "met", "follow_up": "{together}", "note": BIRTH_NUMBER}, "note", BIRTH_NUMBER_MESSAGE),
        ({"result": "met", "follow_up": "{together}", "note": "x" * 2001}, "note", "nejvýše 2000 znaků"),
    ],
)
def test_a_refused_outcome_comes_back_with_the_message_at_its_field_and_the_input_kept(
    login, personas, sc, follow_ups, kraj_kvk, data, field, message
):
    ended(sc)
    foreign = service.add_follow_up(kraj_kvk, "Rodina zůstává pohromadě")
    retired = service.add_follow_up(sc.orp.kraj, "Zrušená položka")
    service.retire_follow_up(retired)
    db.session.commit()
    ids = {"together": follow_ups[0].id, "foreign": foreign.id, "retired": retired.id}
    posted = {key: value.format(**ids) for key, value in data.items()}
    response = login(personas.ospod).post(f"/subcontracts/{sc.id}/outcome", data=posted)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert message in page
    assert "Formulář obsahuje chyby" in page
    if field is not None:
        assert message in (message_at(page, field) or "")
    if "note" in posted and len(posted["note"]) < 100:
        assert posted["note"] in page  # what was typed is kept
    if posted.get("result") in {"met", "partly", "not_met"}:
        assert re.search(rf'value="{posted["result"]}"[^>]*checked|checked[^>]*value="{posted["result"]}"', page)
    assert outcome_rows() == 0


def test_the_service_refuses_a_birth_number_in_the_note_even_without_the_form(personas, sc, follow_ups):
    ended(sc)
    with pytest.raises(DomainError) as refused:
        service.record_outcome(sc, result="met", follow_up_id=follow_ups[0].id, note="RČ 0151011234")
    assert refused.value.field == "note" and refused.value.message == BIRTH_NUMBER_MESSAGE


def test_without_a_kraj_list_the_follow_up_may_stay_empty(personas, sc):
    ended(sc)
    outcome = service.record_outcome(sc, result="met", follow_up_id=None, note="", user=personas.ospod)
    assert outcome.follow_up_id is None


# --- the provider's final report -----------------------------------------------------------------
def test_the_provider_adds_its_final_report_once_after_the_end(login, personas, sc):
    db.session.commit()
    client = login(personas.provider)
    early = client.post(f"/subcontracts/{sc.id}/final-report", data={"text": "Hotovo."})
    assert early.status_code == 200 and "až po dokončení" in early.get_data(as_text=True)
    ended(sc)
    db.session.commit()
    assert "Podat závěrečnou zprávu" in page_of(client, sc)
    response = client.post(f"/subcontracts/{sc.id}/final-report", data={"text": "Cíle plánu byly naplněny."})
    assert response.status_code == 302
    report = db.session.scalars(sa.select(FinalReport).where(FinalReport.subcontract_id == sc.id)).one()
    assert report.provider_id == personas.provider.provider_id and report.submitted_by_id == personas.provider.id
    again = client.post(f"/subcontracts/{sc.id}/final-report", data={"text": "Ještě jednou."})
    assert again.status_code == 200 and "už byla podána" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FinalReport.id))) == 1
    ospod_page = page_of(login(personas.ospod), sc)
    assert "Cíle plánu byly naplněny." in ospod_page and "Závěrečná zpráva poskytovatele" in ospod_page
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.object_id == sc.id, AuditEvent.action == "subcontract.final_report"
        )
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Toto pole je povinné."), ("   ", "Toto pole je povinné."), (BIRTH_NUMBER, BIRTH_NUMBER_MESSAGE)],
)
def test_a_refused_final_report_keeps_the_text_with_the_message_at_it(login, personas, sc, text, message):
    ended(sc)
    db.session.commit()
    response = login(personas.provider).post(f"/subcontracts/{sc.id}/final-report", data={"text": text})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and message_at(page, "text") == message
    if text.strip():
        assert text in page
    assert db.session.scalar(sa.select(sa.func.count(FinalReport.id))) == 0


@pytest.mark.parametrize("who", ["interloper", "ospod", "kraj", "admin"])
def test_only_the_subcontracts_provider_writes_the_final_report(login, personas, sc, who):
    ended(sc)
    db.session.commit()
    response = login(personas[who]).post(f"/subcontracts/{sc.id}/final-report", data={"text": "Cizí zpráva."})
    assert response.status_code == 403
    with pytest.raises(DomainError, match="jen poskytovatel"):
        service.submit_final_report(sc, personas.interloper.provider, "Cizí zpráva.")


# --- the kraj's list of follow-ups ---------------------------------------------------------------
def test_the_kraj_keeps_its_list_of_follow_ups(login, personas, kraj_pak):
    client = login(personas.kraj)
    assert client.post("/outcomes/follow-ups/CZ053", data={"label": "  Rodina   zůstává pohromadě "}).status_code == 302
    follow_up = db.session.scalars(sa.select(FollowUp).where(FollowUp.kraj_id == kraj_pak.id)).one()
    assert follow_up.label == "Rodina zůstává pohromadě" and follow_up.active
    # The same words again (in other letter case) are refused at the field, the input kept.
    again = client.post("/outcomes/follow-ups/CZ053", data={"label": "RODINA ZŮSTÁVÁ POHROMADĚ"})
    page = html.unescape(again.get_data(as_text=True))
    assert again.status_code == 200 and "už v seznamu je" in (message_at(page, "label") or "")
    assert 'value="RODINA ZŮSTÁVÁ POHROMADĚ"' in page
    refused = html.unescape(client.post("/outcomes/follow-ups/CZ053", data={"label": BIRTH_NUMBER}).get_data(True))
    assert message_at(refused, "label") == BIRTH_NUMBER_MESSAGE
    # Retired, it is no longer offered to OSPOD; reinstated, it is again.
    assert client.post(f"/outcomes/follow-ups/CZ053/{follow_up.id}/retire").status_code == 302
    db.session.refresh(follow_up)
    assert not follow_up.active
    assert service.follow_ups(kraj_pak.id) == []
    assert client.post(f"/outcomes/follow-ups/CZ053/{follow_up.id}/retire").status_code == 302  # refused: flashed
    assert client.post(f"/outcomes/follow-ups/CZ053/{follow_up.id}/reinstate").status_code == 302
    assert [f.label for f in service.follow_ups(kraj_pak.id)] == ["Rodina zůstává pohromadě"]
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "follow_up").order_by(AuditEvent.id)
    ).all()
    assert actions == ["follow_up.created", "follow_up.retired", "follow_up.reinstated"]
    assert "Rodina zůstává pohromadě" in client.get("/outcomes/follow-ups/CZ053").get_data(as_text=True)
    assert "/outcomes/follow-ups/CZ053" in client.get("/registry/kraje/CZ053").get_data(as_text=True)


def test_another_krajs_official_can_neither_change_nor_read_the_list(login, personas, kraj_pak):
    follow_up = service.add_follow_up(kraj_pak, "Navazuje jiná služba")
    db.session.commit()
    client = login(personas.kraj_other)
    assert client.get("/outcomes/follow-ups/CZ053").status_code == 403
    assert client.post("/outcomes/follow-ups/CZ053", data={"label": "Vetřelec"}).status_code == 403
    assert client.post(f"/outcomes/follow-ups/CZ053/{follow_up.id}/retire").status_code == 403
    # Its own kraj's address with another kraj's item: 404, not a change.
    assert client.post(f"/outcomes/follow-ups/CZ041/{follow_up.id}/retire").status_code == 404
    assert db.session.get(FollowUp, follow_up.id).active
    assert login(personas.kraj).get("/outcomes/follow-ups/CZ999").status_code == 404


def test_ospod_reads_its_krajs_list_but_does_not_change_it(login, personas, kraj_pak):
    service.add_follow_up(kraj_pak, "Navazuje jiná služba")
    db.session.commit()
    page = login(personas.ospod).get("/outcomes/follow-ups/CZ053").get_data(as_text=True)
    assert "Navazuje jiná služba" in page and "Přidat položku" not in page and "Vyřadit" not in page


# --- the rates -----------------------------------------------------------------------------------
@pytest.fixture
def four_outcomes(personas, kraj_pak, kraj_kvk, orp_cheb, follow_ups):
    """Pardubice: two outcomes of the persona provider (met in vztahy+učení, not met in bezpečí), one
    partly met of another provider in vztahy; Cheb: one met in vztahy."""
    from minitendr.auth.models import Role
    from tests.factories import ProviderFactory, UserFactory

    provider = personas.provider.provider
    other = ProviderFactory(name="Druhý poskytovatel, z.ú.")
    framework = september_framework(kraj_pak, [provider, other], "RS-PAK-OUT")
    first = awarded(personas.ospod, provider, kraj_pak, needs=("vztahy", "uceni"), framework=framework)
    second = awarded(personas.ospod, provider, kraj_pak, needs=("bezpeci",), framework=framework)
    third = awarded(personas.ospod, other, kraj_pak, needs=("vztahy",), framework=framework)
    cheb_ospod = UserFactory(email="ospod2.cheb@test.cz", role=Role.OSPOD, orp=orp_cheb)
    fourth = awarded(cheb_ospod, provider, kraj_kvk, needs=("vztahy",))
    for subcontract, result in ((first, "met"), (second, "not_met"), (third, "partly"), (fourth, "met")):
        ended(subcontract)
        kraj_follow_up = follow_ups[0].id if subcontract.orp.kraj_id == kraj_pak.id else None
        service.record_outcome(subcontract, result=result, follow_up_id=kraj_follow_up, note="")
    db.session.flush()
    return first, second, third, fourth


def bare_rates() -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    """ORP code × need × category → (recorded, met, partly, not met), straight from the records:
    the sub-contracts, their demands' needs areas (JSON, read in Python) and the outcomes."""
    rows = db.session.execute(
        sa.select(Orp.code, Demand.needs, ServiceCategory.code, Outcome.result)
        .select_from(Outcome)
        .join(SubContract, SubContract.id == Outcome.subcontract_id)
        .join(Demand, Demand.id == SubContract.demand_id)
        .join(Orp, Orp.id == SubContract.orp_id)
        .join(ServiceCategory, ServiceCategory.id == SubContract.category_id)
    ).all()
    found: dict[tuple[str, str, str], list[int]] = {}
    for orp, needs, category, result in rows:
        for need in set(needs):
            counts = found.setdefault((orp, need, category), [0, 0, 0, 0])
            counts[0] += 1
            counts[["met", "partly", "not_met"].index(result) + 1] += 1
    return {key: tuple(value) for key, value in found.items()}


def as_dict(found) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    return {
        (r.orp_code, r.need, r.category_code): (r.counts.recorded, r.counts.met, r.counts.partly, r.counts.not_met)
        for r in found
    }


def test_rates_per_orp_need_and_category_equal_bare_sql_and_a_rebuild(four_outcomes):
    found = service.rates()
    assert as_dict(found) == bare_rates()
    assert as_dict(found)[("5309", "vztahy", "terenni")] == (2, 1, 1, 0)  # a demand counts in each area
    assert as_dict(found)[("5309", "uceni", "terenni")] == (1, 1, 0, 0)
    assert as_dict(found)[("5309", "bezpeci", "terenni")] == (1, 0, 0, 1)
    assert [r.orp_name for r in found] == sorted(r.orp_name for r in found)  # ORP name, then need order
    assert totals_kept() == rebuilt()


def totals_kept() -> dict[str, set[tuple]]:
    return {
        model.__tablename__: set(db.session.execute(sa.select(*model.__table__.columns)).all())
        for model in (OutcomeSummary, ProviderOutcomeSummary)
    }


def rebuilt() -> dict[str, set[tuple]]:
    kept = totals_kept()
    service.rebuild()
    assert all(kept.values())
    return totals_kept()


def test_rates_per_provider_in_a_kraj_count_each_outcome_once(four_outcomes, personas, kraj_pak, kraj_kvk):
    found = {(r.ico, r.category_code): r.counts for r in service.provider_rates(kraj_pak)}
    own, other = personas.provider.provider.ico, four_outcomes[2].provider.ico
    assert found == {(own, "terenni"): service.Counts(2, 1, 0, 1), (other, "terenni"): service.Counts(1, 0, 1, 0)}
    assert [(r.ico, r.counts.recorded) for r in service.provider_rates(kraj_kvk)] == [(own, 1)]
    assert service.provider_rates(kraj_pak, year=2025) == []


def test_the_krajs_outcome_page_compares_providers_for_the_kraj_and_the_ministry_only(login, personas, four_outcomes):
    db.session.commit()
    other = four_outcomes[2].provider.name
    for who in ("kraj", "ministry"):
        page = html.unescape(login(personas[who]).get("/outcomes/kraje/CZ053").get_data(as_text=True))
        assert "Podle ORP a oblasti potřeb" in page and other in page, who
        assert re.search(r"Pardubice</td><th scope=\"row\">Vztahy</th><td class=\"money\">2</td>", page)
    ospod = html.unescape(login(personas.ospod).get("/outcomes/kraje/CZ053").get_data(as_text=True))
    assert "Podle ORP a oblasti potřeb" in ospod and other not in ospod and "Podle poskytovatele" not in ospod
    empty = login(personas.kraj).get("/outcomes/kraje/CZ053?year=2020").get_data(as_text=True)
    assert "Zatím žádný zaznamenaný výsledek." in empty
    assert login(personas.kraj).get("/outcomes/kraje/CZ053?year=abc").status_code == 200
    assert login(personas.kraj_other).get("/outcomes/kraje/CZ053").status_code == 403
    assert login(personas.ministry).get("/outcomes/kraje/XX").status_code == 404


def test_rates_are_filtered_by_kraj_orp_need_category_year_and_provider(
    four_outcomes, personas, kraj_pak, kraj_kvk, orp_cheb
):
    pobytove = db.session.execute(sa.select(ServiceCategory).where(ServiceCategory.code == "pobytove")).scalar_one()
    assert {r.kraj_code for r in service.rates(kraj=kraj_kvk)} == {"CZ041"}
    assert {r.orp_code for r in service.rates(orp=orp_cheb)} == {"4102"}
    vztahy = service.rates(need="vztahy")
    assert {r.need for r in vztahy} == {"vztahy"} and vztahy[0].need_label == "Vztahy"
    assert service.rates(category=pobytove) == []
    assert service.rates(year=2026) == service.rates() and service.rates(year=2025) == []
    # One provider's rates, from its own outcomes: the other provider's partly met one is not there.
    own = as_dict(service.rates(kraj=kraj_pak, provider=personas.provider.provider))
    assert own == {
        ("5309", "vztahy", "terenni"): (1, 1, 0, 0),
        ("5309", "uceni", "terenni"): (1, 1, 0, 0),
        ("5309", "bezpeci", "terenni"): (1, 0, 0, 1),
    }
    everywhere = as_dict(service.rates(provider=personas.provider.provider))
    assert everywhere[("4102", "vztahy", "terenni")] == (1, 1, 0, 0)
    with pytest.raises(ValueError):
        service.rates(need="stesti")


def test_combined_rates_give_the_coverage_cells_and_the_share(four_outcomes):
    cells = service.combine(service.rates(), "orp_code", "need")
    vztahy = cells[("5309", "vztahy")]
    assert (vztahy.recorded, vztahy.met_share, vztahy.partly_share, vztahy.not_met_share) == (2, 50, 50, 0)
    assert service.Counts().met_share is None
    assert service.Counts(3, 1, 1, 1).met_share == Decimal("33.3")


def test_running_totals_count_concurrent_outcomes_by_adding(personas, kraj_pak, follow_ups):
    """Two outcomes in the same ORP × need × category add up in one row (an upsert, not a read-modify-write)."""
    first = ended(awarded(personas.ospod, personas.provider.provider, kraj_pak, needs=("chovani",)))
    framework = first.framework
    second = ended(
        awarded(personas.ospod, personas.provider.provider, kraj_pak, needs=("chovani",), framework=framework)
    )
    service.record_outcome(first, result="met", follow_up_id=follow_ups[0].id, note="")
    service.record_outcome(second, result="not_met", follow_up_id=follow_ups[1].id, note="")
    row = db.session.execute(sa.select(OutcomeSummary).where(OutcomeSummary.need == "chovani")).scalar_one()
    assert (row.recorded, row.met, row.partly, row.not_met) == (2, 1, 0, 1)


# --- the provider's page -------------------------------------------------------------------------
def test_the_provider_page_shows_outcome_rates_to_the_kraj_the_ministry_and_the_provider_itself(
    login, personas, four_outcomes
):
    db.session.commit()
    url = f"/providers/{personas.provider.provider_id}"
    kraj = html.unescape(login(personas.kraj).get(url).get_data(as_text=True))
    assert "Výsledky dílčích smluv – Pardubický kraj" in kraj
    assert "Splněno – Pardubický kraj" in kraj  # compared with the kraj
    assert "Rodina zůstává pohromadě: 2×" in kraj
    # The kraj official sees its kraj's part: two outcomes there, not the one in Cheb.
    assert re.search(r"Terénní[^<]*</th><td class=\"money\">2</td><td class=\"money\">50,0 %", kraj)
    ministry = html.unescape(login(personas.ministry).get(url).get_data(as_text=True))
    assert re.search(r"Terénní[^<]*</th><td class=\"money\">3</td>", ministry) and "celá ČR" in ministry
    own = html.unescape(login(personas.provider).get(url).get_data(as_text=True))
    assert "Výsledky dílčích smluv" in own and "Splněno –" not in own  # no comparison with others
    for who in ("ospod", "admin"):
        assert "Výsledky dílčích smluv" not in login(personas[who]).get(url).get_data(as_text=True), who
    assert login(personas.interloper).get(url).status_code == 403


def test_the_pages_ask_the_database_a_constant_number_of_times(login, personas, kraj_pak, follow_ups, statements):
    framework = september_framework(kraj_pak, [personas.provider.provider], "RS-PAK-Q")
    subcontracts = [
        ended(awarded(personas.ospod, personas.provider.provider, kraj_pak, framework=framework)) for _ in range(3)
    ]
    service.record_outcome(subcontracts[0], result="met", follow_up_id=follow_ups[0].id, note="")
    db.session.commit()
    url = f"/providers/{personas.provider.provider_id}"
    client = login(personas.kraj)
    with statements() as one:
        client.get(url)
    for subcontract in subcontracts[1:]:
        service.record_outcome(subcontract, result="partly", follow_up_id=follow_ups[1].id, note="")
    db.session.commit()
    with statements() as three:
        client.get(url)
    assert len(one) == len(three) <= 15
    ospod = login(personas.ospod)
    ospod.get(f"/subcontracts/{subcontracts[0].id}")  # what a first request sets up is not the page's cost
    with statements() as recorded:
        ospod.get(f"/subcontracts/{subcontracts[0].id}")
    with statements() as open_form:
        ospod.get(f"/subcontracts/{subcontracts[1].id}")
    # The sub-contract's page also carries its documents and its registr smluv section: a fixed cost.
    assert len(recorded) <= 24 and len(open_form) <= 24


# --- the demo ------------------------------------------------------------------------------------
def test_the_demo_has_outcomes_on_ended_subcontracts_only_and_its_totals_hold(demo_app):
    outcomes = db.session.scalar(sa.select(sa.func.count(Outcome.id)))
    ended_count = db.session.scalar(
        sa.select(sa.func.count(SubContract.id)).where(SubContract.status != SubContractStatus.ACTIVE)
    )
    assert 0 < outcomes < ended_count  # most ended sub-contracts have one, a few wait for OSPOD
    on_active = db.session.scalar(
        sa.select(sa.func.count(Outcome.id))
        .join(SubContract, SubContract.id == Outcome.subcontract_id)
        .where(SubContract.status == SubContractStatus.ACTIVE)
    )
    assert on_active == 0
    assert {r for (r,) in db.session.execute(sa.select(Outcome.result).distinct())} == set(OutcomeResult)
    assert db.session.scalar(sa.select(sa.func.count(FinalReport.id))) > 0
    for kraj in db.session.scalars(sa.select(Kraj).where(Kraj.code.in_(["CZ053", "CZ041"]))):
        assert len(service.follow_ups(kraj.id)) >= 5
    assert as_dict(service.rates()) == bare_rates()
    needs = db.session.scalar(sa.select(sa.func.count()).select_from(OutcomeNeed))
    assert db.session.scalar(sa.select(sa.func.sum(OutcomeSummary.recorded))) == needs
    assert db.session.scalar(sa.select(sa.func.sum(ProviderOutcomeSummary.recorded))) == outcomes
    assert totals_kept() == rebuilt()
    # Seeding again adds nothing.
    from minitendr.seeding.outcomes import seed_outcomes

    assert seed_outcomes() == {"outcomes": 0}


def test_outcome_rates_join_the_coverage_figures_and_the_map(login, personas, four_outcomes):
    """The network's cells carry the outcomes of their ORP × area (equal to the records), the map and
    its table switch to the share of met outcomes, and an ORP with none reads "bez údaje"."""
    from xml.etree import ElementTree

    from minitendr.network import coverage

    cells = coverage.cells(coverage.NetworkFilters(), personas.kraj)
    found = {
        (c.orp_code, c.need): (c.outcomes.recorded, c.outcomes.met, c.outcomes.partly, c.outcomes.not_met)
        for c in cells
        if c.outcomes.recorded
    }
    bare = {(orp, need): counts for (orp, need, _category), counts in bare_rates().items() if orp.startswith("53")}
    assert found == bare  # Pardubický kraj's ORPs only: Cheb is another kraj's
    # Over all areas an outcome counts in each area it lists: 2 met of 4 in Pardubice.
    assert coverage.orp_values(cells, "outcomes_met")["5309"] == Decimal("50.0")
    assert coverage.orp_values(cells, "outcomes_met")["5311"] is None
    # The kraj's map, and the national one (which reads the outcomes only for this metric).
    for reader in (personas.kraj, personas.ministry):
        page = login(reader).get("/network/?metric=outcomes_met&need=uceni").get_data(as_text=True)
        svg = ElementTree.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))
        titles = {
            p.get("data-orp"): p.find("{http://www.w3.org/2000/svg}title").text
            for p in svg.iter("{http://www.w3.org/2000/svg}path")
            if p.get("data-orp")
        }
        assert titles["5309"] == "Pardubice: Splněné výsledky: 100,0\xa0%"
        assert titles["5311"] == "Přelouč: Splněné výsledky: bez údaje"
    orp_page = html.unescape(login(personas.ospod).get("/network/orp/5309").get_data(as_text=True))
    assert "zaznamenáno 2: splněno 1 (50,0 %), částečně 1, nesplněno 0" in orp_page  # vztahy
    assert "zaznamenáno 1: splněno 0 (0,0 %), částečně 0, nesplněno 1" in orp_page  # bezpečí
