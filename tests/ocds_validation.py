"""Validating an OCDS 1.1 release package offline, against ``../shared/data/ocds/`` (the official schema,
the techniques extension merged in, and the closed codelists). The files stay where they are: the
project does not copy them."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OCDS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ocds"
RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def validator() -> Draft4Validator:
    release = json.loads((OCDS_DIR / "1.1-release-schema.json").read_text("utf-8"))
    release = merge_patch(release, json.loads((OCDS_DIR / "techniques" / "release-schema.json").read_text("utf-8")))
    package = json.loads((OCDS_DIR / "1.1-release-package-schema.json").read_text("utf-8"))
    registry = Registry().with_resource(RELEASE_URL, Resource(contents=release, specification=DRAFT4))
    return Draft4Validator(package, registry=registry)


def codelist(name: str) -> set[str]:
    with (OCDS_DIR / "codelists" / name).open(encoding="utf-8") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def codelist_errors(package: dict) -> list[str]:
    """Codes outside the closed codelists."""
    closed = {
        name: codelist(f"{name}.csv")
        for name in (
            "releaseTag",
            "tenderStatus",
            "awardStatus",
            "contractStatus",
            "initiationType",
            "partyRole",
            "relatedProcess",
        )
    }
    errors = []

    def check(kind: str, code, where: str) -> None:
        if code not in closed[kind]:
            errors.append(f"{where}: {code!r} is not in {kind}")

    for release in package["releases"]:
        ocid = release["ocid"]
        for tag in release["tag"]:
            check("releaseTag", tag, ocid)
        check("initiationType", release["initiationType"], ocid)
        check("tenderStatus", release["tender"]["status"], ocid)
        for party in release["parties"]:
            for role in party["roles"]:
                check("partyRole", role, ocid)
        for award in release.get("awards", []):
            check("awardStatus", award["status"], ocid)
        for contract in release.get("contracts", []):
            check("contractStatus", contract["status"], ocid)
        for related in release.get("relatedProcesses", []):
            for relationship in related["relationship"]:
                check("relatedProcess", relationship, ocid)
    return errors
