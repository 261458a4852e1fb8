"""documents and framework templates

Issued documents (the sub-contract, its amendments, the opening record, the evaluation protocol) get a
row each: what they document, the file they are stored as and its SHA-256. Frameworks get the kraj's
templates of the sub-contract and amendment documents and its payment terms (empty: the defaults).
Nothing existing changes: documents of earlier sub-contracts are issued on their first download.

Revision ID: 0018
Revises: 0022
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('contract', 'amendment', 'opening', 'protocol', name='document_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subcontract_id', sa.Integer(), nullable=True),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=120), nullable=False),
    sa.Column('stored_as', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'contract' AND subcontract_id IS NOT NULL AND amendment_id IS NULL AND demand_id IS NULL) OR (kind = 'amendment' AND subcontract_id IS NOT NULL AND amendment_id IS NOT NULL AND demand_id IS NULL) OR (kind IN ('opening', 'protocol') AND demand_id IS NOT NULL AND subcontract_id IS NULL AND amendment_id IS NULL)", name=op.f('ck_document_owner_matches_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_document_size_positive')),
    sa.ForeignKeyConstraint(['amendment_id'], ['amendment.id'], name=op.f('fk_document_amendment_id_amendment')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_document_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_document_demand_id_demand')),
    sa.ForeignKeyConstraint(['subcontract_id'], ['subcontract.id'], name=op.f('fk_document_subcontract_id_subcontract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('amendment_id', name='uq_document_amendment'),
    sa.UniqueConstraint('demand_id', 'kind', name='uq_document_demand_kind'),
    sa.UniqueConstraint('stored_as', name=op.f('uq_document_stored_as'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_subcontract_id'), ['subcontract_id'], unique=False)
        batch_op.create_index('uq_document_contract', ['subcontract_id'], unique=True, sqlite_where=sa.text("kind = 'contract'"), postgresql_where=sa.text("kind = 'contract'"))

    with op.batch_alter_table('framework_contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_template', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('amendment_template', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('payment_terms', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('framework_contract', schema=None) as batch_op:
        batch_op.drop_column('payment_terms')
        batch_op.drop_column('amendment_template')
        batch_op.drop_column('contract_template')

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('uq_document_contract', sqlite_where=sa.text("kind = 'contract'"), postgresql_where=sa.text("kind = 'contract'"))
        batch_op.drop_index(batch_op.f('ix_document_subcontract_id'))

    op.drop_table('document')
