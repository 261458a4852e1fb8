"""the evaluation committee: members, declarations of conflict of interest, who assessed each bid

``committee_member``: the people OSPOD names to a minitender's evaluation committee, each with the
declaration they signed (no conflict of interest, or a conflict: then they left the committee) and its
time. ``bid_assessment``: every score and exclusion of a bid, naming the member who made it.

Triggers (both databases) keep the order of the steps in the database itself:
- an assessment row is refused unless its member declared no conflict of interest, sits on the
  committee of the bid's own minitender, and the bid's envelope has been opened; on PostgreSQL the
  member's row is read FOR SHARE, so a concurrent change of the member waits for the assessment;
- a member is named (inserted) only as "named" and only before the envelopes are opened; a declaration
  is made only after the deadline and before the opening, and once made it is final: a member row that
  is not "named" any more cannot change, and no member row is deleted;
- assessments are append-only.
A later migration that recreates either table in SQLite batch mode must create its triggers again.

Existing data: minitenders whose envelopes were opened before this migration have no committee and get
none (a committee cannot declare "before seeing any price" after the prices were read). They are
evaluated as before, without assessment rows, and their protocol says that no committee was recorded.
Minitenders not yet opened need a committee like every new one.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

PG_TRIGGERS = """
CREATE FUNCTION committee_member_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'committee member % stays on the record', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.status <> 'named' THEN
        RAISE EXCEPTION 'a committee member is named before declaring' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (OLD.status <> 'named' OR NEW.demand_id <> OLD.demand_id OR NEW.user_id <> OLD.user_id)
    THEN
        RAISE EXCEPTION 'the declaration of committee member % is final', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    PERFORM 1 FROM envelope_opening WHERE demand_id = NEW.demand_id;
    IF FOUND THEN
        RAISE EXCEPTION 'the committee of demand % is fixed: its envelopes are open', NEW.demand_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.declared_at IS NOT NULL AND NEW.declared_at < (SELECT deadline FROM demand WHERE id = NEW.demand_id) THEN
        RAISE EXCEPTION 'committee member % declared before the deadline', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER committee_member_guard BEFORE INSERT OR UPDATE OR DELETE ON committee_member
    FOR EACH ROW EXECUTE FUNCTION committee_member_guard();

CREATE FUNCTION bid_assessment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seat_status text;
    seat_demand integer;
    bid_demand integer;
    sealed boolean;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'bid assessments are append-only' USING ERRCODE = 'check_violation';
    END IF;
    SELECT status, demand_id INTO seat_status, seat_demand FROM committee_member WHERE id = NEW.member_id FOR SHARE;
    SELECT demand_id, envelope IS NOT NULL INTO bid_demand, sealed FROM bid WHERE id = NEW.bid_id;
    IF seat_status IS DISTINCT FROM 'declared' THEN
        RAISE EXCEPTION 'committee member % has not declared no conflict of interest: cannot assess bid %',
            NEW.member_id, NEW.bid_id USING ERRCODE = 'check_violation';
    END IF;
    IF seat_demand IS DISTINCT FROM bid_demand THEN
        RAISE EXCEPTION 'committee member % is not on the committee of bid %', NEW.member_id, NEW.bid_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF sealed THEN
        RAISE EXCEPTION 'bid % is still sealed', NEW.bid_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bid_assessment_guard BEFORE INSERT OR UPDATE OR DELETE ON bid_assessment
    FOR EACH ROW EXECUTE FUNCTION bid_assessment_guard();
