"""Outcomes: the kraj's list of follow-ups, OSPOD's record of what a sub-contract achieved, the
provider's final report, and the outcome rates.

The rates per ORP × needs area × category come from ``OutcomeSummary``, a running total this module
keeps in the same transaction as each outcome (one atomic upsert per needs area, so concurrent
writers add up); ``rebuild`` computes it afresh from the records. One provider's rates are read from
its own outcome rows through ``ix_outcome_provider`` (a provider has hundreds of sub-contracts, not
millions). Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.contracts import service as contracts
from minitendr.contracts.models import SubContract
from minitendr.db import DomainError, db
from minitendr.demands.models import NEEDS, Demand
from minitendr.formatting import date as format_date
from minitendr.notifications.service import link, notify, provider_users
from minitendr.outcomes.models import (
    FinalReport,
    FollowUp,
    Outcome,
    OutcomeNeed,
    OutcomeResult,
    OutcomeSummary,
    ProviderOutcomeSummary,
)
from minitendr.privacy import check_no_birth_numbers, required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory

NEED_ORDER = {code: n for n, code in enumerate(NEEDS)}
FOLLOW_UP_MAX, NOTE_MAX, REPORT_MAX = 120, 2000, 5000


# --- the kraj's list of follow-ups ---------------------------------------------------------------
def follow_ups(kraj_id: int, *, active_only: bool = True) -> list[FollowUp]:
    """The kraj's follow-ups in alphabetical order (the retired ones too unless ``active_only``)."""
    stmt = sa.select(FollowUp).where(FollowUp.kraj_id == kraj_id)
    if active_only:
        stmt = stmt.where(FollowUp.active)
    return sorted(db.session.scalars(stmt), key=lambda f: (not f.active, f.label.casefold()))


def add_follow_up(kraj: Kraj, label: str | None) -> FollowUp:
    """A kraj official adds an entry to its kraj's list."""
    label = " ".join(required_text(label, "label", "Napište, co může po dílčí smlouvě následovat.").split())
    if len(label) > FOLLOW_UP_MAX:
        raise DomainError(f"Položka může mít nejvýše {FOLLOW_UP_MAX} znaků.", field="label")
    same = db.session.scalar(
        sa.select(FollowUp).where(FollowUp.kraj_id == kraj.id, sa.func.lower(FollowUp.label) == label.lower())
    )
    # SQLite's lower() folds ASCII only: compare once more in Python for "Č" and "č".
    if same is None:
        same = next((f for f in follow_ups(kraj.id, active_only=False) if f.label.casefold() == label.casefold()), None)
    if same is not None:
        state = "" if same.active else " (vyřazená – můžete ji vrátit)"
        raise DomainError(f"Položka „{same.label}“ už v seznamu je{state}.", field="label")
    follow_up = FollowUp(kraj_id=kraj.id, label=label)
    db.session.add(follow_up)
    db.session.flush()
    record("follow_up.created", follow_up, {"kraj": kraj.code, "label": label})
    return follow_up


def retire_follow_up(follow_up: FollowUp) -> None:
    """No longer offered; the outcomes that chose it keep it."""
    if not follow_up.active:
        raise DomainError(f"Položka „{follow_up.label}“ už je vyřazená.")
    follow_up.active = False
    record("follow_up.retired", follow_up, {"label": follow_up.label})


def reinstate_follow_up(follow_up: FollowUp) -> None:
    if follow_up.active:
        raise DomainError(f"Položka „{follow_up.label}“ se už nabízí.")
    follow_up.active = True
    record("follow_up.reinstated", follow_up, {"label": follow_up.label})


# --- the outcome and the final report ------------------------------------------------------------
def outcome_of(subcontract: SubContract) -> Outcome | None:
    return db.session.scalar(sa.select(Outcome).where(Outcome.subcontract_id == subcontract.id))


def final_report_of(subcontract: SubContract) -> FinalReport | None:
    return db.session.scalar(sa.select(FinalReport).where(FinalReport.subcontract_id == subcontract.id))


