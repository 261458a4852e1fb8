"""The API's documentation page, made on the server from the OpenAPI document: no script, no CDN."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


def _content_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a response's (first) content."""
    content: dict[str, Any] = response.get("content") or {}
    first: dict[str, Any] = next(iter(content.values()), {})
    return first.get("schema")


def _schema_name(schema: dict | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_schema_name(schema.get('items'))}]"
    kind = schema.get("type", "")
    return "/".join(kind) if isinstance(kind, list) else str(kind)


@bp.get("/api/v1/docs")
def docs():
    """Every endpoint with its parameters, body and answers, and every schema with its fields."""
    from minitendr.api import api

    spec = api.document()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            body = operation.get("requestBody", {}).get("content", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or [""])[0],
                    "parameters": [*item.get("parameters", []), *operation.get("parameters", [])],
                    "body": [(kind, _schema_name(content.get("schema"))) for kind, content in body.items()],
                    "responses": [
                        (
                            status,
                            response.get("description", ""),
                            _schema_name(_content_schema(response)),
                        )
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template("api/docs.html", spec=spec, operations=operations, schemas=schemas, schema_name=_schema_name)
