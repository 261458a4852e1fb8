from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from minitendr.documents.sandbox import MAX_TEMPLATE_CHARS
from minitendr.forms import CzechForm, no_birth_number


class TemplatesForm(CzechForm):
    """The kraj's templates of a framework's documents; an empty field means the default."""

    contract_template = TextAreaField(
        "Šablona dílčí smlouvy",
        validators=[Optional(), Length(max=MAX_TEMPLATE_CHARS)],
        description=(
            "HTML s proměnnými Jinja, např. {{ number }} nebo {{ provider.name }}. Prázdné pole: výchozí šablona."
        ),
    )
    amendment_template = TextAreaField(
        "Šablona dodatku",
        validators=[Optional(), Length(max=MAX_TEMPLATE_CHARS)],
        description="Navíc proměnná amendment (číslo, důvod, změny). Prázdné pole: výchozí šablona.",
    )
    payment_terms = TextAreaField(
        "Platební podmínky",
        validators=[Optional(), Length(max=2000), no_birth_number],
        description="Proměnná {{ payment_terms }}. Prázdné pole: výchozí platební podmínky.",
    )
    submit = SubmitField("Uložit šablony")
