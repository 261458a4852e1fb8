"""Demands: filing, editing, publishing (invitations), cancelling and clarifying.

Functions flush, never commit; every transition writes an audit event and tells the people it
concerns in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.db import DomainError, db
from minitendr.demands.models import FIRST_YEAR, LAST_YEAR, NEEDS, Clarification, Demand, DemandStatus, Invitation
from minitendr.formatting import datetime as format_datetime
from minitendr.frameworks.models import FrameworkContract, FrameworkStatus
from minitendr.money import to_money
from minitendr.network import summary as network_summary
from minitendr.notifications.service import link, notify, provider_users
from minitendr.privacy import check_no_birth_numbers, required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reports import summary

TEXT_FIELDS = (
    "case_reference",
    "need_description",
    "expected_outcome",
    "place",
    "contact_name",
    "contact_email",
    "contact_phone",
)
FIELDS = (*TEXT_FIELDS, "needs", "volume", "start_date", "end_date", "estimated_max_value", "deadline")
MAX_VOLUME = Decimal("100000000")
MAX_VALUE = Decimal("10000000000")


# --- deadlines -----------------------------------------------------------------------------------
def earliest_deadline(moment: dt.datetime | None = None) -> dt.datetime:
    """The earliest deadline that leaves providers one full working day: midnight (Prague) after the
    next working day."""
    today = (moment or clock.now()).astimezone(clock.PRAGUE).date()
    day_after = clock.add_working_days(today, 1) + dt.timedelta(days=1)
    return dt.datetime.combine(day_after, dt.time(0, 0), tzinfo=clock.PRAGUE).astimezone(dt.UTC)


def default_deadline(bid_period_days: int, moment: dt.datetime | None = None) -> dt.datetime:
    """The framework's bid period in Czech working days after publication, at 12:00 Prague."""
    today = (moment or clock.now()).astimezone(clock.PRAGUE).date()
    return clock.prague_noon(clock.add_working_days(today, bid_period_days))


def check_deadline(deadline: dt.datetime) -> None:
    if deadline.tzinfo is None:
        raise ValueError("deadline must be aware")
    if deadline <= clock.now():
        raise DomainError("Lhůta pro nabídky nesmí být v minulosti.", field="deadline")
    earliest = earliest_deadline()
    if deadline < earliest:
        raise DomainError(
            "Lhůta pro nabídky musí poskytovatelům nechat alespoň jeden celý pracovní den: "
            f"nejdříve {format_datetime(earliest)}.",
            field="deadline",
        )


# --- validation ----------------------------------------------------------------------------------
def check_year(day: dt.date | None, field: str) -> None:
    """Refuse a date outside 2000–2100 at its field (the form does too; this guards every other caller)."""
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError(f"Zadejte datum mezi lety {FIRST_YEAR} a {LAST_YEAR}.", field=field)


def _check(values: dict[str, Any], category: ServiceCategory, service_type: ServiceType) -> dict[str, Any]:
    """The rules every saved demand obeys; returns the cleaned values."""
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if service_type.category_id != category.id:
        raise DomainError(
            f"Typ služby {service_type.code} nepatří do kategorie {category.name}.", field="service_type_id"
        )
    if not service_type.active:
        raise DomainError("Tento typ služby se už nepoptává.", field="service_type_id")
    needs = values.get("needs") or []
    if not needs:
        raise DomainError("Vyberte alespoň jednu oblast potřeb, na kterou služba odpovídá.", field="needs")
    if set(needs) - set(NEEDS):
        raise DomainError("Neznámá oblast potřeb.", field="needs")
    values["needs"] = [n for n in NEEDS if n in needs]
    for field in ("case_reference", "need_description", "expected_outcome", "place", "contact_name", "contact_email"):
        if not values.get(field):
            raise DomainError("Toto pole je povinné.", field=field)
    check_no_birth_numbers(values, TEXT_FIELDS)
    for field in ("start_date", "end_date", "deadline"):
        check_year(values.get(field), field)
    volume = values["volume"]
    if volume is None or volume <= 0:
        raise DomainError("Rozsah služby musí být kladné číslo.", field="volume")
    if volume > MAX_VOLUME:
        raise DomainError("Rozsah služby je nepřiměřeně velký.", field="volume")
    if values["end_date"] < values["start_date"]:
        raise DomainError("Konec poskytování nesmí předcházet jeho začátku.", field="end_date")
    if values["start_date"] < clock.today():
        raise DomainError("Začátek poskytování nesmí být v minulosti.", field="start_date")
    maximum = values.get("estimated_max_value")
    if maximum is not None:
        if maximum <= 0 or maximum > MAX_VALUE:
            raise DomainError(
                "Předpokládaná maximální hodnota musí být kladná a nejvýše 10 mld. Kč.", field="estimated_max_value"
            )
        if to_money(maximum) != maximum:
            raise DomainError("Částku zadejte nejvýše na haléře.", field="estimated_max_value")
    if values.get("deadline") is not None:
        check_deadline(values["deadline"])
    return values


