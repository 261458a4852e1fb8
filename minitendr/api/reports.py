"""API: the spend summary (the filters of /reports/spend) and the service network's coverage (the
filters of /network/), each within what the user may read."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from minitendr.api import schemas
from minitendr.api.core import money, user
from minitendr.api.problems import Problem
from minitendr.network import coverage
from minitendr.reports import service
from minitendr.reports.service import FilterError, OutOfScope

blp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports", description="Přehledy")


def _args(args: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in args.items() if value not in (None, "")}


def _parsed(parse, args: dict[str, Any]):
    try:
        return parse(_args(args), user())
    except OutOfScope as error:
        raise Problem(403, "Tento výběr je mimo rozsah vašeho oprávnění.") from error
    except FilterError as error:
        raise Problem(422, error.message, field=error.field) from error


@blp.get("/spend")
@blp.arguments(schemas.SpendArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.Spend)
def spend(**args):
    """Čerpání podle kraje × kategorie (jako list Souhrn exportu), se součty; jen minitendry po lhůtě."""
    filters = _parsed(service.parse_filters, args)
    rows = service.matrix(filters, user())
    totals = service.totals(rows)
    return {
        "filters": filters.as_args(),
        "rows": [
            {
                "kraj_code": row["kraj_code"],
                "kraj": row["kraj"],
                "category_code": row["category_code"],
                "category": row["category"],
                "count": row["count"],
                "value": money(row["value"]),
                "drawn": money(row["drawn"]),
            }
            for row in rows
        ],
        "count": totals["count"],
        "value": money(totals["value"]),
        "drawn": money(totals["drawn"]),
    }


@blp.get("/network")
@blp.arguments(schemas.NetworkArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.Network)
def network(**args):
    """Pokrytí sítě služeb: ORP × oblast potřeb (jako tabulka /network/)."""
    filters = _parsed(coverage.parse_filters, args)
    return {
        "cells": [
            {
                "orp_code": cell.orp_code,
                "orp": cell.orp_name,
                "kraj_code": cell.kraj_code,
                "need": cell.need,
                "published": cell.published,
                "awarded": cell.awarded,
                "unmet": cell.unmet,
                "single_bid": cell.single_bid,
                "value": money(cell.value),
                "services": cell.services,
                "model_minimum": cell.model_minimum,
                "children": cell.children,
                "value_per_child": money(cell.value_per_child),
                "gap": cell.gap,
            }
            for cell in coverage.cells(filters, user())
        ]
    }
