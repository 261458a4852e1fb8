"""catalogue coverage

Running totals of the service catalogue per ORP × needs area × listing window (an entry kept by hand
always; a framework party's entry while its framework is in force): the network's map counts the
services of 1 236 ORP × area cells from a few thousand rows instead of joining every entry with its
ORPs and areas (half a second nationally with the parties' automatic entries). Filled from the
catalogue in plain SQL of this revision, the same in both databases.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

NEEDS = ("vztahy", "bezpeci", "zdravi", "uceni", "chovani", "materialni")


def upgrade():
    op.create_table('catalogue_coverage',
    sa.Column('orp_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=20), nullable=False),
    sa.Column('listed_from', sa.Date(), nullable=False),
    sa.Column('listed_to', sa.Date(), nullable=False),
    sa.Column('services', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint("need IN ({})".format(", ".join(f"'{code}'" for code in NEEDS)), name=op.f('ck_catalogue_coverage_need_known')),
    sa.CheckConstraint('services >= 0 AND capacity >= 0', name=op.f('ck_catalogue_coverage_not_negative')),
    sa.ForeignKeyConstraint(['orp_id'], ['orp.id'], name=op.f('fk_catalogue_coverage_orp_id_orp')),
    sa.PrimaryKeyConstraint('orp_id', 'need', 'listed_from', 'listed_to', name=op.f('pk_catalogue_coverage'))
    )
    op.execute(
        "INSERT INTO catalogue_coverage (orp_id, need, listed_from, listed_to, services, capacity) "
        "SELECT o.orp_id, n.need, coalesce(f.valid_from, '2000-01-01'), coalesce(f.valid_to, '9999-12-31'), "
        "count(*), coalesce(sum(s.capacity), 0) "
        "FROM catalogue_service s "
        "JOIN catalogue_orp o ON o.service_id = s.id "
        "JOIN catalogue_need n ON n.service_id = s.id "
        "LEFT JOIN framework_party p ON p.id = s.framework_party_id "
        "LEFT JOIN framework_contract f ON f.id = p.framework_id "
        "WHERE s.active "
        "GROUP BY o.orp_id, n.need, coalesce(f.valid_from, '2000-01-01'), coalesce(f.valid_to, '9999-12-31')"
    )


def downgrade():
    op.drop_table('catalogue_coverage')