def next_number(orp: Orp) -> tuple[str, int, int]:
    """The demand's human number, e.g. ``PAK-2026-0042``: per kraj and year, without gaps or twins
    (the kraj's row is locked while the next number is taken)."""
    kraj = db.session.execute(sa.select(Kraj).where(Kraj.id == orp.kraj_id).with_for_update()).scalar_one()
    year = clock.today().year
    last = db.session.scalar(
        sa.select(sa.func.max(Demand.number_seq)).where(Demand.kraj_abbr == kraj.abbr, Demand.number_year == year)
    )
    seq = (last or 0) + 1
    return f"{kraj.abbr}-{year}-{seq:04d}", year, seq


# --- filing --------------------------------------------------------------------------------------
def create_demand(
    *, orp: Orp, created_by: User | None, category: ServiceCategory, service_type: ServiceType, **values: Any
) -> Demand:
    """A new draft demand of ``orp``."""
    values = _check({k: values.get(k) for k in FIELDS}, category, service_type)
    number, year, seq = next_number(orp)
    demand = Demand(
        number=number,
        number_year=year,
        kraj_abbr=number.split("-")[0],
        number_seq=seq,
        orp=orp,
        category=category,
        service_type=service_type,
        created_by_id=getattr(created_by, "id", None),
        **values,
    )
    db.session.add(demand)
    db.session.flush()
    record("demand.created", demand, {"number": number, "service_type": service_type.code})
    return demand


def update_demand(demand: Demand, *, category: ServiceCategory, service_type: ServiceType, **values: Any) -> None:
    """Change a draft (a published demand is changed only by answers to questions)."""
    demand.ensure_editable()
    values = _check({k: values.get(k) for k in FIELDS}, category, service_type)
    changed = [k for k, v in values.items() if getattr(demand, k) != v]
    if category.id != demand.category_id or service_type.id != demand.service_type_id:
        changed.append("service_type")
    demand.category, demand.service_type = category, service_type
    for key, value in values.items():
        setattr(demand, key, value)
    if changed:
        # Which fields changed, not their text: the history must not copy case details around.
        record("demand.updated", demand, {"fields": sorted(changed)})


def delete_draft(demand: Demand) -> None:
    demand.ensure_editable()
    record("demand.deleted", demand, {"number": demand.number})
    db.session.delete(demand)
    db.session.flush()


# --- publication ---------------------------------------------------------------------------------
def framework_for(demand: Demand, day: dt.date) -> FrameworkContract:
    """The active framework of the ORP's kraj for the demand's category on ``day``, with parties."""
    framework = db.session.scalar(
        sa.select(FrameworkContract)
        .where(
            FrameworkContract.kraj_id == demand.orp.kraj_id,
            FrameworkContract.category_id == demand.category_id,
            FrameworkContract.status == FrameworkStatus.ACTIVE,
            FrameworkContract.valid_from <= day,
            FrameworkContract.valid_to >= day,
        )
        .order_by(FrameworkContract.valid_from.desc())
    )
    if framework is None:
        raise DomainError(
            f"{demand.orp.kraj.name} nemá k dnešnímu dni platnou rámcovou smlouvu na kategorii "
            f"„{demand.category.name}“. Poptávku zatím nelze zveřejnit; obraťte se na krajský úřad."
        )
    if not framework.active_parties:
        raise DomainError(
            f"Rámcová smlouva {framework.number} nemá žádnou aktivní smluvní stranu, kterou by bylo možné pozvat."
        )
    return framework


