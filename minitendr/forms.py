"""What every form shares: Czech validation messages, Czech number input, and turning a service's
``DomainError`` into a message on the right field."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from babel.numbers import format_decimal
from flask_wtf import FlaskForm
from wtforms import DecimalField, SubmitField, TextAreaField, ValidationError, validators
from wtforms.fields import choices
from wtforms.validators import DataRequired, Length
from wtforms.widgets import TextInput

from minitendr.db import DomainError
from minitendr.formatting import number
from minitendr.privacy import BIRTH_NUMBER_MESSAGE, find_birth_number

# A select's option: WTForms has it since 3.2, typeshed's stubs (types-WTForms 3.2.1) do not yet.
# Forms import it from here, so the one gap is bridged in one place.
SelectChoice = choices.SelectChoice  # type: ignore[attr-defined]

T = TypeVar("T")

# WTForms ships a Czech catalogue, but it is incomplete and partly wrong ("mezi 1 and 5");
# these are the messages people see, in plain Czech.
MESSAGES = {
    "This field is required.": "Toto pole je povinné.",
    "Invalid email address.": "Zadejte platnou e-mailovou adresu.",
    "Not a valid choice.": "Neplatná volba – vyberte jednu z nabízených možností.",
    "Invalid Choice: could not coerce.": "Neplatná volba – vyberte jednu z nabízených možností.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Neplatná volba.",
    "'%(value)s' is not a valid choice for this field.": "Neplatná volba: %(value)s.",
    "'%(value)s' are not valid choices for this field.": "Neplatná volba: %(value)s.",
    "Field cannot be longer than %(max)d character.": "Pole může mít nejvýše %(max)d znak.",
    "Field cannot be longer than %(max)d characters.": "Pole může mít nejvýše %(max)d znaků.",
    "Field must be at least %(min)d character long.": "Pole musí mít alespoň %(min)d znak.",
    "Field must be at least %(min)d characters long.": "Pole musí mít alespoň %(min)d znaků.",
    "Field must be between %(min)d and %(max)d characters long.": "Pole musí mít %(min)d až %(max)d znaků.",
    "Number must be between %(min)s and %(max)s.": "Číslo musí být v rozmezí %(min)s až %(max)s.",
    "Number must be at least %(min)s.": "Číslo musí být alespoň %(min)s.",
    "Number must be at most %(max)s.": "Číslo může být nejvýše %(max)s.",
    "Not a valid decimal value.": "Zadejte číslo, například 1 234,50.",
    "Not a valid integer value.": "Zadejte celé číslo.",
    "Not a valid float value.": "Zadejte číslo.",
    "Not a valid date value.": "Zadejte platné datum.",
    "Not a valid datetime value.": "Zadejte platné datum a čas.",
    "Not a valid time value.": "Zadejte platný čas.",
    "Invalid input.": "Neplatný vstup.",
    "Field must be equal to %(other_name)s.": "Hodnota se musí shodovat s polem %(other_name)s.",
}


class CzechTranslations:
    def gettext(self, string: str) -> str:
        return MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = singular if n == 1 else plural
        return MESSAGES.get(key, key)


class CzechForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return CzechTranslations()

    def add_domain_error(self, error: DomainError) -> None:
        """Show the service's refusal next to its field, or above the form when it has none."""
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            self.form_errors.append(error.message)


def required(value: T | None) -> T:
    """A required field's value once its form has validated: its DataRequired or InputRequired has
    refused it empty. WTForms' stubs type every ``.data`` as optional; this says why it is not here, and
    fails loudly if the field's validators ever stop saying so."""
    if value is None:
        raise ValueError("a required form field is empty after validation: it lacks DataRequired/InputRequired")
    return value


class CzechDecimalField(DecimalField):
    """A decimal typed the Czech way: ``1 234,50`` (spaces, non-breaking spaces, decimal comma).

    A text input with a decimal keypad: browsers' number inputs refuse the spaces and the comma."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", "autocomplete": "off", **kwargs.get("render_kw", {})}
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, format="#,##0.00", locale="cs_CZ")

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = re.sub(r"[\s\u00a0\u202f]", "", valuelist[0]).replace(",", ".").removesuffix("Kč")
        try:
            self.data = Decimal(text)
            if not self.data.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None


class NumberRange(validators.NumberRange):
    """WTForms' range check, its message written the Czech way: ``Číslo musí být v rozmezí 0,01 až
    10 000 000 000,00 Kč.``, not ``0.01 až 10000000000.`` ``unit`` follows the bounds; an amount in
    Kč shows its haléře."""

    def __init__(self, min=None, max=None, message: str | None = None, unit: str = ""):
        super().__init__(min=min, max=max, message=message)
        self.unit = unit

    def _bound(self, value: Decimal | float | None) -> str:
        exact = Decimal(str(value))  # WTForms types its bounds as floats; ours are Decimals or ints
        places = 2 if self.unit == "Kč" else max(0, -exact.as_tuple().exponent)  # type: ignore[operator]
        return number(exact, places)

    def __call__(self, form, field) -> None:
        if self.message is not None:
            return super().__call__(form, field)
        try:
            super().__call__(form, field)
        except ValidationError:
            unit = f"\u00a0{self.unit}" if self.unit else ""
            if self.min is not None and self.max is not None:
                text = f"Číslo musí být v rozmezí {self._bound(self.min)} až {self._bound(self.max)}{unit}."
            elif self.min is not None:
                text = f"Číslo musí být alespoň {self._bound(self.min)}{unit}."
            else:
                text = f"Číslo může být nejvýše {self._bound(self.max)}{unit}."
            raise ValidationError(text) from None


def no_birth_number(_form, field) -> None:
    """A validator: no text about a family may carry a birth number."""
    if find_birth_number(field.data if isinstance(field.data, str) else None):
        raise ValidationError(BIRTH_NUMBER_MESSAGE)


class ReasonForm(CzechForm):
    """The reason for an irreversible step (cancel, reject, terminate, suspend), given on the object's page."""

    reason = TextAreaField("Důvod", validators=[DataRequired(), Length(max=1000), no_birth_number])
    submit = SubmitField("Potvrdit")
