from __future__ import annotations

from decimal import Decimal

from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, no_birth_number


class FrameworkForm(CzechForm):
    number = StringField(
        "Číslo smlouvy", validators=[DataRequired(), Length(max=40)], description="Např. RS-PAK-2026-01."
    )
    kraj_id = SelectField("Kraj", coerce=int)
    category_id = SelectField("Kategorie služeb", coerce=int)
    title = StringField("Název", validators=[DataRequired(), Length(max=200)])
    valid_from = DateField("Platnost od", validators=[InputRequired()])
    valid_to = DateField("Platnost do", validators=[InputRequired()])
    ceiling = CzechDecimalField(
        "Finanční strop (Kč)",
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("10000000000"), unit="Kč")],
        description="Nejvýše 10 000 000 000 Kč; součet dílčích smluv jej nikdy nepřekročí.",
    )
    price_weight = IntegerField("Váha ceny (%)", validators=[InputRequired(), NumberRange(min=0, max=100)], default=60)
    quality_weight = IntegerField(
        "Váha kvality (%)",
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        default=40,
        description="Váha ceny a kvality musí dát dohromady 100 %.",
    )
    bid_period_days = IntegerField(
        "Lhůta pro nabídky (pracovní dny)",
        validators=[InputRequired(), NumberRange(min=1, max=60)],
        default=10,
        description="Výchozí lhůta minitendru od zveřejnění poptávky.",
    )
    reason = TextAreaField(
        "Důvod změny",
        validators=[Optional(), Length(max=1000), no_birth_number],
        description="Povinný při změně stropu nebo vah platné smlouvy; zapíše se do historie.",
    )
    submit = SubmitField("Uložit")


class PartyForm(CzechForm):
    provider = SelectField("Poskytovatel", coerce=int)
    since = DateField("Smluvní stranou od", validators=[InputRequired()])
    submit = SubmitField("Přidat smluvní stranu")


class TransitionReasonForm(CzechForm):
    """The reason for terminating a framework or suspending or withdrawing a party. Only its length is
    checked here: the transition itself requires it and refuses a birth number (``privacy.required_text``),
    with a message that says what the reason is for."""

    reason = TextAreaField("Důvod", validators=[Length(max=1000)])
    submit = SubmitField("Potvrdit")
