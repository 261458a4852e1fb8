"""keyset list indexes

Lists page by keyset (minitendr.pagination): a page is read from an index in the list's order and
stops after one page, instead of sorting every matching row. Each list's order gets an index that
ends in the id (the sort's tie-breaker): the provider register, the user list, a user's
notifications, an object's audit history, the framework list, and a framework's newest
sub-contracts and minitenders. The last three replace indexes they begin with.

Plain CREATE INDEX: on PostgreSQL it holds writes to the table while it builds (seconds for millions
of audit events), so run it in the deployment's maintenance window like every migration.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NEW = (
    ('ix_provider_name', 'provider', ['name', 'id']),
    ('ix_user_account_role_email', 'user_account', ['role', 'email', 'id']),
    ('ix_notification_user_created', 'notification', ['user_id', 'created_at', 'id']),
    ('ix_framework_contract_valid_from', 'framework_contract', ['valid_from', 'id']),
    ('ix_demand_framework_published', 'demand', ['framework_id', 'published_at', 'id']),
)
# Indexes that become the first columns of a longer one: (name, table, columns before, columns after).
WIDENED = (
    ('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], ['object_type', 'object_id', 'id']),
    ('ix_subcontract_framework', 'subcontract', ['framework_id'], ['framework_id', 'signed_on', 'id']),
)


def upgrade():
    for name, table, columns in NEW:
        op.create_index(name, table, columns, unique=False)
    for name, table, _before, after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after, unique=False)
    # The framework's minitenders are read by ix_demand_framework_published, which begins with it.
    op.drop_index('ix_demand_framework_id', table_name='demand')


def downgrade():
    op.create_index('ix_demand_framework_id', 'demand', ['framework_id'], unique=False)
    for name, table, before, _after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before, unique=False)
    for name, table, _columns in NEW:
        op.drop_index(name, table_name=table)
