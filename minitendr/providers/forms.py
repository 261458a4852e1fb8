from __future__ import annotations

from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from minitendr.databox import data_box_error, normalize_data_box
from minitendr.forms import CzechForm
from minitendr.providers.ico import ico_error, normalize_ico


def valid_ico(_form, field) -> None:
    field.data = normalize_ico(field.data or "")
    message = ico_error(field.data)
    if message:
        raise ValidationError(message)


def valid_data_box(_form, field) -> None:
    field.data = normalize_data_box(field.data)
    message = data_box_error(field.data)
    if field.data and message:
        raise ValidationError(message)


class ProviderForm(CzechForm):
    ico = StringField("IČO", validators=[DataRequired(), Length(max=12), valid_ico], render_kw={"inputmode": "numeric"})
    name = StringField("Název", validators=[DataRequired(), Length(max=200)])
    legal_form = StringField("Právní forma", validators=[Optional(), Length(max=100)])
    address = StringField("Sídlo", validators=[Optional(), Length(max=300)])
    data_box = StringField(
        "ID datové schránky",
        validators=[Optional(), valid_data_box],
        description="7 znaků, např. z28bwu9; registr smluv podle ní ověří IČO.",
    )
    email = EmailField("Kontaktní e-mail", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    active = BooleanField("Aktivní", default=True)
    submit = SubmitField("Uložit")
