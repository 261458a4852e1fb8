from __future__ import annotations

from decimal import Decimal

from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from minitendr.demands.models import FIRST_YEAR, LAST_YEAR, NEEDS
from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, SelectChoice, no_birth_number


def sensible_date(_form, field) -> None:
    """A date or time between 2000 and 2100: 0001-01-01 or 9999-12-31 is a typo, and arithmetic on it
    (Prague to UTC, a reissue's shifted dates) would leave the calendar."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(f"Zadejte datum mezi lety {FIRST_YEAR} a {LAST_YEAR}.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DemandForm(CzechForm):
    category_id = SelectField("Kategorie služeb", coerce=int)
    service_type_id = SelectField("Typ služby", coerce=int, description="Typ služby musí patřit do zvolené kategorie.")
    needs = CheckboxesField(
        "Oblasti potřeb, na které služba odpovídá",
        choices=[SelectChoice(code, label) for code, label in NEEDS.items()],
        validators=[DataRequired(message="Vyberte alespoň jednu oblast potřeb.")],
    )
    case_reference = StringField(
        "Spisová značka (pseudonym)",
        validators=[DataRequired(), Length(max=40), no_birth_number],
        description="Vaše interní pseudonymní označení případu, např. OSPOD-PA-2026/117. Ne jméno ani rodné číslo.",
    )
    need_description = TextAreaField(
        "Popis potřeby", validators=[DataRequired(), Length(max=4000), no_birth_number], render_kw={"rows": 5}
    )
    expected_outcome = TextAreaField(
        "Očekávaný výsledek", validators=[DataRequired(), Length(max=4000), no_birth_number], render_kw={"rows": 3}
    )
    place = StringField(
        "Místo poskytování",
        validators=[DataRequired(), Length(max=200), no_birth_number],
        description="Obec nebo část obce, případně „v domácnosti rodiny“ – ne adresa rodiny.",
    )
    volume = CzechDecimalField(
        "Předpokládaný rozsah (v jednotkách typu služby)",
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("100000000"))],
    )
    start_date = DateField("Požadovaný začátek", validators=[InputRequired(), sensible_date])
    end_date = DateField("Požadovaný konec", validators=[InputRequired(), sensible_date])
    estimated_max_value = CzechDecimalField(
        "Předpokládaná maximální hodnota (Kč, nepovinné)",
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("10000000000"), unit="Kč")],
        description="Nabídky nad touto částkou budou odmítnuty.",
    )
    deadline = DateTimeLocalField(
        "Lhůta pro nabídky (nepovinné)",
        validators=[Optional(), sensible_date],
        description="Když ji nevyplníte, určí se při zveřejnění podle rámcové smlouvy (pracovní dny, 12:00).",
    )
    contact_name = StringField("Kontaktní osoba", validators=[DataRequired(), Length(max=120), no_birth_number])
    contact_email = EmailField("E-mail kontaktní osoby", validators=[DataRequired(), Email(), Length(max=254)])
    contact_phone = StringField("Telefon kontaktní osoby", validators=[Optional(), Length(max=40), no_birth_number])
    submit = SubmitField("Uložit koncept")


class QuestionForm(CzechForm):
    question = TextAreaField("Dotaz", validators=[DataRequired(), Length(max=2000), no_birth_number])
    submit = SubmitField("Odeslat dotaz")


class AnswerForm(CzechForm):
    answer = TextAreaField("Odpověď", validators=[DataRequired(), Length(max=4000), no_birth_number])
    new_deadline = DateTimeLocalField("Prodloužit lhůtu do (nepovinné)", validators=[Optional(), sensible_date])
    submit = SubmitField("Odpovědět")
