"""The preferences form: a checkbox per kind of reminder the person's role receives."""

from __future__ import annotations

from wtforms import BooleanField, SubmitField

from minitendr.forms import CzechForm
from minitendr.reminders.models import ReminderKind


class PreferencesForm(CzechForm):
    """Built per person by ``preferences_form``: its fields are the kinds (named by their value)."""

    submit = SubmitField("Uložit nastavení")


def preferences_form(kinds: list[ReminderKind], off: set[ReminderKind]) -> PreferencesForm:
    """A form with a checkbox per kind in ``kinds``, ticked unless the kind is ``off``."""

    class Form(PreferencesForm):
        pass

    for kind in kinds:
        field = BooleanField(kind.label, default=kind not in off, description=kind.description)
        setattr(Form, kind.value, field)
    return Form()


def wanted(form: PreferencesForm, kinds: list[ReminderKind]) -> list[ReminderKind]:
    """The kinds ticked in the posted form."""
    return [kind for kind in kinds if form[kind.value].data]
