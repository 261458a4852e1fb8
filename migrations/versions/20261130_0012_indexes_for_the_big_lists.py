"""indexes for the big lists

The sub-contract and demand lists page by keyset (minitendr.pagination): each page reads the next rows
of its sort straight from an index. One index per sort offered, nationally, per state, and within the
scope of an OSPOD (its ORP; a kraj reads its ORPs one by one) and of a provider; the sub-contracts
waiting for the register of contracts get partial indexes of their own. The composite indexes on ORP
and provider replace the single-column ones, which they begin with, and the index of an ORP's demands
by state gains the deadline (a state is read from the index alone), that of a minitender's bids the
provider (whether a provider bid in it, asked of every row of its list). The category loses its own: a
third of all rows each, it is read by walking a sort's index (SQLite would rather take the category's
index and sort a third of the country).

The partial indexes repeat the pending condition word for word as ``SubContract.registry_pending``
renders it (SQLite uses a partial index only for a query that says the same); its unary plus keeps
SQLite from reading "value > 50 000" as a range of the value's own indexes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PENDING = "+value > 50000.00 AND registry_id IS NULL"

SUBCONTRACT = {
    'ix_subcontract_signed': ['signed_on', 'id'],
    'ix_subcontract_value': ['value', 'id'],
    'ix_subcontract_status_signed': ['status', 'signed_on', 'id'],
    'ix_subcontract_status_value': ['status', 'value', 'id'],
    'ix_subcontract_status_number': ['status', 'kraj_abbr', 'number_year', 'number_seq'],
    'ix_subcontract_orp_signed': ['orp_id', 'signed_on', 'id'],
    'ix_subcontract_orp_value': ['orp_id', 'value', 'id'],
    'ix_subcontract_orp_number': ['orp_id', 'kraj_abbr', 'number_year', 'number_seq'],
    'ix_subcontract_provider_signed': ['provider_id', 'signed_on', 'id'],
    'ix_subcontract_provider_value': ['provider_id', 'value', 'id'],
    'ix_subcontract_provider_number': ['provider_id', 'kraj_abbr', 'number_year', 'number_seq'],
}
SUBCONTRACT_PENDING = {
    'ix_subcontract_pending_signed': ['signed_on', 'id'],
    'ix_subcontract_pending_orp': ['orp_id', 'signed_on', 'id', 'value', 'registry_id'],
}
DEMAND = {
    'ix_demand_created': ['created_at', 'id'],
    'ix_demand_status_created': ['status', 'created_at', 'id'],
    'ix_demand_orp_created': ['orp_id', 'created_at', 'id'],
    'ix_demand_status_deadline': ['status', 'deadline', 'id'],
}


def upgrade():
    for name, columns in SUBCONTRACT.items():
        op.create_index(name, 'subcontract', columns, unique=False)
    for name, columns in SUBCONTRACT_PENDING.items():
        op.create_index(
            name,
            'subcontract',
            columns,
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
    op.drop_index('ix_subcontract_orp_id', table_name='subcontract')
    op.drop_index('ix_subcontract_provider_id', table_name='subcontract')
    op.drop_index('ix_subcontract_category_id', table_name='subcontract')
    for name, columns in DEMAND.items():
        op.create_index(name, 'demand', columns, unique=False)
    op.drop_index('ix_demand_orp_status', table_name='demand')
    op.create_index('ix_demand_orp_status', 'demand', ['orp_id', 'status', 'deadline'], unique=False)
    op.create_index('ix_invitation_provider_demand', 'invitation', ['provider_id', 'demand_id'], unique=False)
    op.drop_index('ix_invitation_provider_id', table_name='invitation')
    op.create_index('ix_bid_demand_provider', 'bid', ['demand_id', 'provider_id'], unique=False)
    op.drop_index('ix_bid_demand_id', table_name='bid')


def downgrade():
    op.create_index('ix_bid_demand_id', 'bid', ['demand_id'], unique=False)
    op.drop_index('ix_bid_demand_provider', table_name='bid')
    op.create_index('ix_invitation_provider_id', 'invitation', ['provider_id'], unique=False)
    op.drop_index('ix_invitation_provider_demand', table_name='invitation')
    op.drop_index('ix_demand_orp_status', table_name='demand')
    op.create_index('ix_demand_orp_status', 'demand', ['orp_id', 'status'], unique=False)
    for name in DEMAND:
        op.drop_index(name, table_name='demand')
    op.create_index('ix_subcontract_provider_id', 'subcontract', ['provider_id'], unique=False)
    op.create_index('ix_subcontract_orp_id', 'subcontract', ['orp_id'], unique=False)
    op.create_index('ix_subcontract_category_id', 'subcontract', ['category_id'], unique=False)
    for name in (*SUBCONTRACT_PENDING, *SUBCONTRACT):
        op.drop_index(name, table_name='subcontract')
