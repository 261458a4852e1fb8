"""sealed bid envelopes, encrypted attachments, the opening of envelopes, deadline trigger

Bids of minitenders still open for bids are sealed: their contents move into an AES-GCM envelope under
the bid key (MINITENDR_BID_KEY) and the plain columns are emptied; their attachment files are encrypted.
Minitenders whose deadline has passed count as opened when this migration runs (their bids were
readable already), so evaluation goes on as before.

A trigger (both databases) refuses a bid row received at or after its minitender's deadline, and a
withdrawal or replacement at or after it. A later migration that recreates the bid table in SQLite
batch mode must create these triggers again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:00:00

"""
import datetime as dt
import secrets
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from flask import current_app

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OFFER = ("unit_price", "units", "total", "vat_rate", "proposed_start", "team", "approach")
SEALED_OR_OPEN = (
    "(envelope IS NOT NULL AND unit_price IS NULL AND units IS NULL AND total IS NULL AND vat_rate IS NULL"
    " AND proposed_start IS NULL AND team IS NULL AND approach IS NULL)"
    " OR (envelope IS NULL AND unit_price IS NOT NULL AND units IS NOT NULL AND total IS NOT NULL"
    " AND vat_rate IS NOT NULL AND proposed_start IS NOT NULL AND team IS NOT NULL AND approach IS NOT NULL)"
)

PG_TRIGGER = """
CREATE FUNCTION bid_within_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closes timestamptz;
BEGIN
    SELECT deadline INTO closes FROM demand WHERE id = NEW.demand_id;
    IF TG_OP = 'INSERT' THEN
        IF closes IS NULL OR NEW.submitted_at >= closes THEN
            RAISE EXCEPTION 'bid for demand % received at %, not before its deadline %',
                NEW.demand_id, NEW.submitted_at, closes USING ERRCODE = 'check_violation';
        END IF;
    ELSIF OLD.status = 'submitted' AND NEW.status IN ('withdrawn', 'replaced') THEN
        IF NEW.closed_at IS NULL OR NEW.closed_at >= closes THEN
            RAISE EXCEPTION 'bid % closed at %, not before its deadline %',
                NEW.id, NEW.closed_at, closes USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bid_within_deadline BEFORE INSERT OR UPDATE OF status ON bid
    FOR EACH ROW EXECUTE FUNCTION bid_within_deadline();
"""

SQLITE_TRIGGERS = (
    """
CREATE TRIGGER bid_received_within_deadline BEFORE INSERT ON bid
WHEN (SELECT deadline FROM demand WHERE id = NEW.demand_id) IS NULL
  OR NEW.submitted_at >= (SELECT deadline FROM demand WHERE id = NEW.demand_id)
BEGIN SELECT RAISE(ABORT, 'bid received not before its deadline'); END
""",
    """
CREATE TRIGGER bid_closed_within_deadline BEFORE UPDATE OF status ON bid
WHEN OLD.status = 'submitted' AND NEW.status IN ('withdrawn', 'replaced')
  AND (NEW.closed_at IS NULL OR NEW.closed_at >= (SELECT deadline FROM demand WHERE id = NEW.demand_id))
BEGIN SELECT RAISE(ABORT, 'bid closed not before its deadline'); END
""",
)


