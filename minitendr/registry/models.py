"""Reference data: kraje, ORP, service categories and service types (loaded from ``seed/``)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr.db import Model, intpk, money


class Kraj(Model):
    """A region (NUTS 3), e.g. CZ053 Pardubický kraj."""

    __tablename__ = "kraj"
    # The publisher details' server defaults are not read back on insert (see below).
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(5), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    abbr: Mapped[str] = mapped_column(sa.String(3), unique=True)
    csu_code: Mapped[str] = mapped_column(sa.String(4))
    ruian_code: Mapped[str] = mapped_column(sa.String(4))
    # The kraj as the publisher of its contracts in the register of contracts (the ``subjekt`` of an
    # ISRS message): its data box, official name, IČO and seat; "" while nobody has filled them in.
    # Defaults on the server only, so that loading the reference data writes no column the schema of an
    # older revision lacks (the migration tests load them into one).
    data_box: Mapped[str] = mapped_column(sa.String(7), server_default="")
    official_name: Mapped[str] = mapped_column(sa.String(255), server_default="")
    ico: Mapped[str] = mapped_column(sa.String(8), server_default="")
    address: Mapped[str] = mapped_column(sa.String(255), server_default="")

    orps: Mapped[list[Orp]] = relationship(back_populates="kraj", order_by="Orp.name")

    def __str__(self) -> str:
        return self.name


class Orp(Model):
    """A municipality with extended powers, whose OSPOD office files demands; ČSÚ code, e.g. 5309."""

    __tablename__ = "orp"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(4), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kraj_id: Mapped[int] = mapped_column(sa.ForeignKey("kraj.id"), index=True)

    kraj: Mapped[Kraj] = relationship(back_populates="orps")

    def __str__(self) -> str:
        return self.name


class ServiceCategory(Model):
    """One of the three framework categories (``pobytove``, ``poradenstvi``, ``terenni``)."""

    __tablename__ = "service_category"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)

    service_types: Mapped[list[ServiceType]] = relationship(back_populates="category", order_by="ServiceType.code")

    def __str__(self) -> str:
        return self.name


class ServiceType(Model):
    """A service (e.g. SAS, ZDVOP) of one category, billed in its own unit (hodina, den, …)."""

    __tablename__ = "service_type"
    __table_args__ = (sa.CheckConstraint("indicative_unit_price >= 0", name="price_not_negative"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), index=True)
    legal_basis: Mapped[str] = mapped_column(sa.String(200), default="")
    unit: Mapped[str] = mapped_column(sa.String(30))
    indicative_unit_price: Mapped[money] = mapped_column(default=Decimal("0.00"))
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[ServiceCategory] = relationship(back_populates="service_types")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"
