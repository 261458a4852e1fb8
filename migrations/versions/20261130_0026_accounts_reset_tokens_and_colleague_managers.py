"""accounts: password reset tokens and providers' colleague managers

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    # Added in place (no table rebuild): every existing account starts as an ordinary user.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manages_colleagues', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('password_reset_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_password_reset_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_token_hash'))
    )
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_token_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_password_reset_token_expires_at'))

    op.drop_table('password_reset_token')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('manages_colleagues')
