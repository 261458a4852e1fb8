"""What every form shares: Czech messages from WTForms' own translations, and turning a service's
``DomainError`` into a message on the right field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from minitendr.db import DomainError


class CzechForm(FlaskForm):
    class Meta:
        locales = ["cs_CZ", "cs"]

    def add_domain_error(self, error: DomainError) -> None:
        """Show the service's refusal next to its field, or above the form when it has none."""
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            self.form_errors.append(error.message)
