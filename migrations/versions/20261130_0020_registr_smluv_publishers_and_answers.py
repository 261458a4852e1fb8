"""registr smluv: publishers, data boxes, published versions and amendments

The kraj publishes its contracts in the register of contracts (zákon 340/2015 Sb.) as the ``subjekt``
of an ISRS message: each kraj gets its data box, official name, IČO and seat (filled in by
``minitendr seed reference`` where they are known, then kept by admin or the kraj). A provider may have
its data box. A sub-contract records the id of its published version beside the record's id; an
amendment over the threshold is published as a record of its own, so it gets the same three columns,
and the unpublished ones an index in the order they fall due.

Revision ID: 0020
Revises: 0016
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None

KRAJ_COLUMNS = (('data_box', 7), ('official_name', 255), ('ico', 8), ('address', 255))


def upgrade():
    with op.batch_alter_table('kraj', schema=None) as batch_op:
        for name, length in KRAJ_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), server_default='', nullable=False))
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_box', sa.String(length=7), server_default='', nullable=False))
    with op.batch_alter_table('subcontract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_version', sa.String(length=20), nullable=True))
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_id', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('registry_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('registry_published_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_amendment_registry_pair'), '(registry_id IS NULL) = (registry_published_on IS NULL)'
        )
    op.create_index(
        'ix_amendment_unpublished',
        'amendment',
        ['consent_on', 'id'],
        unique=False,
        sqlite_where=sa.text('registry_id IS NULL'),
        postgresql_where=sa.text('registry_id IS NULL'),
    )


def downgrade():
    op.drop_index('ix_amendment_unpublished', table_name='amendment')
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_amendment_registry_pair'), type_='check')
        batch_op.drop_column('registry_published_on')
        batch_op.drop_column('registry_version')
        batch_op.drop_column('registry_id')
    with op.batch_alter_table('subcontract', schema=None) as batch_op:
        batch_op.drop_column('registry_version')
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.drop_column('data_box')
    with op.batch_alter_table('kraj', schema=None) as batch_op:
        for name, _length in reversed(KRAJ_COLUMNS):
            batch_op.drop_column(name)
