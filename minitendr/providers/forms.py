from __future__ import annotations

from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from minitendr.forms import CzechForm
from minitendr.providers.ico import ico_error, normalize_ico


def valid_ico(_form, field) -> None:
    field.data = normalize_ico(field.data or "")
    message = ico_error(field.data)
    if message:
        raise ValidationError(message)


class ProviderForm(CzechForm):
    ico = StringField("IČO", validators=[DataRequired(), Length(max=12), valid_ico], render_kw={"inputmode": "numeric"})
    name = StringField("Název", validators=[DataRequired(), Length(max=200)])
    legal_form = StringField("Právní forma", validators=[Optional(), Length(max=100)])
    address = StringField("Sídlo", validators=[Optional(), Length(max=300)])
    email = EmailField("Kontaktní e-mail", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    active = BooleanField("Aktivní", default=True)
    submit = SubmitField("Uložit")
