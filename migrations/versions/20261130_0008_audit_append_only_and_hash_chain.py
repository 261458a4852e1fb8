"""audit append only and hash chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:00

The audit trail becomes append-only in the database (triggers refuse UPDATE and DELETE, and on
PostgreSQL TRUNCATE) and tamper-evident: every event stores the hash of its content and of the event
before it. Existing events are chained here, in id order. The triggers are created last, after SQLite's
batch mode has recreated the table (a recreated table loses its triggers); later migrations leave
audit_event alone.

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db
from minitendr.audit.chain import GENESIS, HASHED_FIELDS, event_hash


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REFUSED = "auditní záznamy nelze měnit ani mazat (audit_event je jen pro přidávání)"

# The table as this migration reads it: the application's column types, so that times and JSON come
# back exactly as the application hashes them.
audit_event = sa.table(
    'audit_event',
    sa.column('id', sa.Integer()),
    sa.column('occurred_at', minitendr.db.UTCDateTime(timezone=True)),
    sa.column('actor_id', sa.Integer()),
    sa.column('actor_label', sa.String(length=254)),
    sa.column('action', sa.String(length=60)),
    sa.column('object_type', sa.String(length=40)),
    sa.column('object_id', sa.Integer()),
    sa.column('data', sa.JSON()),
    sa.column('prev_hash', sa.String(length=64)),
    sa.column('hash', sa.String(length=64)),
)

PG_TRIGGERS = f"""
CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{REFUSED}: ' || TG_OP || ' odmítnut', ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE odmítnut'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{REFUSED}: DELETE odmítnut'); END""",
]


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    chain_existing_events()

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_prev_hash'), ['prev_hash'])

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_TRIGGERS)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def chain_existing_events():
    """Hash the events already recorded, oldest first, each chained to the one before."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # Nobody appends while the chain is built.
        op.execute('LOCK TABLE audit_event IN EXCLUSIVE MODE')
    columns = [audit_event.c.id, *(audit_event.c[name] for name in HASHED_FIELDS)]
    rows = bind.execute(sa.select(*columns).order_by(audit_event.c.id)).all()
    prev_hash, updates = GENESIS, []
    for row in rows:
        digest = event_hash(row._mapping, prev_hash)
        updates.append({'event_id': row.id, 'chained_to': prev_hash, 'digest': digest})
        prev_hash = digest
    if updates:
        bind.execute(
            audit_event.update()
            .where(audit_event.c.id == sa.bindparam('event_id'))
            .values(prev_hash=sa.bindparam('chained_to'), hash=sa.bindparam('digest')),
            updates,
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_event_no_truncate ON audit_event')
        op.execute('DROP TRIGGER audit_event_append_only ON audit_event')
        op.execute('DROP FUNCTION audit_event_refuse_change()')
    else:
        op.execute('DROP TRIGGER audit_event_no_delete')
        op.execute('DROP TRIGGER audit_event_no_update')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_prev_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
