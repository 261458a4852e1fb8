"""reminders

Připomínky (minitendr.reminders.models): who has been reminded of what and for which period (the unique
key makes ``minitendr reminders send`` idempotent), and the kinds each person switched off. New tables
only (empty: nobody was reminded before).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 21:10:00

"""

from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

KINDS = ("deadline", "evaluation", "drawdowns", "registry", "monthly_report")


def _kind() -> sa.Enum:
    return sa.Enum(*KINDS, name="reminder_kind", native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("sent_at", minitendr.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reminder_sent_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint("kind", "user_id", "object_key", "period", name="uq_reminder_sent_once"),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_sent_user_id"), ["user_id"], unique=False)
    op.create_table(
        "reminder_opt_out",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("created_at", minitendr.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reminder_opt_out_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_reminder_opt_out")),
    )


def downgrade():
    op.drop_table("reminder_opt_out")
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_sent_user_id"))
    op.drop_table("reminder_sent")
