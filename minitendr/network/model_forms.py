"""Forms of the kraj's model of the network: the model (period, thresholds) and one ORP's targets."""

from __future__ import annotations

from decimal import Decimal

from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from minitendr.demands.models import NEEDS
from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, SelectChoice, no_birth_number

PERCENT = [NumberRange(min=Decimal(0), max=Decimal(100), message="Zadejte podíl v procentech, od 0 do 100.")]


class NetworkModelForm(CzechForm):
    name = StringField("Název modelu", validators=[DataRequired(), Length(max=200)])
    valid_from = DateField("Platí od", validators=[DataRequired()])
    valid_to = DateField("Platí do", validators=[DataRequired()])
    unmet_threshold = CzechDecimalField(
        "Práh nezadaných poptávek (%)",
        places=2,
        default=Decimal("20"),
        validators=[DataRequired(), *PERCENT],
        description="Podíl nezadaných (neúspěšných či zrušených) z ukončených poptávek, nad nímž je oblast mezerou.",
    )
    single_bid_threshold = CzechDecimalField(
        "Práh zakázek s jedinou nabídkou (%)",
        places=2,
        default=Decimal("50"),
        validators=[DataRequired(), *PERCENT],
        description="Podíl zadaných poptávek s jedinou nabídkou, nad nímž je oblast mezerou.",
    )
    copy_from = SelectField("Převzít cíle z modelu", coerce=int, default=0)
    submit = SubmitField("Uložit")


PRIORITIES = [
    SelectChoice("", "bez priority (neuvedeno)"),
    SelectChoice("1", "1 – nejvyšší"),
    SelectChoice("2", "2"),
    SelectChoice("3", "3"),
]


def targets_form_class() -> type[CzechForm]:
    """A form with a priority, goal and minimum for each of the six needs areas."""

    class TargetsForm(CzechForm):
        submit = SubmitField("Uložit")

    for code, label in NEEDS.items():
        setattr(TargetsForm, f"priority_{code}", SelectField(f"{label}: priorita", choices=PRIORITIES, default=""))
        setattr(
            TargetsForm,
            f"goal_{code}",
            StringField(f"{label}: cíl", validators=[Optional(), Length(max=1000), no_birth_number]),
        )
        setattr(
            TargetsForm,
            f"services_{code}",
            IntegerField(
                f"{label}: minimální počet služeb",
                validators=[Optional(), NumberRange(min=0, max=10000, message="Zadejte počet od 0 do 10 000.")],
            ),
        )
        setattr(
            TargetsForm,
            f"capacity_{code}",
            CzechDecimalField(
                f"{label}: minimální kapacita",
                places=2,
                validators=[
                    Optional(),
                    NumberRange(min=Decimal(0), max=Decimal("10000000"), message="Zadejte kapacitu od 0."),
                ],
            ),
        )
    return TargetsForm


TargetsForm = targets_form_class()
