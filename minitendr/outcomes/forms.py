from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from minitendr.forms import CzechForm, SelectChoice, no_birth_number
from minitendr.outcomes.models import FollowUp, OutcomeResult
from minitendr.outcomes.service import FOLLOW_UP_MAX, NOTE_MAX, REPORT_MAX


def optional_id(value: object) -> int | None:
    """A select's value: an id, or None for the empty choice. Anything else is refused as a bad choice."""
    if value is None or value == "":
        return None
    return int(str(value))


class OutcomeForm(CzechForm):
    result = RadioField(
        "Očekávaný výsledek poptávky byl",
        choices=[SelectChoice(r.value, r.label) for r in OutcomeResult],
        validators=[InputRequired(message="Vyberte, zda byl očekávaný výsledek splněn.")],
    )
    follow_up = SelectField("Co následovalo", coerce=optional_id, validate_choice=False)
    note = TextAreaField(
        "Poznámka (bez osobních údajů)",
        validators=[Optional(), Length(max=NOTE_MAX), no_birth_number],
        description="Jak se situace vyvinula; rodinu označujte jen spisovou značkou.",
    )
    submit = SubmitField("Zaznamenat výsledek")

    def offer(self, choices: list[FollowUp]) -> OutcomeForm:
        """The kraj's follow-ups to choose from (an empty choice first)."""
        self.follow_up.choices = [SelectChoice("", "— vyberte —"), *(SelectChoice(f.id, f.label) for f in choices)]
        return self


class FinalReportForm(CzechForm):
    text = TextAreaField(
        "Závěrečná zpráva poskytovatele",
        validators=[DataRequired(), Length(max=REPORT_MAX), no_birth_number],
        description="Co se podařilo, co ne a proč; bez osobních údajů.",
    )
    submit = SubmitField("Podat závěrečnou zprávu")


class FollowUpForm(CzechForm):
    label = StringField("Nová položka", validators=[DataRequired(), Length(max=FOLLOW_UP_MAX), no_birth_number])
    submit = SubmitField("Přidat položku")
