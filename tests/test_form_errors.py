"""Refused forms keep what was typed (GOV.UK error pattern): each form that once redirected and lost
its input comes back on its page with the input, an error summary at the top linking to each field,
the message at the field, the field marked aria-invalid and pointing at its message, and nothing
stored. Numbers in the messages are written the Czech way, never as raw decimals."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from minitendr import clock
from minitendr.api.models import ApiToken
from minitendr.auth import reset
from minitendr.auth.models import User
from minitendr.bids import service as bids
from minitendr.bids.models import Bid
from minitendr.contracts.models import Amendment, Drawdown
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands import service as demands
from minitendr.demands.models import Clarification, Demand
from minitendr.formatting import points
from minitendr.forms import CzechForm, NumberRange
from minitendr.frameworks import service as frameworks
from minitendr.frameworks.models import FrameworkContract
from minitendr.notices.models import Notice
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.outcomes.models import FollowUp
from minitendr.providers.models import Provider
from minitendr.registry.models import ServiceCategory
from tests.factories import bid_form, demand_form, make_bid, make_demand, make_framework, seat_committee

pytestmark = pytest.mark.usefixtures("monday")

SEPTEMBER = dt.datetime(2026, 9, 1, 9, 0, tzinfo=clock.PRAGUE)
AFTER_DEADLINE = dt.datetime(2026, 12, 7, 12, 30, tzinfo=clock.PRAGUE)
# A decimal written by Python ("0.01", "10000000000.00"), or a long number without thousands spaces.
RAW_NUMBER = re.compile(r"\d\.\d|\d{5,}")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def messages(page: str) -> list[str]:
    """Every message of a refused page: the error summary's items and the messages at the fields."""
    summary = re.findall(r"<li>(?:<a [^>]*>)?(.*?)(?:</a>)?</li>", _summary(page), flags=re.S)
    at_fields = re.findall(r'<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', page, flags=re.S)
    return [html.unescape(m).strip() for m in summary + at_fields]


def _summary(page: str) -> str:
    found = re.search(r'<div class="alert alert-danger error-summary".*?</div>', page, flags=re.S)
    assert found, "no error summary on the refused page"
    return found.group(0)