def outcome_and_report(subcontract: SubContract) -> tuple[Outcome | None, FinalReport | None]:
    """The sub-contract's outcome (with its follow-up) and final report, in one statement: the
    sub-contract's page shows both."""
    row = db.session.execute(
        sa.select(Outcome, FinalReport)
        .select_from(SubContract)
        .outerjoin(Outcome, Outcome.subcontract_id == SubContract.id)
        .outerjoin(FinalReport, FinalReport.subcontract_id == SubContract.id)
        .options(orm.joinedload(Outcome.follow_up))
        .where(SubContract.id == subcontract.id)
    ).one()
    return row[0], row[1]


def _ensure_ended(subcontract: SubContract, what: str) -> None:
    if subcontract.is_active:
        raise DomainError(f"{what} lze zaznamenat až po dokončení nebo předčasném ukončení dílčí smlouvy.")


def _published_year(demand: Demand) -> int:
    published_at = demand.published_at
    assert published_at is not None, "a sub-contract's minitender was published"
    return published_at.astimezone(dt.UTC).year


def record_outcome(
    subcontract: SubContract,
    *,
    result: str | None,
    follow_up_id: int | None,
    note: str | None,
    user: User | None = None,
) -> Outcome:
    """OSPOD records, once, how far the demand's expected outcome came true and what followed."""
    subcontract = contracts.lock(subcontract)
    _ensure_ended(subcontract, "Výsledek")
    earlier = outcome_of(subcontract)
    if earlier is not None:
        raise DomainError(f"Výsledek už byl zaznamenán {format_date(earlier.recorded_at)}; zaznamenává se jednou.")
    try:
        outcome_result = OutcomeResult(result or "")
    except ValueError:
        raise DomainError("Vyberte, zda byl očekávaný výsledek splněn.", field="result") from None
    kraj_id = subcontract.orp.kraj_id
    offered = {f.id: f for f in follow_ups(kraj_id)}
    follow_up = offered.get(follow_up_id) if follow_up_id is not None else None
    if follow_up_id is not None and follow_up is None:
        raise DomainError("Vyberte, co následovalo, z nabízeného seznamu kraje.", field="follow_up")
    if follow_up is None and offered:
        raise DomainError("Vyberte, co následovalo.", field="follow_up")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"Poznámka může mít nejvýše {NOTE_MAX} znaků.", field="note")
    check_no_birth_numbers({"note": note}, ("note",))
    demand: Demand = subcontract.demand
    needs = sorted({n for n in demand.needs if n in NEEDS}, key=NEED_ORDER.__getitem__)
    outcome = Outcome(
        subcontract_id=subcontract.id,
        orp_id=subcontract.orp_id,
        kraj_id=kraj_id,
        provider_id=subcontract.provider_id,
        category_id=subcontract.category_id,
        year=_published_year(demand),
        result=outcome_result,
        follow_up=follow_up,
        note=note,
        recorded_by_id=getattr(user, "id", None),
        needs=[OutcomeNeed(need=n) for n in needs],
    )
    db.session.add(outcome)
    db.session.flush()
    _count(outcome)
    record(
        "subcontract.outcome_recorded",
        subcontract,
        {"result": outcome_result.label, "follow_up": follow_up.label if follow_up else None, "note": note or None},
        actor=user,
    )
    notify(
        provider_users([subcontract.provider_id]),
        f"Výsledek dílčí smlouvy {subcontract.number}",
        f"OSPOD zaznamenal výsledek: {outcome_result.label}."
        + ("" if final_report_of(subcontract) else " Doplňte prosím závěrečnou zprávu."),
        link("contracts.detail", subcontract_id=subcontract.id),
    )
    return outcome