def upgrade():
    op.create_table('envelope_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('bids_opened', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_envelope_opening_demand_id_demand')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_envelope_opening_opened_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_envelope_opening')),
    sa.UniqueConstraint('demand_id', name=op.f('uq_envelope_opening_demand_id'))
    )
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_as', sa.String(length=64), nullable=True))
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.add_column(sa.Column('envelope', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('unit_price', existing_type=minitendr.db.Money(precision=14, scale=2), nullable=True)
        batch_op.alter_column('units', existing_type=sa.Numeric(precision=12, scale=2), nullable=True)
        batch_op.alter_column('total', existing_type=minitendr.db.Money(precision=14, scale=2), nullable=True)
        batch_op.alter_column('vat_rate', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('proposed_start', existing_type=sa.Date(), nullable=True)
        batch_op.alter_column('team', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('approach', existing_type=sa.Text(), nullable=True)

    _seal_open_minitenders()

    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.alter_column('stored_as', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_bid_attachment_stored_as'), ['stored_as'])
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_bid_sealed_or_open'), SEALED_OR_OPEN)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def _seal_open_minitenders():
    """Seal what is still sealed by law (bids before their deadline) and record the others as opened."""
    from minitendr import sealing
    from minitendr.bids.models import Offer, envelope_context

    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    demand = sa.table('demand', sa.column('id', sa.Integer), sa.column('deadline', minitendr.db.UTCDateTime()),
                      sa.column('status', sa.String))
    bid = sa.table('bid', sa.column('id', sa.Integer), sa.column('demand_id', sa.Integer),
                   sa.column('provider_id', sa.Integer), sa.column('status', sa.String),
                   sa.column('submitted_at', minitendr.db.UTCDateTime()), sa.column('envelope', sa.LargeBinary),
                   sa.column('unit_price', minitendr.db.Money()), sa.column('units', sa.Numeric(12, 2)),
                   sa.column('total', minitendr.db.Money()), sa.column('vat_rate', sa.Integer),
                   sa.column('proposed_start', sa.Date), sa.column('team', sa.Text), sa.column('approach', sa.Text))
    attachment = sa.table('bid_attachment', sa.column('id', sa.Integer), sa.column('bid_id', sa.Integer),
                          sa.column('sha256', sa.String), sa.column('stored_as', sa.String))
    opening = sa.table('envelope_opening', sa.column('demand_id', sa.Integer),
                       sa.column('opened_at', minitendr.db.UTCDateTime()), sa.column('opened_by_id', sa.Integer),
                       sa.column('bids_opened', sa.Integer))
    live = ('submitted', 'awarded', 'not_awarded', 'excluded')

    # Past the deadline: opened now, by nobody (the record says so).
    past = sa.select(demand.c.id).where(demand.c.deadline.is_not(None), demand.c.deadline <= now)
    counts = dict(bind.execute(
        sa.select(bid.c.demand_id, sa.func.count()).where(bid.c.status.in_(live), bid.c.demand_id.in_(past))
        .group_by(bid.c.demand_id)
    ).all())
    rows = [{"demand_id": d, "opened_at": now, "opened_by_id": None, "bids_opened": counts.get(d, 0)}
            for d in bind.scalars(past)]
    if rows:
        bind.execute(opening.insert(), rows)

    # Before the deadline: every bid into its envelope.
    still_open = sa.select(demand.c.id).where(demand.c.deadline.is_not(None), demand.c.deadline > now)
    for row in bind.execute(sa.select(bid).where(bid.c.demand_id.in_(still_open))).mappings().all():
        offer = Offer(**{name: row[name] for name in OFFER})
        envelope = sealing.seal(offer.to_json(), envelope_context(row["demand_id"], row["provider_id"],
                                                                   row["submitted_at"]))
        bind.execute(bid.update().where(bid.c.id == row["id"]).values(envelope=envelope, **dict.fromkeys(OFFER)))

    # Every attachment file encrypted under a name of its own; the plain files are removed at the end.
    folder = Path(current_app.config["ATTACHMENTS_DIR"])
    plain = set()
    for row in bind.execute(sa.select(attachment.c.id, attachment.c.sha256)).all():
        stored_as = secrets.token_hex(16)
        source = folder / row.sha256
        if source.exists():
            (folder / stored_as).write_bytes(sealing.seal(source.read_bytes(), f"attachment:{stored_as}"))
            plain.add(source)
        bind.execute(attachment.update().where(attachment.c.id == row.id).values(stored_as=stored_as))
    for source in plain:
        source.unlink(missing_ok=True)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER bid_within_deadline ON bid")
        op.execute("DROP FUNCTION bid_within_deadline()")
    else:
        op.execute("DROP TRIGGER bid_received_within_deadline")
        op.execute("DROP TRIGGER bid_closed_within_deadline")
    # Sealed bids cannot go back to plain columns without opening them, which only OSPOD may do.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM bid WHERE envelope IS NOT NULL")).scalar():
        raise RuntimeError("Sealed bids exist; downgrading would have to open them. Refused.")
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bid_sealed_or_open'), type_='check')
        batch_op.drop_column('envelope')
        for name, type_ in (('unit_price', minitendr.db.Money(precision=14, scale=2)),
                            ('units', sa.Numeric(precision=12, scale=2)),
                            ('total', minitendr.db.Money(precision=14, scale=2)), ('vat_rate', sa.Integer()),
                            ('proposed_start', sa.Date()), ('team', sa.Text()), ('approach', sa.Text())):
            batch_op.alter_column(name, existing_type=type_, nullable=False)
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bid_attachment_stored_as'), type_='unique')
        batch_op.drop_column('stored_as')
    op.drop_table('envelope_opening')
