"""Open data: an OCDS 1.1 release package of every awarded minitender.

One release per minitender: the tender (with the framework agreement, techniques extension, and a
``relatedProcesses`` link of relationship ``framework``), the award, the sub-contract and its confirmed
drawdowns as implementation transactions. Parties are identified by IČO (scheme ``CZ-ICO``). Nothing
about the family — no case reference, no text OSPOD wrote — and only minitenders already decided, so no
bid is read before its deadline.

The package is written in batches of plain rows (no ORM objects, nothing kept from one batch to the
next), so a national package of a million releases takes the memory of one batch.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator, Sequence

import sqlalchemy as sa

from minitendr import clock
from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus
from minitendr.frameworks.models import FrameworkContract
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceType

OCID_PREFIX = "ocds-mtndr1"
TECHNIQUES = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json"
)
BATCH = 1000


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return _day(moment)


@functools.lru_cache(maxsize=8192)
def _day(day: dt.date) -> str:
    """A day as the start of it in Prague (a few thousand distinct days recur a million times)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.PRAGUE).isoformat()


def _value(amount: float) -> dict:
    return {"amount": float(amount), "currency": "CZK"}


def _party_id(ico: str) -> str:
    return f"CZ-ICO-{ico}"


def _float(column) -> sa.ColumnElement[float]:
    """Amounts as the doubles JSON has, without a Decimal on the way."""
    return sa.type_coerce(column, sa.Float)


# One row per awarded minitender: the demand, its ORP, framework, sub-contract, supplier and winning bid.
_AWARDED = (
    sa.select(
        Demand.id,
        Demand.number,
        Demand.decided_at,
        Demand.published_at,
        Demand.deadline,
        _float(Demand.volume).label("volume"),
        Demand.end_date,
        Orp.code.label("orp_code"),
        Orp.name.label("orp_name"),
        Kraj.name.label("kraj_name"),
        ServiceType.code.label("type_code"),
        ServiceType.name.label("type_name"),
        ServiceType.unit,
        FrameworkContract.id.label("framework_id"),
        FrameworkContract.number.label("framework_number"),
        FrameworkContract.title.label("framework_title"),
        _float(FrameworkContract.ceiling).label("ceiling"),
        FrameworkContract.valid_from,
        FrameworkContract.valid_to,
        SubContract.id.label("subcontract_id"),
        SubContract.number.label("subcontract_number"),
        SubContract.status.label("subcontract_status"),
        _float(SubContract.value).label("subcontract_value"),
        SubContract.start_date,
        SubContract.end_date.label("subcontract_end"),
        SubContract.signed_on,
        Provider.ico.label("supplier_ico"),
        Provider.name.label("supplier_name"),
        _float(Bid.total).label("award_value"),
        Bid.proposed_start,
    )
    .select_from(Demand)
    .join(SubContract, SubContract.demand_id == Demand.id)
    .join(Orp, Orp.id == Demand.orp_id)
    .join(Kraj, Kraj.id == Orp.kraj_id)
    .join(ServiceType, ServiceType.id == Demand.service_type_id)
    .join(FrameworkContract, FrameworkContract.id == Demand.framework_id)
    .join(Provider, Provider.id == SubContract.provider_id)
    .join(Bid, Bid.id == SubContract.bid_id)
    .where(Demand.status == DemandStatus.AWARDED)
    .order_by(Demand.id)
)
# The bids of decided minitenders only: none is read before its deadline.
_DECIDED_BIDS = (BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED)