def submit_final_report(
    subcontract: SubContract, provider: Provider, text: str | None, user: User | None = None
) -> FinalReport:
    """The provider of an ended sub-contract adds its final report, once."""
    subcontract = contracts.lock(subcontract)
    if provider.id != subcontract.provider_id:
        raise DomainError("Závěrečnou zprávu podává jen poskytovatel dílčí smlouvy.")
    _ensure_ended(subcontract, "Závěrečnou zprávu")
    earlier = final_report_of(subcontract)
    if earlier is not None:
        raise DomainError(f"Závěrečná zpráva už byla podána {format_date(earlier.submitted_at)}.")
    text = required_text(text, "text", "Napište závěrečnou zprávu: co se podařilo, co ne a proč.")
    if len(text) > REPORT_MAX:
        raise DomainError(f"Zpráva může mít nejvýše {REPORT_MAX} znaků.", field="text")
    report = FinalReport(
        subcontract_id=subcontract.id, provider_id=provider.id, text=text, submitted_by_id=getattr(user, "id", None)
    )
    db.session.add(report)
    db.session.flush()
    record("subcontract.final_report", subcontract, {"provider": provider.ico, "text": text}, actor=user)
    ospod = db.session.scalars(
        sa.select(User).where(User.role == Role.OSPOD, User.orp_id == subcontract.orp_id, User.active)
    )
    notify(
        ospod,
        f"Závěrečná zpráva k {subcontract.number}",
        f"{provider.name} podal závěrečnou zprávu k dílčí smlouvě.",
        link("contracts.detail", subcontract_id=subcontract.id),
    )
    return report


# --- running totals ------------------------------------------------------------------------------
def _result_counts(result: OutcomeResult) -> dict[str, int]:
    return {
        "recorded": 1,
        "met": int(result is OutcomeResult.MET),
        "partly": int(result is OutcomeResult.PARTLY),
        "not_met": int(result is OutcomeResult.NOT_MET),
    }


def _upsert(model, key: dict[str, object], amounts: dict[str, int]) -> None:
    """Add ``amounts`` to the row of ``key``, creating it if need be, in one atomic statement."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_row = insert(model).values(**key, **amounts)
    db.session.execute(
        new_row.on_conflict_do_update(
            index_elements=list(key),
            set_={name: getattr(model, name) + getattr(new_row.excluded, name) for name in amounts},
        )
    )


def _count(outcome: Outcome) -> None:
    """Add the outcome to the totals of each needs area its demand listed, and once to its provider's."""
    amounts = _result_counts(outcome.result)
    key = {"category_id": outcome.category_id, "year": outcome.year}
    # In one order, so that two outcomes touching the same rows take their locks alike.
    for need in sorted(n.need for n in outcome.needs):
        _upsert(OutcomeSummary, {"orp_id": outcome.orp_id, "need": need, **key}, amounts)
    _upsert(ProviderOutcomeSummary, {"kraj_id": outcome.kraj_id, "provider_id": outcome.provider_id, **key}, amounts)


def _tally(result_column) -> list[sa.ColumnElement[int]]:
    """recorded, met, partly, not_met over outcome rows."""
    return [
        sa.func.count(),
        sa.func.count().filter(result_column == OutcomeResult.MET),
        sa.func.count().filter(result_column == OutcomeResult.PARTLY),
        sa.func.count().filter(result_column == OutcomeResult.NOT_MET),
    ]


def rebuild() -> None:
    """Compute the running totals afresh from the outcomes (a bulk load, a repair)."""
    counts = ["recorded", "met", "partly", "not_met"]
    by_need = (Outcome.orp_id, OutcomeNeed.need, Outcome.category_id, Outcome.year)
    by_provider = (Outcome.kraj_id, Outcome.provider_id, Outcome.category_id, Outcome.year)
    fill = {
        OutcomeSummary: (
            ["orp_id", "need", "category_id", "year", *counts],
            sa.select(*by_need, *_tally(Outcome.result)).join(OutcomeNeed).group_by(*by_need),
        ),
        ProviderOutcomeSummary: (
            ["kraj_id", "provider_id", "category_id", "year", *counts],
            sa.select(*by_provider, *_tally(Outcome.result)).group_by(*by_provider),
        ),
    }
    for model, (columns, select) in fill.items():
        db.session.execute(sa.delete(model))
        db.session.execute(sa.insert(model).from_select(columns, select))


