"""The JSON API /api/v1 (OpenAPI 3.1 by flask-smorest): the same services, permission rules and
sealing as the pages, for kraj systems and providers' own software. Personal tokens authenticate it
(``Authorization: Bearer …``), never the browser's session."""

from __future__ import annotations

import copy
import os
from typing import Any

from flask import Flask, current_app
from flask_smorest import Api as SmorestApi

from minitendr.api.problems import PROBLEM

API_TITLE = "minitendr API"
API_DESCRIPTION = (
    "Minitendry OSPOD: rámcové smlouvy, poptávky, zapečetěné nabídky, dílčí smlouvy, čerpání a přehledy. "
    "Přihlášení osobním API tokenem (účet → API tokeny, nebo `minitendr tokens create`) v hlavičce "
    "`Authorization: Bearer <token>`. Chyby jako RFC 9457 `application/problem+json`; částky jako desetinné "
    "řetězce v Kč; časy ISO 8601 s posunem; seznamy stránkované kurzorem (`next`); GET s `ETag`; podání "
    "nabídky a vykázání čerpání s hlavičkou `Idempotency-Key` se neuloží dvakrát. Údaje zapečetěné nabídky "
    "v odpovědi chybějí (nejsou null), dokud je čtenář smí vidět. Změny (PUT, PATCH) přijímají hlavičku "
    "`If-Match` s ETag z posledního načtení: změnil-li se záznam mezitím, odpověď je 412 a nic se nezmění. "
    "Hlavička je nepovinná (bez ní se změna provede), aby dosavadní klienti fungovali dál."
)


class Api(SmorestApi):
    """flask-smorest, except that errors are the application's (problem+json on /api/, pages elsewhere),
    and the document says so."""

    def _register_error_handlers(self) -> None:
        """The application's handlers answer (minitendr.home.errors → minitendr.api.problems)."""

    def document(self) -> dict[str, Any]:
        """The OpenAPI document: every error response is problem+json."""
        spec = copy.deepcopy(self.spec.to_dict())
        for path in spec.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    if (status == "default" or str(status)[0] in "45") and "content" in response:
                        response["content"] = {PROBLEM: response["content"].popitem()[1]}
        for response in spec.get("components", {}).get("responses", {}).values():
            if "content" in response:
                response["content"] = {PROBLEM: response["content"].popitem()[1]}
        return spec

    def _openapi_json(self):
        return current_app.response_class(current_app.json.dumps(self.document()), mimetype="application/json")


api = Api()


_LIMITED: set[str] = set()  # the blueprints the per-token limit is on (once per process)


def register(app: Flask) -> None:
    """The API's settings, blueprints, authentication and limits."""
    from minitendr.api import account, bids, committee, contracts, core, demands, docs, frameworks, reports
    from minitendr.api.schemas import ProblemSchema
    from minitendr.extensions import csrf, limiter

    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {})
    app.config["API_SPEC_OPTIONS"] = {
        "info": {"description": API_DESCRIPTION},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        **app.config["API_SPEC_OPTIONS"],
    }
    app.config.setdefault("API_LIMIT", os.environ.get("MINITENDR_API_LIMIT", "600 per minute"))
    Api.ERROR_SCHEMA = ProblemSchema
    api.init_app(app)
    app.before_request(core.authenticate)
    app.after_request(core.finish)
    per_token = limiter.shared_limit(lambda: current_app.config["API_LIMIT"], scope="api", key_func=core.limit_key)
    for module in (frameworks, demands, committee, bids, contracts, reports):
        csrf.exempt(module.blp)  # no cookie authenticates the API: nothing for a forged request to ride on
        # The blueprints and the limiter are the process's, shared by every application made in it: a
        # limit put on a blueprint again would count each request once more.
        if module.blp.name not in _LIMITED:
            per_token(module.blp)
            _LIMITED.add(module.blp.name)
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(account.bp)
