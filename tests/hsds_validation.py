"""Validating HSDS 3.0 objects offline against the schemas in ``shared/data/hsds/`` (Open Referral's,
one file per object, referring to each other by file name)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def hsds_dir() -> Path:
    """``shared/data/hsds`` beside the checkout or beside one of its parents (a worktree lies deeper)."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "data" / "hsds"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/data/hsds not found above the checkout")


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text("utf-8")) for path in hsds_dir().glob("*.json")}


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in _schemas().items()
        if name != "openapi.json"
    )


def errors(instance: Any, schema_name: str) -> list[str]:
    """Every way ``instance`` breaks the schema (formats checked too: uuid, email, uri, date-time)."""
    validator = Draft202012Validator(
        _schemas()[schema_name], registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def unknown_fields(instance: Any, schema_name: str, path: str = "") -> list[str]:
    """Fields the schema does not define (its objects allow any, so an invented one would pass)."""
    schema = _schemas()[schema_name]
    found = []
    for key, value in instance.items():
        where = f"{path}/{key}"
        definition = schema["properties"].get(key)
        if definition is None:
            found.append(where)
            continue
        ref = definition.get("$ref") or definition.get("items", {}).get("$ref")
        if ref and isinstance(value, dict):
            found += unknown_fields(value, ref, where)
        elif ref and isinstance(value, list):
            for n, item in enumerate(value):
                found += unknown_fields(item, ref, f"{where}/{n}")
    return found


def page_schema() -> dict[str, Any]:
    """The API's paged response (``#/components/schemas/Page`` of openapi.json)."""
    return _schemas()["openapi.json"]["components"]["schemas"]["Page"]
