from __future__ import annotations

from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from minitendr.forms import CzechForm, SelectChoice, no_birth_number


class MemberForm(CzechForm):
    user_id = SelectField(
        "Pracovník OSPOD",
        coerce=int,
        validators=[InputRequired(message="Vyberte pracovníka, kterého jmenujete do komise.")],
    )
    submit = SubmitField("Jmenovat do komise")


NO_CONFLICT, CONFLICT = "ne", "ano"


class DeclarationForm(CzechForm):
    conflict = RadioField(
        "Střet zájmů",
        choices=[
            SelectChoice(NO_CONFLICT, "Nemám střet zájmů – podepisuji čestné prohlášení"),
            SelectChoice(CONFLICT, "Mám střet zájmů – na hodnocení se nebudu podílet"),
        ],
        validators=[InputRequired(message="Vyberte, zda máte, či nemáte střet zájmů.")],
    )
    note = TextAreaField(
        "Poznámka ke střetu zájmů (nepovinné)",
        validators=[Optional(), Length(max=2000), no_birth_number],
        description="Jen u oznámeného střetu zájmů, např. v jakém vztahu k účastníkovi jste. Bez údajů o dětech.",
    )
    submit = SubmitField("Podepsat prohlášení")

    @property
    def declares_conflict(self) -> bool | None:
        return {NO_CONFLICT: False, CONFLICT: True}.get(self.conflict.data or "")