# --- the rates -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counts:
    """Outcomes recorded and how they came out."""

    recorded: int = 0
    met: int = 0
    partly: int = 0
    not_met: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.recorded + other.recorded,
            self.met + other.met,
            self.partly + other.partly,
            self.not_met + other.not_met,
        )

    def share(self, part: int) -> Decimal | None:
        """``part`` as a percentage of the recorded outcomes (one decimal), None when none is recorded."""
        if not self.recorded:
            return None
        return (Decimal(100 * part) / self.recorded).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def met_share(self) -> Decimal | None:
        """The outcome rate: the share of recorded outcomes that met the expected outcome."""
        return self.share(self.met)

    @property
    def partly_share(self) -> Decimal | None:
        return self.share(self.partly)

    @property
    def not_met_share(self) -> Decimal | None:
        return self.share(self.not_met)


@dataclass(frozen=True)
class Rate:
    """The outcomes of one ORP × needs area × category (over the years asked for)."""

    orp_code: str
    orp_name: str
    kraj_code: str
    need: str
    category_code: str
    category_name: str
    counts: Counts

    @property
    def need_label(self) -> str:
        return NEEDS[self.need]


def rates(
    kraj: Kraj | None = None,
    orp: Orp | None = None,
    need: str | None = None,
    category: ServiceCategory | None = None,
    year: int | None = None,
    provider: Provider | None = None,
) -> list[Rate]:
    """Outcome rates per ORP × needs area × category, narrowed by any of the filters (a demand counts
    in every needs area it lists; ``year`` is the year its minitender was published), ordered by ORP
    name, needs area and category. Without ``provider`` they are read from the running totals; with
    it, from that provider's own outcomes. Only combinations with a recorded outcome are listed.

    The caller decides who may see them (``permissions.can_read_provider_outcomes`` for a provider's).
    """
    if need is not None and need not in NEEDS:
        raise ValueError(f"unknown needs area: {need!r}")
    if provider is None:
        source = OutcomeSummary
        sums = [sa.func.sum(c) for c in (source.recorded, source.met, source.partly, source.not_met)]
        stmt = sa.select(source.orp_id, source.need, source.category_id, *sums).group_by(
            source.orp_id, source.need, source.category_id
        )
        columns = (source.orp_id, source.need, source.category_id, source.year)
    else:
        stmt = (
            sa.select(Outcome.orp_id, OutcomeNeed.need, Outcome.category_id, *_tally(Outcome.result))
            .join(OutcomeNeed)
            .where(Outcome.provider_id == provider.id)
            .group_by(Outcome.orp_id, OutcomeNeed.need, Outcome.category_id)
        )
        columns = (Outcome.orp_id, OutcomeNeed.need, Outcome.category_id, Outcome.year)
        if kraj is not None:
            stmt = stmt.where(Outcome.kraj_id == kraj.id)
    orp_id, need_column, category_id, year_column = columns
    if kraj is not None and provider is None:
        stmt = stmt.where(orp_id.in_(sa.select(Orp.id).where(Orp.kraj_id == kraj.id)))
    if orp is not None:
        stmt = stmt.where(orp_id == orp.id)
    if need is not None:
        stmt = stmt.where(need_column == need)
    if category is not None:
        stmt = stmt.where(category_id == category.id)
    if year is not None:
        stmt = stmt.where(year_column == year)
    counted = stmt.subquery()
    named = (
        sa.select(Orp.code, Orp.name, Kraj.code, counted.c.need, ServiceCategory.code, ServiceCategory.name, counted)
        .select_from(counted)
        .join(Orp, Orp.id == counted.c.orp_id)
        .join(Kraj, Kraj.id == Orp.kraj_id)
        .join(ServiceCategory, ServiceCategory.id == counted.c.category_id)
    )
    found = [
        Rate(row[0], row[1], row[2], row[3], row[4], row[5], Counts(*(int(v or 0) for v in row[-4:])))
        for row in db.session.execute(named)
    ]
    return sorted(found, key=lambda r: (r.orp_name, r.orp_code, NEED_ORDER[r.need], r.category_code))


def combine(found: Iterable[Rate], *by: str) -> dict[tuple, Counts]:
    """The rates summed over everything but the attributes ``by`` of ``Rate`` (``"orp_code", "need"``
    gives the coverage's cells). Summed over needs areas, an outcome counts once per area it lists."""
    totals: dict[tuple, Counts] = {}
    for rate in found:
        key = tuple(getattr(rate, name) for name in by)
        totals[key] = totals.get(key, Counts()) + rate.counts
    return totals


