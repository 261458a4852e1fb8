"""The catalogue's forms: an entry kept by hand, and the import of a file."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from minitendr.demands.forms import CheckboxesField
from minitendr.demands.models import NEEDS
from minitendr.forms import CzechDecimalField, CzechForm, NumberRange, SelectChoice, no_birth_number
from minitendr.network.models import Sector, ServiceForm


class FittingForm(CzechForm):
    """What the kraj fits on any entry, also on one of a framework party: needs areas, ORPs, capacity."""

    needs = CheckboxesField("Oblasti potřeb", choices=[SelectChoice(code, label) for code, label in NEEDS.items()])
    orps = SelectMultipleField(
        "ORP, kterým služba slouží",
        coerce=int,
        description="Více ORP vyberete se stisknutou klávesou Ctrl.",
        render_kw={"size": 8},
    )
    capacity = CzechDecimalField(
        "Kapacita",
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("1000000"))],
        places=2,
    )
    capacity_unit = StringField(
        "Jednotka kapacity", validators=[Optional(), Length(max=40)], description="Např. lůžka, klienti, hodiny týdně."
    )
    submit = SubmitField("Uložit")


class CatalogueServiceForm(FittingForm):
    """An entry kept by hand: everything."""

    name = StringField("Název služby", validators=[DataRequired(), Length(max=200), no_birth_number])
    description = TextAreaField(
        "Popis", validators=[Optional(), Length(max=2000), no_birth_number], description="Co služba nabízí a komu."
    )
    sector = SelectField("Sektor", choices=[SelectChoice(s.value, s.label) for s in Sector])
    form = SelectField("Forma", choices=[SelectChoice(f.value, f.label) for f in ServiceForm])
    ico = StringField(
        "IČO organizace",
        validators=[Optional(), Length(max=12)],
        render_kw={"inputmode": "numeric"},
        description="Má-li ji; u registrovaného poskytovatele se organizace doplní sama.",
    )
    organization = StringField(
        "Organizace", validators=[Optional(), Length(max=200), no_birth_number], description="Kdo službu poskytuje."
    )
    contact_name = StringField("Kontaktní osoba", validators=[Optional(), Length(max=120), no_birth_number])
    contact_email = StringField("Kontaktní e-mail", validators=[Optional(), Length(max=254)])
    contact_phone = StringField("Telefon", validators=[Optional(), Length(max=40)])
    web = StringField("Web", validators=[Optional(), Length(max=300)])
    address = StringField("Adresa", validators=[Optional(), Length(max=300), no_birth_number])


class ImportForm(CzechForm):
    file = FileField(
        "Soubor CSV nebo XLSX",
        validators=[FileRequired("Vyberte soubor k nahrání.")],
        description="První řádek je záhlaví; nejvýše 2 MB a 2 000 řádků.",
    )
    submit = SubmitField("Nahrát a zkontrolovat")
