"""Documents the application issues as PDF: the sub-contract, its amendments, the opening record and
the evaluation protocol. Each is stored once in the file store; its row keeps the SHA-256 of the bytes,
so what was issued can be proved unchanged. A document is never regenerated."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minitendr import clock
from minitendr.db import Model, enum_column, intpk, timestamp
from minitendr.enums import LabelledEnum


class DocumentKind(LabelledEnum):
    CONTRACT = "contract", "dílčí smlouva"
    AMENDMENT = "amendment", "dodatek"
    OPENING = "opening", "záznam o otevírání obálek"
    PROTOCOL = "protocol", "protokol o hodnocení nabídek"


class Document(Model):
    __tablename__ = "document"
    __table_args__ = (
        # What a document belongs to follows from its kind.
        sa.CheckConstraint(
            "(kind = 'contract' AND subcontract_id IS NOT NULL AND amendment_id IS NULL AND demand_id IS NULL)"
            " OR (kind = 'amendment' AND subcontract_id IS NOT NULL AND amendment_id IS NOT NULL"
            " AND demand_id IS NULL)"
            " OR (kind IN ('opening', 'protocol') AND demand_id IS NOT NULL AND subcontract_id IS NULL"
            " AND amendment_id IS NULL)",
            name="owner_matches_kind",
        ),
        # Once per object: one contract per sub-contract, one document per amendment, one record of
        # each kind per demand.
        sa.Index(
            "uq_document_contract",
            "subcontract_id",
            unique=True,
            sqlite_where=sa.text("kind = 'contract'"),
            postgresql_where=sa.text("kind = 'contract'"),
        ),
        sa.UniqueConstraint("amendment_id", name="uq_document_amendment"),
        sa.UniqueConstraint("demand_id", "kind", name="uq_document_demand_kind"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[intpk]
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"))
    subcontract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subcontract.id"), index=True)
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendment.id"))
    demand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("demand.id"))
    # The number of what it documents (DS-PAK-2026-0001, or the demand's number).
    number: Mapped[str] = mapped_column(sa.String(40))
    # The name people download it under, and the name it is stored under in the "documents" area.
    file_name: Mapped[str] = mapped_column(sa.String(120))
    stored_as: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    created_at: Mapped[timestamp] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by = relationship("User")
    amendment = relationship("Amendment")

    @property
    def title(self) -> str:
        """How pages name it: "Dodatek č. 2 k DS-PAK-2026-0001", "Dílčí smlouva DS-PAK-2026-0001"."""
        if self.kind is DocumentKind.AMENDMENT and self.amendment is not None:
            return f"Dodatek č. {self.amendment.seq} k {self.number}"
        return f"{self.kind.label.capitalize()} {self.number}"

    def __repr__(self) -> str:
        return f"<Document {self.kind.value} {self.number} {self.sha256[:12]}>"