def publish(demand: Demand) -> list[Invitation]:
    """draft → published: invite every active party of the framework in force today and tell them."""
    if not demand.is_draft:
        raise DomainError(f"Poptávka {demand.number} už byla zveřejněna nebo ukončena ({demand.state.label}).")
    framework = framework_for(demand, clock.today())
    if demand.start_date < clock.today():
        raise DomainError("Začátek poskytování je v minulosti; upravte termíny a zveřejněte znovu.", field="start_date")
    deadline = demand.deadline or default_deadline(framework.bid_period_days)
    check_deadline(deadline)
    demand.publish(framework, deadline)
    with db.session.no_autoflush:
        invitations = [Invitation(demand=demand, provider_id=party.provider_id) for party in framework.active_parties]
        db.session.add_all(invitations)
    db.session.flush()
    summary.demand_published(demand)
    network_summary.demand_published(demand)
    page = link("demands.detail", demand_id=demand.id)
    notify(
        provider_users(i.provider_id for i in invitations),
        f"Pozvánka do minitendru {demand.number}",
        f"OSPOD {demand.orp.name} poptává službu {demand.service_type.name} "
        f"(rámcová smlouva {framework.number}). Nabídky do {format_datetime(deadline)}.",
        page,
    )
    record(
        "demand.published",
        demand,
        {"framework": framework.number, "deadline": deadline, "invited": [i.provider.ico for i in invitations]},
    )
    return invitations


def lock(demand: Demand) -> Demand:
    """Lock the demand's row and read it afresh. Every change of its course takes this lock: the
    opening of the envelopes, the award, a cancellation, a new deadline; so one waits for the other and
    then sees its result (a deadline cannot move once the envelopes are being opened)."""
    return db.session.execute(
        sa.select(Demand).where(Demand.id == demand.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def cancel(demand: Demand, reason: str) -> None:
    """draft | published → cancelled; the invited providers are told why."""
    demand = lock(demand)
    was_published = demand.status is DemandStatus.PUBLISHED
    demand.cancel(reason)
    if was_published:
        network_summary.demand_cancelled(demand)
        notify(
            provider_users(i.provider_id for i in demand.invitations),
            f"Minitendr {demand.number} byl zrušen",
            f"OSPOD {demand.orp.name} zrušil poptávku {demand.number}. Důvod: {demand.cancel_reason}",
            link("demands.detail", demand_id=demand.id),
        )
    record("demand.cancelled", demand, {"reason": demand.cancel_reason})


# --- clarifications ------------------------------------------------------------------------------
def ask(demand: Demand, provider: Provider, question: str) -> Clarification:
    """An invited provider asks while the minitender is open; the ORP's OSPOD is told."""
    if not demand.is_open:
        raise DomainError("Dotazy lze klást jen do konce lhůty pro nabídky.")
    if not demand.is_invited(provider.id):
        raise DomainError("Dotazy mohou klást jen pozvaní poskytovatelé.")
    question = required_text(question, "question", "Napište dotaz.")
    clarification = Clarification(demand=demand, asked_by_provider_id=provider.id, question=question)
    db.session.add(clarification)
    db.session.flush()
    ospod = db.session.scalars(
        sa.select(User).where(User.role == Role.OSPOD, User.orp_id == demand.orp_id, User.active)
    ).all()
    notify(
        ospod,
        f"Dotaz k minitendru {demand.number}",
        "Poskytovatel položil dotaz; odpovězte jej prosím.",
        link("demands.detail", demand_id=demand.id),
    )
    record("demand.question_asked", demand, {"clarification": clarification.id})
    return clarification


def answer(clarification: Clarification, text: str, new_deadline: dt.datetime | None = None) -> None:
    """OSPOD answers for every invited provider (without saying who asked); may extend the deadline."""
    demand = lock(clarification.demand)
    if not demand.is_open:
        raise DomainError("Odpovídat lze jen do konce lhůty pro nabídky.")
    if clarification.answer is not None:
        raise DomainError("Na tento dotaz už bylo odpovězeno.")
    text = required_text(text, "answer", "Napište odpověď.")
    data: dict[str, Any] = {"clarification": clarification.id}
    if new_deadline is not None:
        check_year(new_deadline, "new_deadline")
        if new_deadline <= demand.published_deadline:
            raise DomainError("Novou lhůtu lze jen prodloužit, ne zkrátit.", field="new_deadline")
        check_deadline(new_deadline)
        data["deadline"] = [demand.deadline, new_deadline]
        demand.deadline = new_deadline
        clarification.deadline_extended_to = new_deadline
    clarification.answer = text
    clarification.answered_at = clock.now()
    extension = f" Lhůta pro nabídky byla prodloužena do {format_datetime(new_deadline)}." if new_deadline else ""
    notify(
        provider_users(i.provider_id for i in demand.invitations),
        f"Odpověď na dotaz k minitendru {demand.number}",
        f"OSPOD {demand.orp.name} odpověděl na dotaz k poptávce.{extension}",
        link("demands.detail", demand_id=demand.id),
    )
    record("demand.question_answered", demand, data)
