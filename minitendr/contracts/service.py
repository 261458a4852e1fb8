"""Sub-contracts after the award: drawdowns, amendments, completion, the register of contracts.

Money invariants held here, in the same transaction as the change, under row locks:
what is reported and not rejected never exceeds the contracted value, an amendment never brings the
value below that nor the framework above its ceiling. Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from minitendr import clock
from minitendr.audit.service import record
from minitendr.auth.models import Role, User
from minitendr.contracts.models import Amendment, Drawdown, DrawdownStatus, SubContract
from minitendr.db import DomainError, db
from minitendr.formatting import money as format_money
from minitendr.frameworks import service as frameworks
from minitendr.money import to_money
from minitendr.network import summary as network_summary
from minitendr.notifications.service import link, notify, provider_users
from minitendr.privacy import check_no_birth_numbers, required_text
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj
from minitendr.reports import summary

REPORTED = (DrawdownStatus.SUBMITTED, DrawdownStatus.CONFIRMED)


def allocate_number(kraj: Kraj, day: dt.date) -> tuple[str, int, int]:
    """The next sub-contract number of ``kraj`` in ``day``'s year, e.g. ``DS-PAK-2026-0001``.

    Returns (number, year, seq) for the columns ``number``, ``number_year`` and ``number_seq``. Call it
    in the transaction that inserts the sub-contract: the kraj's row stays locked until that
    transaction ends, so a concurrent award waits and then sees this number, and a refused award rolls
    its number back with everything else (no sequence object, so nothing is lost and no gap opens).
    """
    return _allocate(db.session(), kraj.id, day.year)


def _allocate(session: orm.Session, kraj_id: int, year: int) -> tuple[str, int, int]:
    kraj = session.execute(sa.select(Kraj).where(Kraj.id == kraj_id).with_for_update()).scalar_one()
    last = session.scalar(
        sa.select(sa.func.max(SubContract.number_seq)).where(
            SubContract.kraj_abbr == kraj.abbr, SubContract.number_year == year
        )
    )
    return _number(kraj.abbr, year, (last or 0) + 1), year, (last or 0) + 1


def _number(abbr: str, year: int, seq: int) -> str:
    return f"DS-{abbr}-{year}-{seq:04d}"


def drawn(subcontract: SubContract, statuses=(DrawdownStatus.CONFIRMED,)) -> Decimal:
    """The sum of the sub-contract's drawdowns in ``statuses`` (confirmed: what is spent)."""
    total = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Drawdown.amount), 0)).where(
            Drawdown.subcontract_id == subcontract.id, Drawdown.status.in_(statuses)
        )
    ).scalar_one()  # an aggregate: always exactly one row
    return to_money(total)


def reserved(subcontract: SubContract) -> Decimal:
    """Reported and not rejected: what the contracted value must still cover."""
    return drawn(subcontract, REPORTED)


def lock(subcontract: SubContract) -> SubContract:
    """Hold the sub-contract's row and read it afresh: drawdowns and amendments on it run one at a time."""
    return db.session.execute(
        sa.select(SubContract)
        .where(SubContract.id == subcontract.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _ospod_users(subcontract: SubContract) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == Role.OSPOD, User.orp_id == subcontract.orp_id, User.active)
        )
    )


# --- drawdowns -----------------------------------------------------------------------------------
def report_drawdown(
    subcontract: SubContract,
    provider: Provider,
    *,
    period: dt.date,
    units: Decimal,
    amount: Decimal,
    reason: str | None = None,
) -> Drawdown:
    """The provider reports a month's delivered units and their amount."""
    subcontract = lock(subcontract)
    subcontract.ensure_active()
    if provider.id != subcontract.provider_id:
        raise DomainError("Čerpání vykazuje jen poskytovatel dílčí smlouvy.")
    period = month_start(period)
    if period < month_start(subcontract.start_date) or period > month_start(subcontract.end_date):
        raise DomainError(
            f"Období musí ležet v době plnění smlouvy ({subcontract.start_date:%m/%Y}–{subcontract.end_date:%m/%Y}).",
            field="period",
        )
    if period > month_start(clock.today()):
        raise DomainError("Čerpání lze vykázat jen za uplynulý nebo běžící měsíc.", field="period")
    if units is None or units <= 0:
        raise DomainError("Počet jednotek musí být kladný.", field="units")
    if amount is None or amount <= 0:
        raise DomainError("Částka musí být kladná.", field="amount")
    if to_money(amount) != amount:
        raise DomainError("Částku zadejte nejvýše na haléře.", field="amount")
    reason = (reason or "").strip() or None
    expected = to_money(units * subcontract.unit_price)
    if amount != expected and not reason:
        raise DomainError(
            f"Částka neodpovídá počtu jednotek × ceně za jednotku ({format_money(expected)}); "
            "uveďte důvod rozdílu, nebo ji opravte.",
            field="amount",
        )
    check_no_birth_numbers({"reason": reason}, ("reason",))
    duplicate = db.session.scalar(
        sa.select(Drawdown.id).where(
            Drawdown.subcontract_id == subcontract.id, Drawdown.period == period, Drawdown.status.in_(REPORTED)
        )
    )
    if duplicate is not None:
        raise DomainError(f"Za období {period:%m/%Y} už je čerpání vykázáno.", field="period")
    remaining = subcontract.value - reserved(subcontract)
    if amount > remaining:
        raise DomainError(f"Čerpání by překročilo smluvní hodnotu; zbývá {format_money(remaining)}.", field="amount")
    drawdown = Drawdown(subcontract=subcontract, period=period, units=units, amount=amount, difference_reason=reason)
    db.session.add(drawdown)
    db.session.flush()
    record(
        "drawdown.reported", subcontract, {"drawdown": drawdown.id, "period": period, "units": units, "amount": amount}
    )
    notify(
        _ospod_users(subcontract),
        f"Čerpání k potvrzení: {subcontract.number}",
        f"{subcontract.provider.name} vykázal čerpání za {period:%m/%Y}: {format_money(amount)}.",
        link("contracts.detail", subcontract_id=subcontract.id),
    )
    return drawdown


