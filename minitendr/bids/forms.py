from __future__ import annotations

from decimal import Decimal

from wtforms import DateField, IntegerField, MultipleFileField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from minitendr.bids.models import VAT_RATES
from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, SelectChoice, no_birth_number


class BidForm(CzechForm):
    unit_price = CzechDecimalField(
        "Cena za jednotku bez DPH (Kč)",
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("10000000"), unit="Kč")],
    )
    units = CzechDecimalField(
        "Počet jednotek", validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("100000000"))]
    )
    vat_rate = SelectField(
        "Sazba DPH", coerce=int, choices=[SelectChoice(rate, f"{rate} %") for rate in VAT_RATES], default=0
    )
    proposed_start = DateField("Navržený začátek poskytování", validators=[InputRequired()])
    team = TextAreaField(
        "Tým a jeho kvalifikace", validators=[DataRequired(), Length(max=4000), no_birth_number], render_kw={"rows": 4}
    )
    approach = TextAreaField(
        "Navrhovaný postup", validators=[DataRequired(), Length(max=6000), no_birth_number], render_kw={"rows": 6}
    )
    attachments = MultipleFileField(
        "Přílohy (jen PDF, nejvýše 5 MB každá, nepovinné)", render_kw={"accept": "application/pdf,.pdf"}
    )
    submit = SubmitField("Podat nabídku")


class ScoreForm(CzechForm):
    quality_score = IntegerField("Kvalita (0–100 bodů)", validators=[InputRequired(), NumberRange(min=0, max=100)])
    justification = TextAreaField("Zdůvodnění", validators=[DataRequired(), Length(max=2000), no_birth_number])
    submit = SubmitField("Uložit hodnocení")


class ExcludeForm(CzechForm):
    reason = TextAreaField("Důvod vyřazení", validators=[DataRequired(), Length(max=2000), no_birth_number])
    submit = SubmitField("Vyřadit")


class NoteForm(CzechForm):
    note = TextAreaField("Odůvodnění (nepovinné)", validators=[Optional(), Length(max=2000), no_birth_number])
    submit = SubmitField("Potvrdit")
