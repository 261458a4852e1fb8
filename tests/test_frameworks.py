"""Framework contracts and their parties: life cycle, refusals, audit, scoping per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.models import AuditEvent
from minitendr.db import DomainError, db
from minitendr.frameworks import service
from minitendr.frameworks.models import FrameworkContract, FrameworkParty, FrameworkStatus, PartyStatus
from minitendr.registry.models import ServiceCategory
from tests.factories import ProviderFactory, make_framework


def actions(framework) -> list[str]:
    stmt = (
        sa.select(AuditEvent.action)
        .where(AuditEvent.object_type == "framework_contract", AuditEvent.object_id == framework.id)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(stmt))


def category(code: str) -> ServiceCategory:
    return db.session.execute(sa.select(ServiceCategory).where(ServiceCategory.code == code)).scalar_one()


def framework_form(kraj, **overrides) -> dict:
    """What a kraj official types into the new-framework form."""
    data = {
        "number": "RS-NEW",
        "kraj_id": kraj.id,
        "category_id": category("terenni").id,
        "title": "Terénní služby",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "ceiling": "1000",
        "price_weight": "60",
        "quality_weight": "40",
        "bid_period_days": "10",
    }
    return data | overrides


def count_frameworks() -> int:
    return db.session.scalar(sa.select(sa.func.count(FrameworkContract.id)))


@pytest.fixture
def providers():
    return [ProviderFactory() for _ in range(3)]


@pytest.fixture
def draft(kraj_pak, providers):
    return make_framework(kraj_pak, providers=providers[:1], active=False)


# --- life cycle ----------------------------------------------------------------------------------
def test_kraj_official_creates_a_draft_through_the_form(login, personas, kraj_pak):
    client = login(personas.kraj)
    data = {
        "number": "RS-PAK-2026-01",
        "kraj_id": kraj_pak.id,
        "category_id": category("terenni").id,
        "title": "Terénní služby pro rodiny",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "ceiling": "12 500 000,50",
        "price_weight": "70",
        "quality_weight": "30",
        "bid_period_days": "10",
    }
    response = client.post("/frameworks/new", data=data)
    assert response.status_code == 302
    framework = db.session.execute(sa.select(FrameworkContract)).scalar_one()
    assert framework.status is FrameworkStatus.DRAFT and framework.ceiling == Decimal("12500000.50")
    assert (framework.price_weight, framework.quality_weight) == (70, 30)
    assert actions(framework) == ["framework.created"]


def test_activation_needs_an_active_party(kraj_pak):
    framework = make_framework(kraj_pak, active=False)
    with pytest.raises(DomainError, match="bez alespoň jedné aktivní smluvní strany"):
        service.activate_framework(framework)
    assert framework.status is FrameworkStatus.DRAFT


def test_activation_with_a_suspended_party_only_is_refused(draft):
    service.suspend_party(draft.parties[0], "neplní kvalitu")
    with pytest.raises(DomainError, match="aktivní smluvní strany"):
        service.activate_framework(draft)


def test_activation_makes_the_framework_active_and_is_audited(draft):
    service.activate_framework(draft)
    assert draft.status is FrameworkStatus.ACTIVE and draft.state is FrameworkStatus.ACTIVE
    assert draft.activated_at is not None
    assert actions(draft) == ["framework.created", "framework.party_added", "framework.activated"]
    with pytest.raises(DomainError, match="Aktivovat lze jen návrh"):
        service.activate_framework(draft)


def test_activation_after_the_validity_ended_is_refused(kraj_pak, providers):
    framework = make_framework(
        kraj_pak,
        providers=providers[:1],
        active=False,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2021, 12, 31),
    )
    with pytest.raises(DomainError, match="Platnost rámcové smlouvy už skončila"):
        service.activate_framework(framework)


def test_overlapping_active_frameworks_of_a_kraj_and_category_are_refused(kraj_pak, providers):
    make_framework(kraj_pak, providers=providers[:1], number="RS-1")
    second = make_framework(kraj_pak, providers=providers[:1], number="RS-2", active=False)
    with pytest.raises(DomainError, match="překrývající se platností"):
        service.activate_framework(second)
    assert second.status is FrameworkStatus.DRAFT


def test_frameworks_may_follow_each_other_or_differ_in_category_or_kraj(kraj_pak, kraj_kvk, providers):
    first = make_framework(kraj_pak, providers=providers[:1], number="RS-1")
    make_framework(
        kraj_pak,
        providers=providers[:1],
        number="RS-2",
        valid_from=first.valid_to + dt.timedelta(days=1),
        valid_to=first.valid_to + dt.timedelta(days=365),
    )
    make_framework(kraj_pak, "pobytove", providers=providers[:1], number="RS-3")
    make_framework(kraj_kvk, providers=providers[:1], number="RS-4")
    assert db.session.scalar(sa.select(sa.func.count()).where(FrameworkContract.status == "active")) == 4


def test_a_terminated_framework_no_longer_blocks_a_new_one(kraj_pak, providers):
    first = make_framework(kraj_pak, providers=providers[:1], number="RS-1")
    with pytest.raises(DomainError, match="překrývající se platností"):
        make_framework(kraj_pak, providers=providers[:1], number="RS-OVERLAP")
    service.terminate_framework(first, "nahrazena novou smlouvou")
    second = make_framework(kraj_pak, providers=providers[:1], number="RS-2")
    assert first.state is FrameworkStatus.TERMINATED and second.state is FrameworkStatus.ACTIVE


def test_termination_needs_a_reason_and_an_active_framework(draft):
    with pytest.raises(DomainError, match="Ukončit lze jen platnou"):
        service.terminate_framework(draft, "důvod")
    service.activate_framework(draft)
    with pytest.raises(DomainError, match="Uveďte důvod ukončení"):
        service.terminate_framework(draft, "   ")
    service.terminate_framework(draft, "Kraj vypověděl smlouvu.")
    assert draft.state is FrameworkStatus.TERMINATED and draft.termination_reason == "Kraj vypověděl smlouvu."
    assert actions(draft)[-1] == "framework.terminated"
    with pytest.raises(DomainError, match="nelze měnit"):
        service.update_framework(draft, title="Jiný název")


def test_expiry_follows_from_the_date(draft):
    service.activate_framework(draft)
    db.session.flush()
    later = dt.datetime.combine(draft.valid_to + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    with clock.frozen_at(later):
        assert draft.state is FrameworkStatus.EXPIRED
        expired = db.session.scalars(sa.select(FrameworkContract.id).where(FrameworkContract.state == "expired"))
        assert list(expired) == [draft.id]
        with pytest.raises(DomainError, match="vypršela"):
            service.terminate_framework(draft, "pozdě")
        with pytest.raises(DomainError, match="nelze přidávat"):
            service.add_party(draft, ProviderFactory(), draft.valid_to)
    assert draft.state is FrameworkStatus.ACTIVE


def test_a_draft_can_be_deleted_but_an_active_framework_cannot(login, personas, kraj_pak, providers):
    draft = make_framework(kraj_pak, providers=providers[:1], active=False, number="RS-D")
    active = make_framework(kraj_pak, "pobytove", providers=providers[:1], number="RS-A")
    db.session.commit()
    client = login(personas.kraj)
    assert client.post(f"/frameworks/{active.id}/delete").status_code == 302
    assert client.post(f"/frameworks/{draft.id}/delete").status_code == 302
    assert db.session.scalars(sa.select(FrameworkContract.number)).all() == ["RS-A"]
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "framework.deleted"))


# --- changing terms ------------------------------------------------------------------------------
def test_changing_the_ceiling_of_an_active_framework_needs_a_reason_and_is_audited(draft):
    service.activate_framework(draft)
    with pytest.raises(DomainError, match="zdůvodněte"):
        service.update_framework(draft, ceiling=Decimal("6000000.00"))
    service.update_framework(draft, reason="Navýšení rozpočtu kraje", ceiling=Decimal("6000000.00"))
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "framework.updated")).one()
    assert event.data == {"ceiling": ["5000000.00", "6000000.00"], "reason": "Navýšení rozpočtu kraje"}


def test_changing_weights_of_an_active_framework_needs_a_reason(draft):
    service.activate_framework(draft)
    with pytest.raises(DomainError, match="zdůvodněte"):
        service.update_framework(draft, price_weight=50, quality_weight=50)
    service.update_framework(draft, reason="Důraz na kvalitu", price_weight=50, quality_weight=50)
    assert (draft.price_weight, draft.quality_weight) == (50, 50)


def test_validity_and_number_of_an_active_framework_are_fixed(draft):
    service.activate_framework(draft)
    with pytest.raises(DomainError, match="lze měnit jen název"):
        service.update_framework(draft, valid_to=draft.valid_to + dt.timedelta(days=1))
    with pytest.raises(DomainError, match="lze měnit jen název"):
        service.update_framework(draft, number="JINE-CISLO")


def test_title_of_an_active_framework_changes_without_a_reason(draft):
    service.activate_framework(draft)
    old = draft.title
    assert service.update_framework(draft, title="Nový název") == {"title": [old, "Nový název"]}
    assert draft.title == "Nový název"


def test_the_ceiling_never_drops_below_what_is_committed(draft, monkeypatch):
    service.activate_framework(draft)
    monkeypatch.setattr(service, "committed_amount", lambda framework: Decimal("4000000.00"))
    with pytest.raises(DomainError, match="pod částku, kterou už zavazují"):
        service.update_framework(draft, reason="škrty", ceiling=Decimal("3999999.99"))
    service.update_framework(draft, reason="škrty", ceiling=Decimal("4000000.00"))
    assert draft.ceiling == Decimal("4000000.00")


BAD_TERMS = [
    ({"price_weight": "60", "quality_weight": "30"}, "musí dát dohromady 100 % (teď 90 %)"),
    ({"price_weight": "101", "quality_weight": "-1"}, "Číslo musí být v rozmezí 0 až 100."),
    ({"valid_from": "2027-01-01", "valid_to": "2026-12-31"}, "Konec platnosti nesmí předcházet jejímu začátku."),
    ({"ceiling": "0"}, "Číslo musí být v rozmezí 0,01 až 10 000 000 000,00 Kč."),
    ({"ceiling": "-100"}, "Číslo musí být v rozmezí"),
    ({"ceiling": "10 000 000 000,01"}, "Číslo musí být v rozmezí"),
    ({"ceiling": "1000,001"}, "nejvýše na haléře"),
    ({"ceiling": "hodně"}, "Zadejte číslo, například 1 234,50."),
    ({"ceiling": ""}, "Toto pole je povinné."),
    ({"valid_from": "31. 12. 2026"}, "Zadejte platné datum."),
    ({"bid_period_days": "0"}, "Číslo musí být v rozmezí 1 až 60."),
    ({"bid_period_days": "deset"}, "Zadejte celé číslo."),
    ({"title": "T" * 201}, "Pole může mít nejvýše 200 znaků."),
    ({"number": ""}, "Toto pole je povinné."),
    ({"number": "EXISTING"}, "už existuje"),
    ({"category_id": "999"}, "Neplatná volba"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_TERMS, ids=[m[:30] for _, m in BAD_TERMS])
def test_bad_framework_input_gets_a_czech_message_and_stores_nothing(
    login, personas, kraj_pak, draft, overrides, message
):
    db.session.commit()
    data = {
        "number": "RS-NEW",
        "kraj_id": kraj_pak.id,
        "category_id": category("poradenstvi").id,
        "title": "Poradenství",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "ceiling": "1000000",
        "price_weight": "60",
        "quality_weight": "40",
        "bid_period_days": "10",
    } | overrides
    data = {k: draft.number if v == "EXISTING" else v for k, v in data.items()}
    before = count_frameworks()
    response = login(personas.kraj).post("/frameworks/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).replace("\xa0", " ")
    assert count_frameworks() == before


def test_kraj_official_cannot_create_a_framework_for_another_kraj(login, personas, kraj_kvk):
    data = framework_form(kraj_kvk, number="RS-X")
    response = login(personas.kraj).post("/frameworks/new", data=data)
    assert response.status_code == 200 and "Neplatná volba" in response.get_data(as_text=True)
    assert count_frameworks() == 0


def test_admin_creates_frameworks_for_any_kraj(login, personas, kraj_kvk):
    data = framework_form(kraj_kvk, number="RS-KVK")
    assert login(personas.admin).post("/frameworks/new", data=data).status_code == 302
    assert db.session.execute(sa.select(FrameworkContract)).scalar_one().kraj_id == kraj_kvk.id


def test_editing_an_active_framework_through_the_form(login, personas, draft):
    service.activate_framework(draft)
    db.session.commit()
    client = login(personas.kraj)
    data = {
        "number": draft.number,
        "title": draft.title,
        "valid_from": draft.valid_from.isoformat(),
        "valid_to": draft.valid_to.isoformat(),
        "ceiling": "7 000 000",
        "price_weight": "60",
        "quality_weight": "40",
        "bid_period_days": "10",
    }
    page = client.post(f"/frameworks/{draft.id}/edit", data=data).get_data(as_text=True)
    assert "zdůvodněte" in page
    response = client.post(f"/frameworks/{draft.id}/edit", data=data | {"reason": "Navýšení"})
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.ceiling == Decimal("7000000.00")
    assert "Navýšení" in client.get(f"/frameworks/{draft.id}").get_data(as_text=True)  # in the history


def test_database_refuses_weights_that_do_not_sum_to_100(draft):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(FrameworkContract).where(FrameworkContract.id == draft.id).values(price_weight=70))


def test_database_refuses_a_ceiling_out_of_range(draft):
    for ceiling in (Decimal("0"), Decimal("10000000000.01")):
        with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
            db.session.execute(
                sa.update(FrameworkContract).where(FrameworkContract.id == draft.id).values(ceiling=ceiling)
            )


# --- parties -------------------------------------------------------------------------------------
def test_the_same_provider_cannot_be_added_twice(draft):
    with pytest.raises(DomainError, match="už je smluvní stranou"):
        service.add_party(draft, draft.parties[0].provider, draft.valid_from)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            FrameworkParty(framework_id=draft.id, provider_id=draft.parties[0].provider_id, since=draft.valid_from)
        )


def test_party_must_join_within_the_validity(draft):
    with pytest.raises(DomainError, match="v době platnosti"):
        service.add_party(draft, ProviderFactory(), draft.valid_to + dt.timedelta(days=1))


def test_inactive_provider_cannot_become_a_party(draft):
    with pytest.raises(DomainError, match="Neaktivního poskytovatele"):
        service.add_party(draft, ProviderFactory(active=False), draft.valid_from)


def test_party_life_cycle(draft):
    party = draft.parties[0]
    with pytest.raises(DomainError, match="Uveďte důvod pozastavení"):
        service.suspend_party(party, "")
    service.suspend_party(party, "Nedodána pojistka")
    assert party.status is PartyStatus.SUSPENDED and party.status_reason == "Nedodána pojistka"
    assert draft.active_parties == []
    with pytest.raises(DomainError, match="Pozastavit lze jen aktivní"):
        service.suspend_party(party, "znovu")
    service.reinstate_party(party)
    assert party.status is PartyStatus.ACTIVE and party.status_reason is None
    with pytest.raises(DomainError, match="Obnovit lze jen pozastavenou"):
        service.reinstate_party(party)
    service.withdraw_party(party, "Ukončení činnosti")
    assert party.status is PartyStatus.WITHDRAWN
    with pytest.raises(DomainError, match="už z rámcové smlouvy vystoupila"):
        service.withdraw_party(party, "znovu")
    assert actions(draft)[-3:] == [
        "framework.party_suspended",
        "framework.party_reinstated",
        "framework.party_withdrawn",
    ]


def test_parties_are_managed_through_the_page(login, personas, draft, providers):
    db.session.commit()
    client = login(personas.kraj)
    page = client.get(f"/frameworks/{draft.id}").get_data(as_text=True)
    assert "Slabá soutěž" in page
    for provider in providers[1:]:
        response = client.post(
            f"/frameworks/{draft.id}/parties", data={"provider": provider.id, "since": draft.valid_from.isoformat()}
        )
        assert response.status_code == 302
    assert client.post(f"/frameworks/{draft.id}/activate").status_code == 302
    page = client.get(f"/frameworks/{draft.id}").get_data(as_text=True)
    assert "Slabá soutěž" not in page and "platná" in page
    party = draft.parties[0]
    client.post(f"/frameworks/{draft.id}/parties/{party.id}/suspend", data={"reason": "Kontrola kvality"})
    db.session.refresh(party)
    assert party.status is PartyStatus.SUSPENDED
    assert "Slabá soutěž" in client.get(f"/frameworks/{draft.id}").get_data(as_text=True)


def test_adding_a_party_twice_shows_the_refusal_at_the_provider_field(login, personas, draft):
    db.session.commit()
    client = login(personas.kraj)
    since = draft.valid_from + dt.timedelta(days=3)
    response = client.post(
        f"/frameworks/{draft.id}/parties",
        data={"provider": draft.parties[0].provider_id, "since": since.isoformat()},
    )
    assert response.status_code == 200  # the framework's page again, not a redirect
    page = response.get_data(as_text=True)
    assert "Formulář obsahuje chyby" in page and 'href="#provider"' in page  # the error summary links to the field
    message = f'<div class="invalid-feedback d-block" id="provider-error">{draft.parties[0].provider.name} už je'
    assert message in page
    assert f'value="{since.isoformat()}"' in page  # the date typed is kept
    assert db.session.scalar(sa.select(sa.func.count(FrameworkParty.id))) == 1


def test_a_party_added_outside_the_validity_keeps_the_date_typed(login, personas, draft, providers):
    db.session.commit()
    late = draft.valid_to + dt.timedelta(days=1)
    response = login(personas.kraj).post(
        f"/frameworks/{draft.id}/parties", data={"provider": providers[1].id, "since": late.isoformat()}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#since"' in page and "v době platnosti" in page
    assert f'value="{late.isoformat()}"' in page
    assert [p.provider_id for p in draft.parties] == [providers[0].id]


def test_suspending_without_a_reason_shows_the_message_at_the_party_reason(login, personas, draft):
    db.session.commit()
    party = draft.parties[0]
    response = login(personas.kraj).post(f"/frameworks/{draft.id}/parties/{party.id}/suspend", data={"reason": "  "})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'aria-describedby="reason-{party.id}-error"' in page
    assert f'id="reason-{party.id}-error">Uveďte důvod pozastavení.</div>' in page
    db.session.refresh(party)
    assert party.status is PartyStatus.ACTIVE


def test_a_refused_withdrawal_reason_comes_back_as_typed(login, personas, draft):
    db.session.commit()
    party = draft.parties[0]
    typed = "Dítě 015101 / 1234 se odstěhovalo."  # a birth number, spaced
    response = login(personas.kraj).post(f"/frameworks/{draft.id}/parties/{party.id}/withdraw", data={"reason": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="reason-{party.id}" name="reason"' in page and f">{typed}</textarea>" in page
    assert "rodného čísla" in page
    db.session.refresh(party)
    assert party.status is PartyStatus.ACTIVE and party.status_reason is None


def test_a_refused_termination_reason_is_shown_at_its_field_with_the_text_typed(login, personas, draft):
    service.activate_framework(draft)
    db.session.commit()
    client = login(personas.kraj)
    response = client.post(f"/frameworks/{draft.id}/terminate", data={"reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true" aria-describedby="terminate-reason-error"' in page
    assert 'id="terminate-reason-error">Uveďte důvod ukončení.</div>' in page
    assert '<details class="mb-4" open>' in page  # the form is shown open, not folded away
    too_long = "Vypovězeno. " + "x" * 1000
    page = client.post(f"/frameworks/{draft.id}/terminate", data={"reason": too_long}).get_data(as_text=True)
    assert f">{too_long}</textarea>" in page and "nejvýše 1000 znaků" in page
    db.session.refresh(draft)
    assert draft.state is FrameworkStatus.ACTIVE and draft.termination_reason is None
    assert client.post(f"/frameworks/{draft.id}/terminate", data={"reason": "Vypovězeno."}).status_code == 302
    db.session.refresh(draft)
    assert draft.state is FrameworkStatus.TERMINATED and draft.termination_reason == "Vypovězeno."


def test_refusing_a_button_flashes_the_reason_on_the_framework_page(login, personas, kraj_pak):
    active = make_framework(kraj_pak, providers=[ProviderFactory()])
    db.session.commit()
    client = login(personas.kraj)
    response = client.post(f"/frameworks/{active.id}/delete", follow_redirects=True)
    assert response.request.path == f"/frameworks/{active.id}"
    assert "Smazat lze jen návrh" in response.get_data(as_text=True)
    assert db.session.get(FrameworkContract, active.id) is not None


def test_managers_see_the_new_framework_button_and_others_do_not(login, personas):
    assert "Nová rámcová smlouva" in login(personas.kraj).get("/frameworks/").get_data(as_text=True)
    assert "Nová rámcová smlouva" in login(personas.admin).get("/frameworks/").get_data(as_text=True)
    for persona in ("ministry", "ospod", "provider"):
        assert "Nová rámcová smlouva" not in login(personas[persona]).get("/frameworks/").get_data(as_text=True)


def test_a_party_of_another_framework_is_404(login, personas, kraj_pak, draft, providers):
    other = make_framework(kraj_pak, "pobytove", providers=providers[1:2], active=False, number="RS-O")
    db.session.commit()
    response = login(personas.kraj).post(f"/frameworks/{draft.id}/parties/{other.parties[0].id}/reinstate")
    assert response.status_code == 404


def test_another_kraj_cannot_touch_the_framework(login, personas, draft):
    db.session.commit()
    client = login(personas.kraj_other)
    assert client.post(f"/frameworks/{draft.id}/activate").status_code == 403
    assert (
        client.post(f"/frameworks/{draft.id}/parties", data={"provider": 1, "since": "2026-01-01"}).status_code == 403
    )
    db.session.refresh(draft)
    assert draft.status is FrameworkStatus.DRAFT


# --- who sees what -------------------------------------------------------------------------------
def test_lists_are_scoped_by_role(login, personas, kraj_pak, kraj_kvk, providers):
    own = make_framework(kraj_pak, providers=[personas.provider.provider], number="RS-PAK-A")
    make_framework(kraj_pak, "pobytove", providers=providers[:1], active=False, number="RS-PAK-DRAFT")
    make_framework(kraj_kvk, providers=providers[:1], number="RS-KVK-A")
    db.session.commit()

    def listed(persona, query=""):
        page = login(personas[persona]).get(f"/frameworks/{query}").get_data(as_text=True)
        return {n for n in ("RS-PAK-A", "RS-PAK-DRAFT", "RS-KVK-A") if n in page}

    assert listed("ministry") == {"RS-PAK-A", "RS-PAK-DRAFT", "RS-KVK-A"}
    assert listed("kraj") == {"RS-PAK-A", "RS-PAK-DRAFT"}
    assert listed("kraj_other") == {"RS-KVK-A"}
    assert listed("ospod") == {"RS-PAK-A"}  # active frameworks of its kraj only
    assert listed("ospod_other") == {"RS-KVK-A"}
    assert listed("provider") == {"RS-PAK-A"}  # only where it is a party
    assert listed("interloper") == set()
    assert listed("ministry", "?kraj=CZ041") == {"RS-KVK-A"}
    assert listed("ministry", "?status=draft") == {"RS-PAK-DRAFT"}
    assert listed("ministry", "?category=pobytove") == {"RS-PAK-DRAFT"}
    assert listed("ministry", f"?valid_on={own.valid_to + dt.timedelta(days=1):%Y-%m-%d}") == set()
    assert listed("ministry", "?valid_on=nonsense&status=nonsense") == {"RS-PAK-A", "RS-PAK-DRAFT", "RS-KVK-A"}


def test_ospod_cannot_open_a_draft_of_its_kraj(login, personas, draft):
    db.session.commit()
    assert login(personas.ospod).get(f"/frameworks/{draft.id}").status_code == 403


def test_framework_page_shows_money_and_parties(login, personas, kraj_pak):
    framework = make_framework(kraj_pak, providers=[personas.provider.provider], ceiling=Decimal("1234567.00"))
    db.session.commit()
    page = login(personas.provider).get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert "1\xa0234\xa0567,00\xa0Kč" in page and "Rodinné centrum Test" in page
    assert "Aktivovat" not in page and "Přidat smluvní stranu" not in page  # read-only for a provider


def test_framework_page_lists_its_minitenders_as_far_as_the_viewer_may_see(login, personas, kraj_pak):
    from tests.factories import make_demand

    framework = make_framework(kraj_pak, providers=[personas.provider.provider])
    published = make_demand(personas.ospod, publish=True)
    draft = make_demand(personas.ospod)
    db.session.commit()
    page = login(personas.kraj).get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert published.number in page and draft.number not in page  # drafts are not under any framework
    assert published.number in login(personas.provider).get(f"/frameworks/{framework.id}").get_data(as_text=True)


def test_framework_reasons_never_carry_a_birth_number(draft, login, personas):
    service.activate_framework(draft)
    disguised = "Dítě 015101 / 1234 se odstěhovalo."  # a valid birth number, spaced
    with pytest.raises(DomainError, match="rodné"):
        service.update_framework(draft, reason=disguised, ceiling=Decimal("6000000.00"))
    with pytest.raises(DomainError, match="rodné"):
        service.suspend_party(draft.parties[0], disguised)
    with pytest.raises(DomainError, match="rodné"):
        service.withdraw_party(draft.parties[0], disguised)
    with pytest.raises(DomainError, match="rodné"):
        service.terminate_framework(draft, disguised)
    assert draft.state is FrameworkStatus.ACTIVE and draft.ceiling != Decimal("6000000.00")
