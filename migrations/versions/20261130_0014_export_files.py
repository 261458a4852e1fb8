"""export files kept in the store, repeat exports

The open-data package and large spend CSVs are built in the background into the export store and
served from there; each key (kind, scope, parameters) keeps the data version of its newest file and
the one build under way. Export jobs remember what they were asked and over which data, so the same
request again takes the finished file.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_file',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('built_at', minitendr.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('building_since', minitendr.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_export_file'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('version', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('key')
    op.drop_table('export_file')
