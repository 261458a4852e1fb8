from __future__ import annotations

from decimal import Decimal

from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from minitendr.forms import CzechDecimalField, CzechForm, NumberRange


class ServiceTypeForm(CzechForm):
    code = StringField(
        "Kód",
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9-]+$", message="Kód smí obsahovat jen písmena, číslice a pomlčku."),
        ],
    )
    name = StringField("Název", validators=[DataRequired(), Length(max=200)])
    name_en = StringField("Název anglicky", validators=[Optional(), Length(max=200)])
    category_id = SelectField("Kategorie", coerce=int)
    legal_basis = StringField("Právní základ", validators=[Optional(), Length(max=200)])
    unit = StringField(
        "Měrná jednotka", validators=[DataRequired(), Length(max=30)], description="Např. hodina, den, sezení."
    )
    indicative_unit_price = CzechDecimalField(
        "Orientační cena za jednotku (Kč)",
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0"), max=Decimal("10000000"), unit="Kč")],
        description="Odhad pro plánování, ne závazný tarif.",
    )
    active = BooleanField("Aktivní", default=True)
    submit = SubmitField("Uložit")


class PublisherForm(CzechForm):
    """The kraj as the publisher of its contracts in the register of contracts."""

    official_name = StringField(
        "Úřední název", validators=[Optional(), Length(max=255)], description="Např. Pardubický kraj."
    )
    ico = StringField("IČO", validators=[Optional(), Length(max=12)], render_kw={"inputmode": "numeric"})
    data_box = StringField(
        "ID datové schránky", validators=[Optional(), Length(max=20)], description="7 znaků, např. z28bwu9."
    )
    address = StringField("Adresa sídla", validators=[Optional(), Length(max=255)])
    submit = SubmitField("Uložit")
