from __future__ import annotations

from wtforms import FileField, SubmitField

from minitendr.forms import CzechForm


class AnswerForm(CzechForm):
    answer = FileField(
        "Odpověď registru smluv (XML)",
        description="Soubor odpovedZverejneni, který registr poslal do datové schránky po zveřejnění.",
        render_kw={"accept": ".xml,application/xml,text/xml"},
    )
    submit = SubmitField("Nahrát odpověď registru")
