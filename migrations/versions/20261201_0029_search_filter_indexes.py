"""search filter indexes

The sub-contract list's search by service type, nationally, reads its page in order from an index of
its own, one per sort: (service_type_id, signed_on, id), (service_type_id, value, id) and
(service_type_id, kraj_abbr, number_year, number_seq), as the state's indexes do. The start page's
drawdowns waiting for OSPOD, the longest waiting first: (status, reported_at, id) on drawdown.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 09:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


# Plain index statements, not batch mode: a SQLite table rebuild would drop the tables' triggers.
def upgrade():
    op.create_index(
        "ix_subcontract_service_type_signed", "subcontract", ["service_type_id", "signed_on", "id"], unique=False
    )
    op.create_index(
        "ix_subcontract_service_type_value", "subcontract", ["service_type_id", "value", "id"], unique=False
    )
    op.create_index(
        "ix_subcontract_service_type_number",
        "subcontract",
        ["service_type_id", "kraj_abbr", "number_year", "number_seq"],
        unique=False,
    )
    op.create_index("ix_drawdown_status_reported", "drawdown", ["status", "reported_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_drawdown_status_reported", table_name="drawdown")
    op.drop_index("ix_subcontract_service_type_number", table_name="subcontract")
    op.drop_index("ix_subcontract_service_type_value", table_name="subcontract")
    op.drop_index("ix_subcontract_service_type_signed", table_name="subcontract")