def confirm_drawdown(drawdown: Drawdown) -> None:
    """OSPOD confirms: the amount counts as spent."""
    subcontract = lock(drawdown.subcontract)
    drawdown.confirm()
    summary.drawdown_confirmed(drawdown)
    record("drawdown.confirmed", subcontract, {"drawdown": drawdown.id, "amount": drawdown.amount})
    notify(
        provider_users([subcontract.provider_id]),
        f"Čerpání potvrzeno: {subcontract.number}",
        f"Čerpání za {drawdown.period:%m/%Y} ({format_money(drawdown.amount)}) bylo potvrzeno.",
        link("contracts.detail", subcontract_id=subcontract.id),
    )


def reject_drawdown(drawdown: Drawdown, reason: str | None) -> None:
    """OSPOD rejects, with a reason; the provider may report the month again."""
    subcontract = lock(drawdown.subcontract)
    drawdown.reject(reason)
    reason = drawdown.rejection_reason
    record("drawdown.rejected", subcontract, {"drawdown": drawdown.id, "amount": drawdown.amount, "reason": reason})
    notify(
        provider_users([subcontract.provider_id]),
        f"Čerpání zamítnuto: {subcontract.number}",
        f"Čerpání za {drawdown.period:%m/%Y} bylo zamítnuto: {reason}",
        link("contracts.detail", subcontract_id=subcontract.id),
    )


