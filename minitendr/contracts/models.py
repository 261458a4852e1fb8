"""Sub-contracts (dílčí smlouvy): what an award becomes; they draw on the framework's ceiling."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import db, enum_column, intpk, money, timestamp
from minitendr.frameworks.models import FrameworkContract
from minitendr.providers.models import Provider
from minitendr.registry.models import Orp, ServiceCategory, ServiceType


class SubContractStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return {"active": "probíhá", "completed": "dokončena", "terminated": "ukončena předčasně"}[self.value]


class SubContract(db.Model):
    __tablename__ = "subcontract"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("units > 0 AND unit_price > 0", name="units_and_price_positive"),
        sa.CheckConstraint("end_date >= start_date", name="dates_order"),
        sa.Index("ix_subcontract_framework", "framework_id"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), unique=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework_contract.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    orp_id: Mapped[int] = mapped_column(sa.ForeignKey("orp.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"))
    units: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    unit_price: Mapped[money]
    value: Mapped[money]
    vat_rate: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    signed_on: Mapped[dt.date]
    status: Mapped[SubContractStatus] = mapped_column(
        enum_column(SubContractStatus, "subcontract_status"), default=SubContractStatus.ACTIVE
    )
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)

    framework: Mapped[FrameworkContract] = relationship()
    provider: Mapped[Provider] = relationship()
    orp: Mapped[Orp] = relationship()
    category: Mapped[ServiceCategory] = relationship()
    service_type: Mapped[ServiceType] = relationship()
