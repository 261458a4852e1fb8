from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from minitendr.forms import CzechForm, SelectChoice, no_birth_number
from minitendr.notices.models import BODY_MAX, SUBJECT_MAX


def optional_id(value: object) -> int | None:
    """A select's value: an id, or None for the empty choice."""
    if value is None or value == "":
        return None
    return int(str(value))


class NoticeForm(CzechForm):
    framework = SelectField(
        "Rámcová smlouva",
        coerce=optional_id,
        description="Oznámení dostanou smluvní strany této smlouvy.",
    )
    category = SelectField(
        "nebo všechny rámcové smlouvy kategorie",
        coerce=optional_id,
        description="Oznámení dostanou smluvní strany všech platných smluv kraje v této kategorii.",
    )
    subject = StringField("Předmět", validators=[DataRequired(), Length(max=SUBJECT_MAX), no_birth_number])
    body = TextAreaField("Text oznámení", validators=[DataRequired(), Length(max=BODY_MAX), no_birth_number])
    submit = SubmitField("Odeslat oznámení")

    def offer(self, frameworks, categories) -> NoticeForm:
        self.framework.choices = [
            SelectChoice("", "— vyberte —"),
            *(SelectChoice(f.id, f"{f.number} – {f.title}") for f in frameworks),
        ]
        self.category.choices = [SelectChoice("", "— vyberte —"), *(SelectChoice(c.id, c.name) for c in categories)]
        return self
