"""framework spend per year

The running total per framework gets the year of signing into its key (as the spend summary has it):
the spend dashboard with a year reads the year's share of each framework's ceiling from a few hundred
rows instead of summing the sub-contracts signed that year (a pass over a tenth of them), and the
whole framework's use is the sum of its few years. The table holds nothing but a total derived from
the spend summary, so it is made afresh in its new shape and filled from that summary.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


# The fill is plain SQL of this revision (the same in both databases: ``year`` is an integer column
# of the spend summary already), not ``summary.rebuild``: that follows the models as they are, and a
# later change of them must not break this step of an upgrade.
def _framework_spend(*key):
    op.create_table('framework_spend',
    sa.Column('framework_id', sa.Integer(), nullable=False),
    *key,
    sa.Column('committed', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.Column('drawn', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('committed >= 0 AND drawn >= 0', name=op.f('ck_framework_spend_not_negative')),
    sa.ForeignKeyConstraint(['framework_id'], ['framework_contract.id'], name=op.f('fk_framework_spend_framework_id_framework_contract')),
    sa.PrimaryKeyConstraint('framework_id', *(column.name for column in key), name=op.f('pk_framework_spend'))
    )


def upgrade():
    op.drop_table('framework_spend')
    _framework_spend(sa.Column('year', sa.Integer(), nullable=False))
    op.execute(
        "INSERT INTO framework_spend (framework_id, year, committed, drawn) "
        "SELECT framework_id, year, sum(contracted), sum(drawn) FROM spend_summary GROUP BY framework_id, year"
    )


def downgrade():
    op.drop_table('framework_spend')
    _framework_spend()
    op.execute(
        "INSERT INTO framework_spend (framework_id, committed, drawn) "
        "SELECT framework_id, sum(contracted), sum(drawn) FROM spend_summary GROUP BY framework_id"
    )
