"""The one way a request changes data: validate the form, run the service, commit once, and either
go on with a message or show the refusal — at its field, on the page the form was typed on, with what
was typed kept. Services only flush; nothing else in a view commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from minitendr.db import DomainError, db
from minitendr.forms import CzechForm

T = TypeVar("T")
Message = str | tuple[str, str]  # a text, or (text, flash category) when it is not a plain success


def act(
    action: Callable[[], T],
    *,
    success: Message | Callable[[T], Message],
    back: str,
    then: str | Callable[[T], str] | None = None,
    form: CzechForm | None = None,
    page: Callable[[], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Run ``action`` for a POST and commit once.

    ``form``, when the action takes input, is validated first; ``page`` renders the page it was typed
    on with that form bound, so a refusal (the form's own or the service's ``DomainError``) shows its
    message at the field and keeps the input. A button without input has no ``form``: its refusal is a
    message on the page it was pressed on, ``back``. ``then`` is where a success goes (``back`` by
    default); it and ``success`` may depend on what the action returned (a new object's page)."""
    if form is not None:
        if page is None:
            raise TypeError("a form needs the page it is re-rendered on when refused")
        if not form.validate():
            return page()
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if form is None:
            flash(error.message, "danger")
            return redirect(back)
        assert page is not None  # checked on entry: a form always comes with its page
        form.add_domain_error(error)
        return page()
    db.session.commit()
    message = success(result) if callable(success) else success
    text, category = (message, "success") if isinstance(message, str) else message
    flash(text, category)
    return redirect(then(result) if callable(then) else (then or back))
