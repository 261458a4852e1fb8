from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from minitendr.auth.models import Role
from minitendr.forms import CzechForm, SelectChoice


def int_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class LoginForm(CzechForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Heslo", validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Přihlásit se")


class UserForm(CzechForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Jméno a příjmení", validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        "Počáteční heslo",
        validators=[DataRequired(), Length(max=200)],
        description="Alespoň 10 znaků. Uživatel si je může později změnit.",
        render_kw={"autocomplete": "new-password"},
    )
    role = SelectField("Role", choices=[SelectChoice(role.value, role.label) for role in Role])
    kraj = SelectField("Kraj", coerce=int_or_none, validators=[Optional()], description="Jen pro roli Krajský úřad.")
    orp = SelectField("ORP", coerce=int_or_none, validators=[Optional()], description="Jen pro roli OSPOD.")
    provider = SelectField(
        "Poskytovatel", coerce=int_or_none, validators=[Optional()], description="Jen pro roli Poskytovatel."
    )
    submit = SubmitField("Vytvořit uživatele")


class ChangePasswordForm(CzechForm):
    current_password = PasswordField(
        "Současné heslo", validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "Nové heslo",
        validators=[DataRequired(), Length(max=200)],
        description="Alespoň 10 znaků. Po změně budete odhlášeni na všech ostatních zařízeních.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nové heslo znovu",
        validators=[DataRequired(), EqualTo("new_password", message="Hesla se neshodují.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Změnit heslo")


class ForgotPasswordForm(CzechForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Length(max=254)],
        description="Adresa, se kterou se přihlašujete.",
        render_kw={"autocomplete": "username"},
    )
    submit = SubmitField("Poslat odkaz pro nové heslo")


class ResetPasswordForm(CzechForm):
    new_password = PasswordField(
        "Nové heslo",
        validators=[DataRequired(), Length(max=200)],
        description="Alespoň 10 znaků. Po nastavení budete odhlášeni na všech zařízeních.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nové heslo znovu",
        validators=[DataRequired(), EqualTo("new_password", message="Hesla se neshodují.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Nastavit nové heslo")


class UserEditForm(CzechForm):
    """An account's data as admin edits it (the password is the user's own: they reset it by e-mail)."""

    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Jméno a příjmení", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(role.value, role.label) for role in Role])
    kraj = SelectField("Kraj", coerce=int_or_none, validators=[Optional()], description="Jen pro roli Krajský úřad.")
    orp = SelectField("ORP", coerce=int_or_none, validators=[Optional()], description="Jen pro roli OSPOD.")
    provider = SelectField(
        "Poskytovatel", coerce=int_or_none, validators=[Optional()], description="Jen pro roli Poskytovatel."
    )
    manages_colleagues = BooleanField(
        "Spravuje účty kolegů",
        description="Jen pro roli Poskytovatel: zakládá a deaktivuje účty ostatních uživatelů svého poskytovatele.",
    )
    submit = SubmitField("Uložit změny")


class ColleagueForm(CzechForm):
    """A new colleague's account: the role (Poskytovatel) and the provider are the manager's own."""

    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Jméno a příjmení", validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        "Počáteční heslo",
        validators=[DataRequired(), Length(max=200)],
        description="Alespoň 10 znaků. Kolega si je může později změnit.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Založit účet kolegy")
