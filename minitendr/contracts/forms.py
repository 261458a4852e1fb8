from __future__ import annotations

from decimal import Decimal

from wtforms import DateField, MonthField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, no_birth_number

POSITIVE = NumberRange(min=Decimal("0.01"), max=Decimal("10000000000"))
POSITIVE_AMOUNT = NumberRange(min=Decimal("0.01"), max=Decimal("10000000000"), unit="Kč")


class DrawdownForm(CzechForm):
    period = MonthField("Měsíc", validators=[InputRequired()])
    units = CzechDecimalField("Poskytnuté jednotky", validators=[InputRequired(), POSITIVE])
    amount = CzechDecimalField("Částka (Kč bez DPH)", validators=[InputRequired(), POSITIVE_AMOUNT])
    reason = TextAreaField(
        "Důvod rozdílu (jen když částka neodpovídá jednotkám × ceně)",
        validators=[Optional(), Length(max=1000), no_birth_number],
    )
    submit = SubmitField("Vykázat čerpání")


class AmendmentForm(CzechForm):
    new_value = CzechDecimalField("Nová hodnota (Kč bez DPH)", validators=[InputRequired(), POSITIVE_AMOUNT])
    new_units = CzechDecimalField("Nový počet jednotek", validators=[InputRequired(), POSITIVE])
    new_end_date = DateField("Nový konec plnění", validators=[InputRequired()])
    reason = TextAreaField("Důvod dodatku", validators=[DataRequired(), Length(max=2000), no_birth_number])
    provider_consent = StringField(
        "Souhlas poskytovatele",
        validators=[DataRequired(), Length(max=200), no_birth_number],
        description="Jak poskytovatel souhlasil: č. j. dopisu, datum e-mailu, podpis dodatku…",
    )
    consent_on = DateField("Datum souhlasu", validators=[InputRequired()])
    submit = SubmitField("Uzavřít dodatek")


class RegistryForm(CzechForm):
    registry_id = StringField("ID v registru smluv", validators=[DataRequired(), Length(max=20)])
    registry_version = StringField(
        "ID verze (nepovinné)", validators=[Optional(), Length(max=20)], description="idVerze z potvrzení registru."
    )
    published_on = DateField("Datum zveřejnění", validators=[InputRequired()])
    submit = SubmitField("Zaznamenat zveřejnění")