# --- amendments ----------------------------------------------------------------------------------
def amend(
    subcontract: SubContract,
    *,
    new_value: Decimal,
    new_units: Decimal,
    new_end_date: dt.date,
    reason: str,
    provider_consent: str,
    consent_on: dt.date,
) -> Amendment:
    """A change of value, units or end date, agreed by the provider; the value never drops below what
    is reported, and the framework never goes above its ceiling."""
    subcontract = lock(subcontract)
    subcontract.ensure_active()
    if (new_value, new_units, new_end_date) == (subcontract.value, subcontract.units, subcontract.end_date):
        raise DomainError("Dodatek nic nemění.")
    if new_value is None or new_value <= 0 or to_money(new_value) != new_value:
        raise DomainError("Nová hodnota musí být kladná částka na haléře.", field="new_value")
    if new_units is None or new_units <= 0:
        raise DomainError("Nový počet jednotek musí být kladný.", field="new_units")
    if new_end_date < subcontract.start_date:
        raise DomainError("Konec plnění nesmí předcházet jeho začátku.", field="new_end_date")
    reason = required_text(reason, "reason", "Uveďte důvod dodatku.")
    provider_consent = required_text(
        provider_consent,
        "provider_consent",
        "Zaznamenejte souhlas poskytovatele (např. číslo jednací nebo e-mail).",
    )
    if consent_on > clock.today():
        raise DomainError("Datum souhlasu nesmí být v budoucnosti.", field="consent_on")
    already = reserved(subcontract)
    if new_value < already:
        raise DomainError(
            f"Hodnotu nelze snížit pod již vykázané čerpání ({format_money(already)}).", field="new_value"
        )
    last_period = db.session.scalar(
        sa.select(sa.func.max(Drawdown.period)).where(
            Drawdown.subcontract_id == subcontract.id, Drawdown.status.in_(REPORTED)
        )
    )
    if last_period is not None and month_start(new_end_date) < last_period:
        raise DomainError(
            f"Konec plnění nesmí předcházet vykázanému čerpání za {last_period:%m/%Y}.", field="new_end_date"
        )
    if new_value > subcontract.value:
        framework = frameworks.lock(subcontract.framework_id)
        headroom = frameworks.remaining(framework)
        if new_value - subcontract.value > headroom:
            raise DomainError(
                f"Navýšení o {format_money(new_value - subcontract.value)} by překročilo strop rámcové smlouvy "
                f"{framework.number}; zbývá {format_money(headroom)}.",
                field="new_value",
            )
    seq = len(subcontract.amendments) + 1
    amendment = Amendment(
        subcontract=subcontract,
        seq=seq,
        old_value=subcontract.value,
        new_value=new_value,
        old_units=subcontract.units,
        new_units=new_units,
        old_end_date=subcontract.end_date,
        new_end_date=new_end_date,
        reason=reason,
        provider_consent=provider_consent,
        consent_on=consent_on,
    )
    db.session.add(amendment)
    changes = {
        key: [old, new]
        for key, old, new in (
            ("value", subcontract.value, new_value),
            ("units", subcontract.units, new_units),
            ("end_date", subcontract.end_date, new_end_date),
        )
        if old != new
    }
    difference = new_value - subcontract.value
    subcontract.value, subcontract.units, subcontract.end_date = new_value, new_units, new_end_date
    db.session.flush()
    summary.value_amended(subcontract, difference)
    network_summary.value_amended(subcontract, difference)
    record("subcontract.amended", subcontract, {"seq": seq, **changes, "reason": reason})
    notify(
        provider_users([subcontract.provider_id]),
        f"Dodatek č. {seq} k {subcontract.number}",
        f"Dílčí smlouva byla změněna dodatkem č. {seq}: {reason}",
        link("contracts.detail", subcontract_id=subcontract.id),
    )
    return amendment


# --- closing -------------------------------------------------------------------------------------
def _ensure_nothing_pending(subcontract: SubContract) -> None:
    pending = db.session.scalar(
        sa.select(sa.func.count(Drawdown.id)).where(
            Drawdown.subcontract_id == subcontract.id, Drawdown.status == DrawdownStatus.SUBMITTED
        )
    )
    if pending:
        raise DomainError("Nejdřív potvrďte nebo zamítněte čerpání, které čeká na rozhodnutí.")


def complete(subcontract: SubContract) -> None:
    subcontract = lock(subcontract)
    _ensure_nothing_pending(subcontract)
    subcontract.complete()
    record("subcontract.completed", subcontract, {"spent": drawn(subcontract)})


def terminate(subcontract: SubContract, reason: str | None) -> None:
    subcontract = lock(subcontract)
    _ensure_nothing_pending(subcontract)
    subcontract.terminate(reason)
    record(
        "subcontract.terminated", subcontract, {"reason": subcontract.termination_reason, "spent": drawn(subcontract)}
    )
    notify(
        provider_users([subcontract.provider_id]),
        f"Dílčí smlouva {subcontract.number} ukončena",
        f"Dílčí smlouva byla předčasně ukončena: {subcontract.termination_reason}",
        link("contracts.detail", subcontract_id=subcontract.id),
    )


# --- register of contracts -----------------------------------------------------------------------
def record_registry(
    subcontract: SubContract,
    registry_id: str | None,
    published_on: dt.date,
    version: str | None = None,
    source: str = "zadáno ručně",
) -> None:
    """Where and when the contract was published in the register of contracts: typed by its OSPOD or
    kraj, or read from the register's answer (``source`` says which, in the audit trail). Under the
    sub-contract's lock: two records at once must not both take it off what awaits publishing."""
    subcontract = lock(subcontract)
    subcontract.record_publication(registry_id, published_on, version)
    db.session.flush()
    summary.registry_recorded(subcontract)
    record(
        "subcontract.registry_published",
        subcontract,
        {
            "registry_id": subcontract.registry_id,
            "registry_version": subcontract.registry_version,
            "published_on": published_on,
            "source": source,
        },
    )


def record_amendment_registry(
    amendment: Amendment,
    registry_id: str | None,
    published_on: dt.date,
    version: str | None = None,
    source: str = "zadáno ručně",
) -> None:
    """Where and when an amendment was published in the register of contracts (its own record)."""
    amendment.record_publication(registry_id, published_on, version)
    record(
        "subcontract.amendment_published",
        amendment.subcontract,
        {
            "seq": amendment.seq,
            "registry_id": amendment.registry_id,
            "registry_version": amendment.registry_version,
            "published_on": published_on,
            "source": source,
        },
    )
