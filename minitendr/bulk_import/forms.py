from __future__ import annotations

from wtforms import SubmitField

from minitendr.network.forms import ImportForm


class BulkImportForm(ImportForm):
    """The catalogue's upload form, with a check that stores nothing besides the import itself."""

    check = SubmitField("Jen zkontrolovat")
    submit = SubmitField("Zkontrolovat a importovat")
