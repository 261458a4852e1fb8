"""provider total and registry pending

Two more running totals: per provider over every kraj, category and year (the national dashboard's
ranking of providers, read largest first from its index instead of grouping every provider's rows),
and per ORP the sub-contracts awaiting the register of contracts with their value (the register
page's sums, instead of reading every pending sub-contract). Filled by ``summary.rebuild`` — the
first from the spend summary, the second from the partial index of the pending sub-contracts; the
services keep them from now on.

Revision ID: 0017
Revises: 0023
Create Date: 2026-11-30 18:20:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spend_provider_total',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contracts', sa.Integer(), nullable=False),
    sa.Column('contracted', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.Column('drawn', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('contracts >= 0 AND contracted >= 0 AND drawn >= 0', name=op.f('ck_spend_provider_total_not_negative')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_spend_provider_total_provider_id_provider')),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_spend_provider_total'))
    )
    op.create_index('ix_spend_provider_total_contracted', 'spend_provider_total', ['contracted', 'provider_id'], unique=False)
    op.create_table('registry_pending',
    sa.Column('orp_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('value', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('count >= 0 AND value >= 0', name=op.f('ck_registry_pending_not_negative')),
    sa.ForeignKeyConstraint(['orp_id'], ['orp.id'], name=op.f('fk_registry_pending_orp_id_orp')),
    sa.PrimaryKeyConstraint('orp_id', name=op.f('pk_registry_pending'))
    )

    # Fill them from what is already recorded (the spend summary is kept already).
    from minitendr.reports.models import ProviderTotal, RegistryPending
    from minitendr.reports.summary import rebuild

    rebuild(op.get_bind(), (ProviderTotal, RegistryPending))


def downgrade():
    op.drop_table('registry_pending')
    op.drop_index('ix_spend_provider_total_contracted', table_name='spend_provider_total')
    op.drop_table('spend_provider_total')
