"""The one way a button on an object's page changes it: run the domain action, commit once, and
come back to the page with a message — the refusal when a rule says no, nothing half-stored."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from werkzeug.wrappers import Response

from minitendr.db import DomainError, db


def run_action(action: Callable[[], object], success: str, back_to: str) -> Response:
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(back_to)


def form_problem(form) -> str | None:
    """Validate a small form posted from a page it is not rendered on (a button with a reason, a score
    on the evaluation page): None when valid, otherwise its errors in one flash message, each after the
    label of its field."""
    if form.validate():
        return None
    return " ".join(f"{getattr(form, name).label.text}: {e}" for name, errors in form.errors.items() for e in errors)
