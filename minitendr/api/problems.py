"""Errors of the API as RFC 9457 problem details (``application/problem+json``), in Czech.

Every error under /api/ ends here: a refused rule (``DomainError`` → 422 at its field), webargs'
refused input (422 with each field's message), and the application's own errors (401, 403, 404,
405, 409, 412, 429, 500)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "Neplatný požadavek",
    401: "Chybí platný API token",
    403: "Přístup odepřen",
    404: "Záznam nenalezen",
    405: "Nepovolená metoda",
    406: "Nepodporovaný formát odpovědi",
    409: "Konflikt",
    412: "Záznam se mezitím změnil",
    413: "Příliš velký požadavek",
    415: "Nepodporovaný formát požadavku",
    422: "Údaje nelze přijmout",
    428: "Chybí podmínka požadavku",
    429: "Příliš mnoho požadavků",
    500: "Chyba serveru",
    503: "Služba nedostupná",
}
DETAILS = {
    400: "Požadavek nebylo možné zpracovat. Zkontrolujte zadané údaje.",
    401: "Pošlete hlavičku Authorization: Bearer <token> s platným osobním API tokenem.",
    403: "K tomuto záznamu nebo akci nemáte oprávnění.",
    404: "Požadovaný záznam neexistuje nebo k němu nemáte přístup.",
    405: "Tuto akci nelze provést touto metodou.",
    409: "Požadavek je v rozporu se stavem záznamu.",
    412: "Záznam se mezitím změnil; načtěte jej znovu.",
    413: "Odeslaná data jsou příliš velká.",
    415: "Pošlete data jako application/json, případně multipart/form-data.",
    422: "Některé údaje nelze přijmout; podrobnosti jsou u jednotlivých polí.",
    429: "Příliš mnoho požadavků v krátké době. Zkuste to znovu za chvíli.",
    500: "Něco se pokazilo na naší straně. Chyba byla zaznamenána; zkuste to prosím znovu.",
}
PROBLEM = "application/problem+json"


class Problem(HTTPException):
    """An API error with a Czech detail and field errors: ``raise Problem(422, "…", field="units")``."""

    def __init__(self, status: int, detail: str | None = None, *, field: str | None = None):
        super().__init__(detail)
        self.code = status
        self.detail = detail
        self.errors: list[dict[str, str]] = [{"field": field, "detail": detail or ""}] if field else []


def _field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' messages ({location: {field: [text]}}) as a flat list of {field, detail}."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key not in ("json", "form", "query", "files", "headers") or prefix else ""
            found += _field_errors(value, f"{prefix}.{name}" if prefix and name else name or prefix)
    elif isinstance(messages, list | tuple):
        for value in messages:
            found += _field_errors(value, prefix)
    else:
        found.append({"field": prefix or "_schema", "detail": _czech(str(messages))})
    return found


# marshmallow's messages in Czech (the ones any input of ours can produce).
CZECH = {
    "Missing data for required field.": "Toto pole je povinné.",
    "Field may not be null.": "Toto pole nesmí být prázdné.",
    "Unknown field.": "Neznámé pole.",
    "Not a valid string.": "Zadejte text.",
    "Not a valid integer.": "Zadejte celé číslo.",
    "Not a valid number.": "Zadejte číslo.",
    "Not a valid decimal.": "Zadejte číslo (desetinná tečka).",
    "Not a valid date.": "Zadejte datum ve tvaru RRRR-MM-DD.",
    "Not a valid datetime.": "Zadejte datum a čas ve tvaru ISO 8601 s časovým pásmem.",
    "Not a valid boolean.": "Zadejte true nebo false.",
    "Not a valid list.": "Zadejte seznam.",
    "Invalid input type.": "Neplatný typ hodnoty.",
    "Not a valid email address.": "Zadejte platnou e-mailovou adresu.",
    "Special numeric values (nan or infinity) are not permitted.": "Zadejte konečné číslo.",
    "Not a valid mapping type.": "Zadejte objekt JSON.",
}


def _czech(message: str) -> str:
    if message in CZECH:
        return CZECH[message]
    if message.startswith("Length must be between") or message.startswith("Longer than maximum length"):
        return "Text má nepovolenou délku."
    if message.startswith("Must be one of"):
        return "Zvolte jednu z povolených hodnot."
    if message.startswith("Must be greater than") or message.startswith("Must be less than"):
        return "Hodnota je mimo povolený rozsah."
    if message.startswith("String does not match expected pattern"):
        return "Hodnota nemá požadovaný tvar."
    return message


def problem_response(error: HTTPException | None, status: int, detail: str | None = None):
    """The problem+json answer for ``status`` (``error`` adds its detail, field errors, headers)."""
    errors: list[dict[str, str]] = []
    headers: dict[str, str] = {}
    if isinstance(error, Problem):
        detail = detail or error.detail
        errors = error.errors
    elif error is not None and getattr(error, "data", None):  # webargs: the refused input
        data = error.data  # type: ignore[attr-defined]
        errors = _field_errors(data.get("messages", {}))
        headers.update(data.get("headers") or {})
    if error is not None and error.code == 429:
        detail = DETAILS[429]
    # No ``instance``: the path names the object asked for, and an answer about a bid must read the same
    # whether the bid exists or not (tests/test_sealed_participation.py compares them).
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]),
        "status": status,
        "detail": detail or DETAILS.get(status, DETAILS[500] if status >= 500 else DETAILS[400]),
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="minitendr"'
    if error is not None:
        for name, value in error.get_headers():
            if name.lower() in ("retry-after", "allow"):
                response.headers[name] = value
    response.headers.update(headers)
    return response