"""

OPENED = "EXISTS (SELECT 1 FROM envelope_opening WHERE demand_id = NEW.demand_id)"
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER committee_member_named_before_opening BEFORE INSERT ON committee_member
WHEN NEW.status <> 'named' OR {OPENED}
BEGIN SELECT RAISE(ABORT, 'a committee member is named, before the envelopes are opened'); END""",
    f"""CREATE TRIGGER committee_member_declaration_final BEFORE UPDATE ON committee_member
WHEN OLD.status <> 'named' OR NEW.demand_id <> OLD.demand_id OR NEW.user_id <> OLD.user_id OR {OPENED}
BEGIN SELECT RAISE(ABORT, 'a declaration is final, and the committee is fixed once the envelopes are open'); END""",
    """CREATE TRIGGER committee_member_declared_after_deadline BEFORE UPDATE ON committee_member
WHEN NEW.declared_at IS NOT NULL AND NEW.declared_at < (SELECT deadline FROM demand WHERE id = NEW.demand_id)
BEGIN SELECT RAISE(ABORT, 'a committee member declares after the deadline'); END""",
    """CREATE TRIGGER committee_member_kept BEFORE DELETE ON committee_member
BEGIN SELECT RAISE(ABORT, 'committee members stay on the record'); END""",
    """CREATE TRIGGER bid_assessment_by_declared_member BEFORE INSERT ON bid_assessment
WHEN (SELECT status FROM committee_member WHERE id = NEW.member_id) IS NOT 'declared'
  OR (SELECT demand_id FROM committee_member WHERE id = NEW.member_id)
     IS NOT (SELECT demand_id FROM bid WHERE id = NEW.bid_id)
  OR (SELECT envelope FROM bid WHERE id = NEW.bid_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a bid is assessed, once opened, by a member who declared no conflict of interest'); END""",
    """CREATE TRIGGER bid_assessment_no_update BEFORE UPDATE ON bid_assessment
BEGIN SELECT RAISE(ABORT, 'bid assessments are append-only'); END""",
    """CREATE TRIGGER bid_assessment_no_delete BEFORE DELETE ON bid_assessment
BEGIN SELECT RAISE(ABORT, 'bid assessments are append-only'); END""",
)


def upgrade():
    op.create_table('committee_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('named', 'declared', 'conflict', 'removed', name='committee_member_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('named_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', minitendr.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declaration', sa.Text(), nullable=True),
    sa.Column('conflict_note', sa.Text(), nullable=True),
    sa.Column('removed_at', minitendr.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(declared_at IS NOT NULL) = (status IN ('declared', 'conflict'))", name=op.f('ck_committee_member_declared_when_declared')),
    sa.CheckConstraint("(removed_at IS NOT NULL) = (status IN ('conflict', 'removed'))", name=op.f('ck_committee_member_removed_when_gone')),
    sa.CheckConstraint('(declaration IS NOT NULL) = (declared_at IS NOT NULL)', name=op.f('ck_committee_member_declaration_text')),
    sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_committee_member_demand_id_demand')),
    sa.ForeignKeyConstraint(['named_by_id'], ['user_account.id'], name=op.f('fk_committee_member_named_by_id_user_account')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['user_account.id'], name=op.f('fk_committee_member_removed_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_committee_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_member')),
    sa.UniqueConstraint('demand_id', 'user_id', name='uq_committee_member_demand_user')
    )
    op.create_table('bid_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('score', 'exclusion', name='assessment_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('quality_score', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('assessed_at', minitendr.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'score') = (quality_score IS NOT NULL)", name=op.f('ck_bid_assessment_score_has_points')),
    sa.CheckConstraint('quality_score IS NULL OR quality_score BETWEEN 0 AND 100', name=op.f('ck_bid_assessment_quality_range')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_assessment_bid_id_bid')),
    sa.ForeignKeyConstraint(['member_id'], ['committee_member.id'], name=op.f('fk_bid_assessment_member_id_committee_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_assessment'))
    )
    with op.batch_alter_table('bid_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_assessment_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_assessment_member_id'), ['member_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_TRIGGERS)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    with op.batch_alter_table('bid_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_assessment_member_id'))
        batch_op.drop_index(batch_op.f('ix_bid_assessment_bid_id'))
    op.drop_table('bid_assessment')
    op.drop_table('committee_member')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION bid_assessment_guard()')
        op.execute('DROP FUNCTION committee_member_guard()')
