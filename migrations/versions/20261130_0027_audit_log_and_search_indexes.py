"""audit log and search indexes

The audit log filters by user and by event, newest first: (actor_id, id) and (action, id) replace the
single-column indexes. The demand list searches by category and service type, newest first:
(category_id | service_type_id, created_at, id) replace the single-column indexes. The sub-contract
list has none of its own for them: it walks the index of its sort and checks them along it (as it
does the category), which an index of the filter would turn into sorting the filter's rows.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 21:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


# Plain index statements, not batch mode: a SQLite table rebuild would drop the audit trail's
# append-only triggers.
def upgrade():
    op.drop_index("ix_audit_event_actor_id", table_name="audit_event")
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.create_index("ix_audit_event_actor", "audit_event", ["actor_id", "id"], unique=False)
    op.create_index("ix_audit_event_action_id", "audit_event", ["action", "id"], unique=False)
    op.drop_index("ix_demand_category_id", table_name="demand")
    op.drop_index("ix_demand_service_type_id", table_name="demand")
    op.create_index("ix_demand_category_created", "demand", ["category_id", "created_at", "id"], unique=False)
    op.create_index("ix_demand_service_type_created", "demand", ["service_type_id", "created_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_demand_service_type_created", table_name="demand")
    op.drop_index("ix_demand_category_created", table_name="demand")
    op.create_index("ix_demand_service_type_id", "demand", ["service_type_id"], unique=False)
    op.create_index("ix_demand_category_id", "demand", ["category_id"], unique=False)
    op.drop_index("ix_audit_event_action_id", table_name="audit_event")
    op.drop_index("ix_audit_event_actor", table_name="audit_event")
    op.create_index("ix_audit_event_action", "audit_event", ["action"], unique=False)
    op.create_index("ix_audit_event_actor_id", "audit_event", ["actor_id"], unique=False)
