"""Providers: organisations that deliver services and may hold framework contracts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from minitendr import clock
from minitendr.db import DomainError, Model, intpk, timestamp
from minitendr.providers.ico import ico_error


class Provider(Model):
    __tablename__ = "provider"
    __table_args__ = (
        sa.CheckConstraint("length(ico) = 8", name="ico_length"),
        sa.Index("ix_provider_name", "name", "id"),  # the register's order (minitendr.providers.service.BY_NAME)
    )

    id: Mapped[intpk]
    ico: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    legal_form: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    # ID datové schránky, when known: the register of contracts then checks the IČO against it.
    data_box: Mapped[str] = mapped_column(sa.String(7), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    @validates("ico")
    def _check_ico(self, _key: str, value: str) -> str:
        # The model refuses a bad IČO whatever path it came by (form, CLI, seed).
        message = ico_error(value)
        if message:
            raise DomainError(message, field="ico")
        return value

    def __str__(self) -> str:
        return self.name