@dataclass(frozen=True)
class ProviderRate:
    """The outcomes of one provider in one kraj and category (each outcome once)."""

    provider_id: int
    provider_name: str
    ico: str
    category_code: str
    category_name: str
    counts: Counts


def provider_rates(kraj: Kraj, category: ServiceCategory | None = None, year: int | None = None) -> list[ProviderRate]:
    """Outcome rates per provider and category in ``kraj`` (its officials' view of its providers),
    from the running totals; ordered by provider name and category. The caller checks who may see
    them (``permissions.can_compare_providers``)."""
    source = ProviderOutcomeSummary
    sums = [sa.func.sum(c) for c in (source.recorded, source.met, source.partly, source.not_met)]
    stmt = (
        sa.select(Provider.id, Provider.name, Provider.ico, ServiceCategory.code, ServiceCategory.name, *sums)
        .select_from(source)
        .join(Provider, Provider.id == source.provider_id)
        .join(ServiceCategory, ServiceCategory.id == source.category_id)
        .where(source.kraj_id == kraj.id)
        .group_by(Provider.id, Provider.name, Provider.ico, ServiceCategory.code, ServiceCategory.name)
        .order_by(Provider.name, Provider.id, ServiceCategory.code)
    )
    if category is not None:
        stmt = stmt.where(source.category_id == category.id)
    if year is not None:
        stmt = stmt.where(source.year == year)
    return [
        ProviderRate(row[0], row[1], row[2], row[3], row[4], Counts(*(int(v or 0) for v in row[5:])))
        for row in db.session.execute(stmt)
    ]


@dataclass(frozen=True)
class ProviderOutcomes:
    """One provider's outcomes as its page shows them."""

    per_category: list[tuple[ServiceCategory, Counts]]  # each outcome once
    per_need: dict[tuple[str, str], Counts]  # (category code, need) -> counts; an outcome in each area
    follow_ups: list[tuple[str, int]]  # what followed, how often
    reports: int  # final reports given
    comparison: dict[tuple[str, str], Counts] | None  # the kraj's (or country's) rates beside them


def provider_outcomes(provider: Provider, kraj_id: int | None = None, *, compare: bool = False) -> ProviderOutcomes:
    """A provider's outcomes, everywhere or in one kraj (a kraj official sees its own kraj's only),
    with the rates of that kraj (or of the country) beside them when ``compare``."""
    where = [Outcome.provider_id == provider.id]
    if kraj_id is not None:
        where.append(Outcome.kraj_id == kraj_id)
    categories = db.session.execute(
        sa.select(ServiceCategory, *_tally(Outcome.result))
        .join(Outcome, Outcome.category_id == ServiceCategory.id)
        .where(*where)
        .group_by(ServiceCategory.id)
        .order_by(ServiceCategory.code)
    ).all()
    per_category = [(row[0], Counts(row[1], row[2], row[3], row[4])) for row in categories]
    kraj = db.session.get(Kraj, kraj_id) if kraj_id is not None else None
    per_need = combine(rates(kraj=kraj, provider=provider), "category_code", "need")
    followed = db.session.execute(
        sa.select(FollowUp.label, sa.func.count())
        .join(Outcome, Outcome.follow_up_id == FollowUp.id)
        .where(*where)
        .group_by(FollowUp.label)
        .order_by(sa.func.count().desc(), FollowUp.label)
    ).all()
    reports = sa.select(sa.func.count(FinalReport.id)).where(FinalReport.provider_id == provider.id)
    if kraj_id is not None:
        in_kraj = sa.select(Orp.id).where(Orp.kraj_id == kraj_id)
        reports = reports.join(SubContract, SubContract.id == FinalReport.subcontract_id).where(
            SubContract.orp_id.in_(in_kraj)
        )
    comparison = combine(rates(kraj=kraj), "category_code", "need") if compare else None
    return ProviderOutcomes(
        per_category=per_category,
        per_need=per_need,
        follow_ups=[(label, count) for label, count in followed],
        reports=db.session.scalar(reports) or 0,
        comparison=comparison,
    )
