"""network need total

The network's minitender totals per ORP × needs area over every category and year, kept with the
summary per category and year: the map without those filters (the national one, 1 236 cells) reads as
many rows instead of summing some thirty thousand. Filled from the summary in plain SQL of this
revision, the same in both databases.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

NEEDS = ("vztahy", "bezpeci", "zdravi", "uceni", "chovani", "materialni")


def upgrade():
    op.create_table('network_need_total',
    sa.Column('orp_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=20), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('awarded', sa.Integer(), nullable=False),
    sa.Column('unmet', sa.Integer(), nullable=False),
    sa.Column('single_bid', sa.Integer(), nullable=False),
    sa.Column('value', minitendr.db.Money(precision=14, scale=2), nullable=False),
    sa.CheckConstraint("need IN ({})".format(", ".join(f"'{code}'" for code in NEEDS)), name=op.f('ck_network_need_total_need_known')),
    sa.CheckConstraint('published >= 0 AND awarded >= 0 AND unmet >= 0 AND single_bid >= 0 AND value >= 0', name=op.f('ck_network_need_total_not_negative')),
    sa.ForeignKeyConstraint(['orp_id'], ['orp.id'], name=op.f('fk_network_need_total_orp_id_orp')),
    sa.PrimaryKeyConstraint('orp_id', 'need', name=op.f('pk_network_need_total'))
    )
    op.execute(
        "INSERT INTO network_need_total (orp_id, need, published, awarded, unmet, single_bid, value) "
        "SELECT orp_id, need, sum(published), sum(awarded), sum(unmet), sum(single_bid), sum(value) "
        "FROM network_summary GROUP BY orp_id, need"
    )


def downgrade():
    op.drop_table('network_need_total')
