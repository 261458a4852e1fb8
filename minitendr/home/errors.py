"""Error pages in Czech; JSON for API clients. No input makes a page answer with a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from minitendr.db import db
from minitendr.pagination import BadCursor

MESSAGES = {
    400: ("Neplatný požadavek", "Požadavek nebylo možné zpracovat. Zkontrolujte zadané údaje."),
    403: ("Přístup odepřen", "K této stránce nebo akci nemáte oprávnění."),
    404: ("Stránka nenalezena", "Požadovaná stránka nebo záznam neexistuje."),
    405: ("Nepovolená metoda", "Tuto akci nelze provést tímto způsobem."),
    413: ("Příliš velký soubor", "Odeslaná data jsou příliš velká."),
    429: ("Příliš mnoho pokusů", "Příliš mnoho pokusů v krátké době. Zkuste to prosím znovu za několik minut."),
    500: ("Chyba serveru", "Něco se pokazilo na naší straně. Chyba byla zaznamenána; zkuste to prosím znovu."),
    503: ("Služba nedostupná", "Služba je dočasně nedostupná. Zkuste to prosím za chvíli."),
}


class ForbiddenCharacter(BadRequest):
    """A NUL character in a query, form or path value: no text a person types contains one."""

    description = "Zadaný text obsahuje nepovolený znak (NUL). Odstraňte jej a zkuste to znovu."


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, detail: str | None = None, error: HTTPException | None = None):
    if request.path.startswith("/api/"):  # the API answers problem+json (RFC 9457)
        from minitendr.api.problems import problem_response

        return problem_response(error, code, detail)
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if wants_json():
        return jsonify(error=title, message=detail or message, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(
            400,
            "Platnost formuláře vypršela nebo chybí bezpečnostní token. "
            "Načtěte stránku znovu a odešlete formulář ještě jednou.",
        )

    @app.errorhandler(BadCursor)
    @app.errorhandler(ForbiddenCharacter)
    def bad_cursor(error: BadCursor | ForbiddenCharacter):
        return render_error(400, error.description)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500, error=error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=error)
        return render_error(500)
