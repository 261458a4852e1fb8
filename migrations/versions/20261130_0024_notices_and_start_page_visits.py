"""notices and start page visits

Kraj notices (minitendr.notices.models): the notice and one row per provider user it went to, with
the read receipt; and the start page's visits per user (the latest, and the last of an earlier day: what was decided
since is new there).

Revision ID: 0024
Revises: 0017
Create Date: 2026-11-30 21:00:00

"""

from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_seen_at", minitendr.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("start_new_since", minitendr.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kraj_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("framework_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", minitendr.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(framework_id IS NULL) <> (category_id IS NULL)", name=op.f("ck_notice_one_addressee")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_notice_author_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["service_category.id"], name=op.f("fk_notice_category_id_service_category")
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"], ["framework_contract.id"], name=op.f("fk_notice_framework_id_framework_contract")
        ),
        sa.ForeignKeyConstraint(["kraj_id"], ["kraj.id"], name=op.f("fk_notice_kraj_id_kraj")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_kraj_created", ["kraj_id", "created_at", "id"], unique=False)

    op.create_table(
        "notice_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("read_at", minitendr.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_recipient_notice_id_notice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_notice_recipient_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notice_recipient_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_recipient")),
        sa.UniqueConstraint("notice_id", "user_id", name="uq_notice_recipient_user"),
    )
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.create_index("ix_notice_recipient_user_read", ["user_id", "read_at", "notice_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_recipient_user_read")
    op.drop_table("notice_recipient")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_kraj_created")
    op.drop_table("notice")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("start_new_since")
        batch_op.drop_column("start_seen_at")