def release(demand: sa.Row, bids: Sequence[sa.Row], drawdowns: Sequence[sa.Row]) -> dict:
    """One minitender's release from its row, its decided bids (``ico, name, status``) and its
    confirmed drawdowns (``period, decided_at, amount``)."""
    buyer_id = f"CZ-ORP-{demand.orp_code}"
    parties = {
        buyer_id: {
            "id": buyer_id,
            "name": f"OSPOD {demand.orp_name}",
            "roles": ["buyer", "procuringEntity", "payer"],
            "address": {"locality": demand.orp_name, "region": demand.kraj_name, "countryName": "Česko"},
        },
    }
    for bid in bids:
        roles = ["tenderer"] + (["supplier", "payee"] if bid.status is BidStatus.AWARDED else [])
        parties[_party_id(bid.ico)] = {
            "id": _party_id(bid.ico),
            "name": bid.name,
            "identifier": {"scheme": "CZ-ICO", "id": bid.ico, "legalName": bid.name},
            "roles": roles,
        }
    supplier = {"id": _party_id(demand.supplier_ico), "name": demand.supplier_name}
    buyer = {"id": buyer_id, "name": parties[buyer_id]["name"]}
    ocid = f"{OCID_PREFIX}-{demand.number}"
    decided = _iso(demand.decided_at)
    return {
        "ocid": ocid,
        "id": f"{ocid}-{decided}",
        "date": decided,
        "tag": ["tender", "award", "contract", "implementation"],
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": buyer,
        "tender": {
            "id": demand.number,
            "title": f"{demand.type_name} – OSPOD {demand.orp_name}",
            "status": "complete",
            "mainProcurementCategory": "services",
            "items": [
                {
                    "id": "1",
                    "description": demand.type_name,
                    "classification": {
                        "scheme": "x_MPSV_sluzby",
                        "id": demand.type_code,
                        "description": demand.type_name,
                    },
                    "quantity": float(demand.volume),
                    "unit": {"name": demand.unit},
                }
            ],
            "tenderPeriod": {"startDate": _iso(demand.published_at), "endDate": _iso(demand.deadline)},
            "numberOfTenderers": len(bids),
            "tenderers": [{"id": _party_id(b.ico), "name": b.name} for b in bids],
            "competitive": True,
            "techniques": {
                "hasFrameworkAgreement": True,
                "frameworkAgreement": {
                    "method": "withReopeningCompetition",
                    "value": _value(demand.ceiling),
                    "period": {"startDate": _iso(demand.valid_from), "endDate": _iso(demand.valid_to)},
                },
            },
        },
        "relatedProcesses": [
            {
                "id": f"framework-{demand.framework_id}",
                "relationship": ["framework"],
                "title": f"Rámcová smlouva {demand.framework_number}: {demand.framework_title}",
                "scheme": "x_minitendr_ramcova_smlouva",
                "identifier": demand.framework_number,
            }
        ],
        "awards": [
            {
                "id": f"{demand.number}-award",
                "status": "active",
                "date": decided,
                "value": _value(demand.award_value),
                "suppliers": [supplier],
                "contractPeriod": {"startDate": _iso(demand.proposed_start), "endDate": _iso(demand.end_date)},
            }
        ],
        "contracts": [
            {
                "id": demand.subcontract_number,
                "awardID": f"{demand.number}-award",
                "title": f"Dílčí smlouva {demand.subcontract_number}",
                "status": "active" if demand.subcontract_status is SubContractStatus.ACTIVE else "terminated",
                "value": _value(demand.subcontract_value),
                "period": {"startDate": _iso(demand.start_date), "endDate": _iso(demand.subcontract_end)},
                "dateSigned": _iso(demand.signed_on),
                "implementation": {
                    "transactions": [
                        {
                            "id": f"{demand.subcontract_number}-{d.period:%Y-%m}",
                            "date": _iso(d.decided_at),
                            "value": _value(d.amount),
                            "payer": buyer,
                            "payee": supplier,
                        }
                        for d in drawdowns
                    ]
                },
            }
        ],
    }


def releases() -> Iterator[dict]:
    """Every awarded minitender, a batch of plain rows at a time (a national package has a million)."""
    connection = db.session.connection()
    last = 0
    while True:
        demands = connection.execute(_AWARDED.where(Demand.id > last).limit(BATCH)).all()
        if not demands:
            return
        bids: dict[int, list[sa.Row]] = {}
        for bid in connection.execute(
            sa.select(Bid.demand_id, Provider.ico, Provider.name, Bid.status)
            .join(Provider, Provider.id == Bid.provider_id)
            .where(Bid.demand_id.in_([d.id for d in demands]), Bid.status.in_(_DECIDED_BIDS))
            .order_by(Bid.id)
        ):
            bids.setdefault(bid.demand_id, []).append(bid)
        drawdowns: dict[int, list[sa.Row]] = {}
        for drawdown in connection.execute(
            sa.select(
                Drawdown.subcontract_id, Drawdown.period, Drawdown.decided_at, _float(Drawdown.amount).label("amount")
            )
            .where(
                Drawdown.subcontract_id.in_([d.subcontract_id for d in demands]),
                Drawdown.status == DrawdownStatus.CONFIRMED,
            )
            .order_by(Drawdown.period, Drawdown.id)
        ):
            drawdowns.setdefault(drawdown.subcontract_id, []).append(drawdown)
        for demand in demands:
            yield release(demand, bids.get(demand.id, []), drawdowns.get(demand.subcontract_id, []))
        last = demands[-1].id


def package_head(uri: str) -> str:
    """The package up to its first release: who publishes it, when, under which licence."""
    head = {
        "uri": uri,
        "version": "1.1",
        "publishedDate": _iso(clock.now()),
        "publisher": {"name": "minitendr – minitendry OSPOD"},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "extensions": [TECHNIQUES],
    }
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "releases": ['


def package_chunks(uri: str) -> Iterator[str]:
    """The release package as JSON text: the head, each release, the end."""
    yield package_head(uri)
    for n, item in enumerate(releases()):
        yield ("," if n else "") + json.dumps(item, ensure_ascii=False)
    yield "]}"