def refused(response, field_id: str, typed: dict[str, str] | None = None) -> str:
    """The page of a refused form, checked: shown again (not a redirect), the error summary titled and
    linking to ``field_id``, that field marked invalid and pointing at its message, what was typed
    (``typed``: field id → text) still in the fields, and no raw decimal in any message."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200, response.headers.get("Location")
    summary = _summary(page)
    assert "Formulář obsahuje chyby" in summary and 'tabindex="-1"' in summary and "data-error-summary" in summary
    assert f'href="#{field_id}"' in summary, summary
    tag = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0) and f'aria-describedby="{field_id}-error"' in tag.group(0)
    assert re.search(rf'<div class="invalid-feedback d-block[^"]*" id="{field_id}-error">[^<]+</div>', page)
    for input_id, text in (typed or {}).items():
        field = re.search(rf'<(input|textarea)\b[^>]*\bid="{input_id}"[^>]*>(?:([^<]*)</textarea>)?', page)
        assert field, f"no field {input_id}"
        shown = field.group(2) if field.group(1) == "textarea" else re.search(r'value="([^"]*)"', field.group(0))[1]
        assert html.unescape(shown).strip() == text, (input_id, shown)
    raw = [m for m in messages(page) if RAW_NUMBER.search(m)]
    assert not raw, raw
    assert '<script src="/static/forms.js"' in page
    return page


def message_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    assert found, f"no message at {field_id}"
    return html.unescape(found.group(1)).strip().replace("\xa0", " ")


# --- the forms of the demand, the bid, the evaluation ---------------------------------------------
@pytest.fixture
def framework(personas, kraj_pak):
    return make_framework(kraj_pak, providers=[personas.provider.provider], ceiling=Decimal("100000"))


def test_a_refused_demand_form_keeps_the_input_and_says_in_czech_what_is_wrong(login, personas, framework):
    db.session.commit()
    before = count(Demand)
    data = demand_form(volume="0", estimated_max_value="0,001", case_reference="OSPOD-PA-2026/999")
    page = refused(
        login(personas.ospod).post("/demands/new", data=data), "volume", {"case_reference": "OSPOD-PA-2026/999"}
    )
    assert message_of(page, "volume") == "Číslo musí být v rozmezí 0,01 až 100 000 000."
    assert message_of(page, "estimated_max_value") == "Číslo musí být v rozmezí 0,01 až 10 000 000 000,00 Kč."
    assert 'href="#estimated_max_value"' in page
    assert count(Demand) == before


def test_a_service_type_of_another_category_is_refused_at_its_field(login, personas, framework):
    db.session.commit()
    other = db.session.scalars(sa.select(ServiceCategory).where(ServiceCategory.code == "pobytove")).one()
    before = count(Demand)
    response = login(personas.ospod).post("/demands/new", data=demand_form(category_id=other.id))
    page = refused(response, "service_type_id")
    assert "nepatří do kategorie" in message_of(page, "service_type_id")
    assert count(Demand) == before


def test_the_service_types_name_their_category_for_the_filter_script(login, personas, framework):
    db.session.commit()
    page = login(personas.ospod).get("/demands/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="service_type_id"[^>]*>.*?</select>', page, flags=re.S).group(0)
    assert 'data-category-from="category_id"' in select
    options = re.findall(r"<option [^>]*>", select)
    assert options and all(re.search(r'data-category="\d+"', option) for option in options)
    assert '<script src="/static/service-types.js" defer></script>' in page


def test_a_refused_bid_keeps_the_input_with_a_czech_range_message(login, personas, framework):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    data = bid_form(unit_price="0", team="Tým se supervizí.")
    page = refused(
        login(personas.provider).post(f"/demands/{demand.id}/bid", data=data),
        "unit_price",
        {"unit_price": "0", "team": "Tým se supervizí.", "units": "40"},
    )
    assert message_of(page, "unit_price") == "Číslo musí být v rozmezí 0,01 až 10 000 000,00 Kč."
    assert count(Bid) == 0


def test_the_bid_form_says_replace_when_a_bid_is_live_and_has_a_live_total(login, personas, framework):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    client = login(personas.provider)
    first = client.get(f"/demands/{demand.id}/bid").get_data(as_text=True)
    assert 'value="Podat nabídku"' in first and "Nahradit nabídku" not in first
    assert re.search(r'id="bid-total" aria-live="polite"', first)
    assert 'data-price="unit_price" data-units="units" data-vat="vat_rate"' in first
    assert '<script src="/static/bid-total.js" defer></script>' in first
    make_bid(demand, personas.provider.provider)
    db.session.commit()
    second = client.get(f"/demands/{demand.id}/bid").get_data(as_text=True)
    assert 'value="Nahradit nabídku"' in second and "<h1>Nahradit nabídku</h1>" in second


def test_a_refused_question_and_answer_keep_their_text(login, personas, framework):
    demand = make_demand(personas.ospod, publish=True)
    db.session.commit()
    typed = "Lze začít až v lednu? " + "x" * 2000
    refused(
        login(personas.provider).post(f"/demands/{demand.id}/questions", data={"question": typed}),
        "question",
        {"question": typed},
    )
    assert count(Clarification) == 0
    clarification = demands.ask(demand, personas.provider.provider, "Lze začít později?")
    db.session.commit()
    response = login(personas.ospod).post(
        f"/demands/{demand.id}/questions/{clarification.id}/answer", data={"answer": "", "new_deadline": ""}
    )
    page = refused(response, f"answer-{clarification.id}")
    assert message_of(page, f"answer-{clarification.id}") == "Toto pole je povinné."
    db.session.expire_all()
    assert db.session.get(Clarification, clarification.id).answer is None


def test_a_refused_score_keeps_the_justification(login, personas, framework):
    demand = make_demand(personas.ospod, publish=True)
    bid = make_bid(demand, personas.provider.provider)
    with clock.frozen_at(AFTER_DEADLINE):
        seat_committee(demand, personas.ospod)
        evaluation.open_envelopes(demand, personas.ospod)
        db.session.commit()
        response = login(personas.ospod).post(
            f"/bids/{bid.id}/score", data={"quality_score": "101", "justification": "Velmi dobrý tým."}
        )
    page = refused(response, f"q-{bid.id}", {f"q-{bid.id}": "101", f"j-{bid.id}": "Velmi dobrý tým."})
    assert message_of(page, f"q-{bid.id}") == "Číslo musí být v rozmezí 0 až 100."
    assert db.session.get(Bid, bid.id).quality_score is None


# --- the sub-contract's forms ---------------------------------------------------------------------
@pytest.fixture
def subcontract(personas, kraj_pak):
    with clock.frozen_at(SEPTEMBER):
        make_framework(kraj_pak, providers=[personas.provider.provider], ceiling=Decimal("100000"))
        demand = make_demand(personas.ospod, publish=True, estimated_max_value=None)
        bid = make_bid(demand, personas.provider.provider, unit_price="500")
    with clock.frozen_at(SEPTEMBER + dt.timedelta(days=16)):
        seat_committee(demand, personas.ospod)
        evaluation.open_envelopes(demand, personas.ospod)
        bids.score_bid(bid, 80, "Splňuje zadání.", by=personas.ospod)
        awarded = evaluation.award(demand, personas.ospod)
    db.session.commit()
    return awarded


def test_a_refused_drawdown_keeps_the_input(login, personas, subcontract):
    response = login(personas.provider).post(
        f"/subcontracts/{subcontract.id}/drawdowns",
        data={"period": "2026-10", "units": "4", "amount": "0", "reason": "Víc návštěv."},
    )
    page = refused(response, "amount", {"units": "4", "amount": "0", "reason": "Víc návštěv."})
    assert message_of(page, "amount") == "Číslo musí být v rozmezí 0,01 až 10 000 000 000,00 Kč."
    assert count(Drawdown) == 0


def test_a_refused_amendment_keeps_the_input(login, personas, subcontract):
    data = {
        "new_value": "0",
        "new_units": "50",
        "new_end_date": "2027-06-30",
        "reason": "Rodina potřebuje víc času.",
        "provider_consent": "e-mail ze 3. 11.",
        "consent_on": "2026-11-03",
    }
    page = refused(
        login(personas.ospod).post(f"/subcontracts/{subcontract.id}/amendments", data=data),
        "new_value",
        {"new_units": "50", "reason": "Rodina potřebuje víc času."},
    )
    assert message_of(page, "new_value") == "Číslo musí být v rozmezí 0,01 až 10 000 000 000,00 Kč."
    assert count(Amendment) == 0


# --- the kraj's and the admin's forms ---------------------------------------------------------------
def test_a_refused_framework_keeps_the_input(login, personas, kraj_pak):
    db.session.commit()
    category = db.session.scalars(sa.select(ServiceCategory).where(ServiceCategory.code == "poradenstvi")).one()
    data = {
        "number": "RS-NEW",
        "kraj_id": kraj_pak.id,
        "category_id": category.id,
        "title": "Poradenství pro rodiny",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "ceiling": "0",
        "price_weight": "60",
        "quality_weight": "40",
        "bid_period_days": "10",
    }
    before = count(FrameworkContract)
    page = refused(
        login(personas.kraj).post("/frameworks/new", data=data), "ceiling", {"title": "Poradenství pro rodiny"}
    )
    assert message_of(page, "ceiling") == "Číslo musí být v rozmezí 0,01 až 10 000 000 000,00 Kč."
    assert 'value="Založit návrh smlouvy"' in page
    assert count(FrameworkContract) == before


def test_a_refused_provider_keeps_the_input(login, personas):
    db.session.commit()
    before = count(Provider)
    data = {"ico": "12345678", "name": "Rodinné centrum Slunce", "active": "y"}
    page = refused(login(personas.admin).post("/providers/new", data=data), "ico", {"name": "Rodinné centrum Slunce"})
    assert 'value="Zaevidovat poskytovatele"' in page
    assert count(Provider) == before


def test_a_refused_follow_up_keeps_the_input(login, personas, kraj_pak):
    db.session.commit()
    typed = "x" * 500
    response = login(personas.kraj).post(f"/outcomes/follow-ups/{kraj_pak.code}", data={"label": typed})
    refused(response, "label", {"label": typed})
    assert count(FollowUp) == 0


# --- the accounts', notices', API tokens' and imports' forms ------------------------------------------
PASSWORD = "Modrý vlak do Chebu 7"


def test_a_refused_login_keeps_the_email_but_not_the_password(client, personas):
    response = client.post("/login", data={"email": "kraj.pak@test.cz", "password": ""})
    refused(response, "password", {"email": "kraj.pak@test.cz"})


def test_a_refused_request_for_a_reset_link_keeps_the_address(client, personas):
    typed = "a" * 250 + "@test.cz"
    refused(client.post("/password/forgot", data={"email": typed}), "email", {"email": typed})
    assert count(OutboxEmail) == 0


def test_a_refused_new_password_is_shown_at_its_field_and_not_echoed(client, personas):
    reset.request_reset(personas.kraj.email)
    db.session.commit()
    path = re.search(r"/password/reset/\S+", db.session.scalars(sa.select(OutboxEmail.body)).one()).group(0)
    page = refused(client.post(path, data={"new_password": "kratke", "confirm": "kratke"}), "new_password")
    assert "kratke" not in page


def test_a_refused_password_change_names_the_wrong_current_password(login, personas):
    data = {"current_password": "to-neni-moje-heslo", "new_password": PASSWORD, "confirm": PASSWORD}
    page = refused(login(personas.ospod).post("/account/password", data=data), "current_password")
    assert "to-neni-moje-heslo" not in page and PASSWORD not in page


def test_a_refused_new_user_keeps_the_input(login, personas, orp_cheb):
    data = {"email": "nova@ospod.cz", "name": "Jana Nová", "password": "kratke", "role": "ospod", "orp": orp_cheb.id}
    before = count(User)
    page = refused(
        login(personas.admin).post("/admin/users/new", data=data),
        "password",
        {"email": "nova@ospod.cz", "name": "Jana Nová"},
    )
    assert "kratke" not in page
    assert count(User) == before


def test_a_refused_user_edit_keeps_the_input(login, personas):
    data = {"email": "neni-adresa", "name": "Marie Přejmenovaná", "role": "ministry"}
    refused(
        login(personas.admin).post(f"/admin/users/{personas.ministry.id}/edit", data=data),
        "email",
        {"email": "neni-adresa", "name": "Marie Přejmenovaná"},
    )
    db.session.refresh(personas.ministry)
    assert personas.ministry.name != "Marie Přejmenovaná"


def test_a_refused_colleague_keeps_the_input(login, personas):
    data = {"email": "kolega@rodinne-centrum.cz", "name": "Petr Kolega", "password": "kratke"}
    before = count(User)
    refused(
        login(personas.provider).post("/account/colleagues/new", data=data),
        "password",
        {"email": "kolega@rodinne-centrum.cz", "name": "Petr Kolega"},
    )
    assert count(User) == before


def test_a_refused_api_token_keeps_the_input(login, personas):
    data = {"name": "Účetnictví – export čerpání", "days": "0"}
    refused(
        login(personas.provider).post("/account/tokens", data=data),
        "days",
        {"name": "Účetnictví – export čerpání", "days": "0"},
    )
    assert count(ApiToken) == 0


def test_a_refused_notice_keeps_the_input(login, personas, framework):
    db.session.commit()
    data = {"framework": "", "category": "", "subject": "Změna kontaktů", "body": "Nový kontakt: kraj@pak.cz."}
    page = refused(
        login(personas.kraj).post("/notices/new", data=data),
        "framework",
        {"subject": "Změna kontaktů", "body": "Nový kontakt: kraj@pak.cz."},
    )
    assert message_of(page, "framework") == "Vyberte buď jednu rámcovou smlouvu, nebo kategorii služeb."
    assert 'value="Odeslat oznámení"' in page
    assert count(Notice) == 0


@pytest.mark.parametrize("button", ["check", "submit"])
def test_an_import_without_a_file_is_refused_at_the_file_field(login, personas, button):
    response = login(personas.kraj).post(
        "/frameworks/parties/import", data={button: "1"}, content_type="multipart/form-data"
    )
    page = refused(response, "file")
    assert message_of(page, "file") == "Vyberte soubor k nahrání."
    assert 'value="Jen zkontrolovat"' in page and 'value="Zkontrolovat a importovat"' in page


def test_a_refused_import_file_is_named_at_the_file_field_above_its_report(login, personas):
    before = count(Provider)
    data = "IČO;název;právní forma;sídlo;datová schránka;e-mail;telefon\r\n123;;;;;;".encode()
    response = login(personas.admin).post(
        "/providers/import",
        data={"file": (io.BytesIO(data), "poskytovatele.csv"), "submit": "1"},
        content_type="multipart/form-data",
    )
    page = refused(response, "file")
    assert "Soubor poskytovatele.csv obsahuje chyby" in message_of(page, "file")
    assert 'id="import-report"' in page
    assert count(Provider) == before


# --- numbers in messages ---------------------------------------------------------------------------
class RangeForm(CzechForm):
    class Meta:
        csrf = False


@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (
            NumberRange(min=Decimal("0.01"), max=Decimal("10000000000"), unit="Kč"),
            "0",
            "v rozmezí 0,01 až 10 000 000 000,00 Kč.",
        ),
        (NumberRange(min=Decimal("0.01"), max=Decimal("100000000")), "0", "v rozmezí 0,01 až 100 000 000."),
        (NumberRange(min=0, max=100), "101", "v rozmezí 0 až 100."),
        (NumberRange(min=Decimal("1.5")), "1", "alespoň 1,5."),
        (NumberRange(max=Decimal("25000"), unit="Kč"), "30000", "nejvýše 25 000,00 Kč."),
        (NumberRange(min=0, max=10, message="Vlastní zpráva."), "11", "Vlastní zpráva."),
    ],
)
def test_range_messages_write_their_bounds_the_czech_way(app, validator, value, message):
    from werkzeug.datastructures import MultiDict

    from minitendr.forms import CzechDecimalField

    class Form(RangeForm):
        number = CzechDecimalField("Číslo", validators=[validator])

    with app.test_request_context():
        form = Form(formdata=MultiDict({"number": value}))
        assert not form.validate()
    assert form.number.errors[0].replace("\xa0", " ").endswith(message)


def test_the_bidder_hears_its_scores_in_czech(personas, subcontract):
    """The award's notification: "cena 70,00 b.", not "70.00 b."."""
    body = db.session.scalars(sa.select(Notification.body).where(Notification.body.like("Vaše nabídka:%"))).one()
    assert re.search(r"cena \d+,\d\d\xa0b\., kvalita \d+,\d\d\xa0b\., celkem \d+,\d\d\xa0b\.", body), body
    assert not RAW_NUMBER.search(body), body
    assert points(Decimal("64.2345")) == "64,23\xa0b." and points(None) == "–"


def test_a_ceiling_below_the_committed_amount_names_it_in_czech(personas, subcontract):
    framework = subcontract.framework
    with pytest.raises(DomainError) as lowered:
        frameworks.update_framework(framework, reason="škrty", ceiling=Decimal("10000"))
    assert lowered.value.message.endswith("(20\xa0000,00\xa0Kč).") and lowered.value.field == "ceiling"
