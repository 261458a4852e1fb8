"""Open data: an OCDS 1.1 release package of every awarded minitender.

One release per minitender: the tender (with the framework agreement, techniques extension, and a
``relatedProcesses`` link of relationship ``framework``), the award, the sub-contract and its confirmed
drawdowns as implementation transactions. Parties are identified by IČO (scheme ``CZ-ICO``). Nothing
about the family — no case reference, no text OSPOD wrote — and only minitenders already decided, so no
bid is read before its deadline.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from minitendr import clock
from minitendr.bids.models import Bid, BidStatus
from minitendr.contracts.models import Drawdown, DrawdownStatus, SubContract, SubContractStatus
from minitendr.db import db
from minitendr.demands.models import Demand, DemandStatus

OCID_PREFIX = "ocds-mtndr1"
TECHNIQUES = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json"
)
BATCH = 500


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return dt.datetime.combine(moment, dt.time(), tzinfo=clock.PRAGUE).isoformat()


def _value(amount: Decimal) -> dict:
    return {"amount": float(amount), "currency": "CZK"}


def _party_id(ico: str) -> str:
    return f"CZ-ICO-{ico}"


def release(demand: Demand, subcontract: SubContract, bids: list[Bid], drawdowns: list[Drawdown]) -> dict:
    framework = demand.framework
    assert framework is not None  # a minitender is published under its framework before it is awarded
    buyer_id = f"CZ-ORP-{demand.orp.code}"
    parties = {
        buyer_id: {
            "id": buyer_id,
            "name": f"OSPOD {demand.orp.name}",
            "roles": ["buyer", "procuringEntity", "payer"],
            "address": {"locality": demand.orp.name, "region": demand.orp.kraj.name, "countryName": "Česko"},
        },
    }
    for bid in bids:
        provider = bid.provider
        roles = ["tenderer"] + (["supplier", "payee"] if bid.status is BidStatus.AWARDED else [])
        parties[_party_id(provider.ico)] = {
            "id": _party_id(provider.ico),
            "name": provider.name,
            "identifier": {"scheme": "CZ-ICO", "id": provider.ico, "legalName": provider.name},
            "roles": roles,
        }
    supplier = {"id": _party_id(subcontract.provider.ico), "name": subcontract.provider.name}
    buyer = {"id": buyer_id, "name": parties[buyer_id]["name"]}
    ocid = f"{OCID_PREFIX}-{demand.number}"
    return {
        "ocid": ocid,
        "id": f"{ocid}-{_iso(demand.decided_at)}",
        "date": _iso(demand.decided_at),
        "tag": ["tender", "award", "contract", "implementation"],
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": buyer,
        "tender": {
            "id": demand.number,
            "title": f"{demand.service_type.name} – OSPOD {demand.orp.name}",
            "status": "complete",
            "mainProcurementCategory": "services",
            "items": [
                {
                    "id": "1",
                    "description": demand.service_type.name,
                    "classification": {
                        "scheme": "x_MPSV_sluzby",
                        "id": demand.service_type.code,
                        "description": demand.service_type.name,
                    },
                    "quantity": float(demand.volume),
                    "unit": {"name": demand.service_type.unit},
                }
            ],
            "tenderPeriod": {"startDate": _iso(demand.published_at), "endDate": _iso(demand.deadline)},
            "numberOfTenderers": len(bids),
            "tenderers": [{"id": _party_id(b.provider.ico), "name": b.provider.name} for b in bids],
            "competitive": True,
            "techniques": {
                "hasFrameworkAgreement": True,
                "frameworkAgreement": {
                    "method": "withReopeningCompetition",
                    "value": _value(framework.ceiling),
                    "period": {"startDate": _iso(framework.valid_from), "endDate": _iso(framework.valid_to)},
                },
            },
        },
        "relatedProcesses": [
            {
                "id": f"framework-{framework.id}",
                "relationship": ["framework"],
                "title": f"Rámcová smlouva {framework.number}: {framework.title}",
                "scheme": "x_minitendr_ramcova_smlouva",
                "identifier": framework.number,
            }
        ],
        "awards": [
            {
                "id": f"{demand.number}-award",
                "status": "active",
                "date": _iso(demand.decided_at),
                "value": _value(subcontract.bid.total),
                "suppliers": [supplier],
                "contractPeriod": {"startDate": _iso(subcontract.bid.proposed_start), "endDate": _iso(demand.end_date)},
            }
        ],
        "contracts": [
            {
                "id": subcontract.number,
                "awardID": f"{demand.number}-award",
                "title": f"Dílčí smlouva {subcontract.number}",
                "status": "active" if subcontract.status is SubContractStatus.ACTIVE else "terminated",
                "value": _value(subcontract.value),
                "period": {"startDate": _iso(subcontract.start_date), "endDate": _iso(subcontract.end_date)},
                "dateSigned": _iso(subcontract.signed_on),
                "implementation": {
                    "transactions": [
                        {
                            "id": f"{subcontract.number}-{d.period:%Y-%m}",
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
    """Every awarded minitender, in batches (a national package has hundreds of thousands)."""
    last = 0
    while True:
        demands = db.session.scalars(
            sa.select(Demand)
            .where(Demand.status == DemandStatus.AWARDED, Demand.id > last)
            .order_by(Demand.id)
            .limit(BATCH)
            .options(selectinload(Demand.orp), selectinload(Demand.service_type), selectinload(Demand.framework))
        ).all()
        if not demands:
            return
        ids = [d.id for d in demands]
        subcontracts = {
            s.demand_id: s
            for s in db.session.scalars(
                sa.select(SubContract)
                .where(SubContract.demand_id.in_(ids))
                .options(selectinload(SubContract.provider), selectinload(SubContract.bid))
            )
        }
        bids: dict[int, list[Bid]] = {}
        for bid in db.session.scalars(
            sa.select(Bid)
            .where(
                Bid.demand_id.in_(ids),
                Bid.status.in_([BidStatus.AWARDED, BidStatus.NOT_AWARDED, BidStatus.EXCLUDED]),
            )
            .options(selectinload(Bid.provider))
            .order_by(Bid.id)
        ):
            bids.setdefault(bid.demand_id, []).append(bid)
        drawdowns: dict[int, list[Drawdown]] = {}
        for drawdown in db.session.scalars(
            sa.select(Drawdown)
            .where(
                Drawdown.subcontract_id.in_([s.id for s in subcontracts.values()]),
                Drawdown.status == DrawdownStatus.CONFIRMED,
            )
            .order_by(Drawdown.period)
        ):
            drawdowns.setdefault(drawdown.subcontract_id, []).append(drawdown)
        for demand in demands:
            subcontract = subcontracts.get(demand.id)
            if subcontract is not None:
                yield release(demand, subcontract, bids.get(demand.id, []), drawdowns.get(subcontract.id, []))
        last = ids[-1]
        # Let this batch's rows go (the identity map would otherwise hold the whole country).
        for objects in (demands, subcontracts.values(), *bids.values(), *drawdowns.values()):
            for obj in objects:
                db.session.expunge(obj)


def package_chunks(uri: str) -> Iterator[str]:
    """The release package as JSON text, in chunks (streamed: the whole country does not fit in memory)."""
    head = {
        "uri": uri,
        "version": "1.1",
        "publishedDate": _iso(clock.now()),
        "publisher": {"name": "minitendr – minitendry OSPOD"},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "extensions": [TECHNIQUES],
    }
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "releases": ['
    yield opening
    for n, item in enumerate(releases()):
        yield ("," if n else "") + json.dumps(item, ensure_ascii=False)
    yield "]}"
