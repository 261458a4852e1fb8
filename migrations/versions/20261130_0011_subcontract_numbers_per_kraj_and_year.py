"""subcontract numbers per kraj and year

Sub-contracts get their number's parts (kraj, year, place in the sequence) as columns with a unique
constraint, so that an award takes the next number of its kraj and year without gaps.

Existing numbers stay as they are: a sub-contract's number is printed on the signed contract, in the
register of contracts, in notifications and in the audit trail, so renumbering would make those point
at nothing. Their parts are read back from the numbers (``DS-PAK-2026-0042`` → PAK, 2026, 42); new
numbers continue after the highest one of each kraj and year, so they never meet an old one. A number
that does not follow the pattern gets the next free place of its ORP's kraj in the year of signing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00

"""
import re

from alembic import op
import sqlalchemy as sa

import minitendr.db


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NUMBER = re.compile(r"DS-([A-Z]{3})-([0-9]{4})-([0-9]{1,9})")


def upgrade():
    with op.batch_alter_table('subcontract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kraj_abbr', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('number_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number_seq', sa.Integer(), nullable=True))

    conn = op.get_bind()
    # The usual case in one statement (a synthetic load may hold a million rows); the pattern keeps
    # PostgreSQL's CAST away from anything that is not a number.
    pattern = (
        "number ~ '^DS-[A-Z]{3}-[0-9]{4}-[0-9]{1,9}$'"
        if conn.dialect.name == "postgresql"
        else "number GLOB 'DS-[A-Z][A-Z][A-Z]-[0-9][0-9][0-9][0-9]-[0-9]*'"
    )
    conn.execute(sa.text(
        "UPDATE subcontract SET kraj_abbr = substr(number, 4, 3), "
        "number_year = CAST(substr(number, 8, 4) AS INTEGER), number_seq = CAST(substr(number, 13) AS INTEGER) "
        f"WHERE {pattern}"
    ))
    # Checked in Python: a number read twice (DS-PAK-2026-042 beside DS-PAK-2026-0042) or not read at
    # all gets the next free place of its ORP's kraj in the year it was signed.
    rows = conn.execute(sa.text(
        "SELECT s.id, s.number, s.signed_on, k.abbr, s.kraj_abbr, s.number_year, s.number_seq "
        "FROM subcontract s JOIN orp o ON o.id = s.orp_id JOIN kraj k ON k.id = o.kraj_id ORDER BY s.id"
    )).all()
    seen, last, unread = set(), {}, []
    for id_, number, signed_on, abbr, got_abbr, got_year, got_seq in rows:
        match = NUMBER.fullmatch(number or "")
        parts = (got_abbr, got_year, got_seq)
        if match and parts == (match[1], int(match[2]), int(match[3])) and parts not in seen:
            seen.add(parts)
            last[(got_abbr, got_year)] = max(last.get((got_abbr, got_year), 0), got_seq)
        else:
            unread.append((id_, int(str(signed_on)[:4]), abbr))
    for id_, year, abbr in unread:
        seq = last[(abbr, year)] = last.get((abbr, year), 0) + 1
        conn.execute(
            sa.text("UPDATE subcontract SET kraj_abbr = :abbr, number_year = :year, number_seq = :seq WHERE id = :id"),
            {"abbr": abbr, "year": year, "seq": seq, "id": id_},
        )

    with op.batch_alter_table('subcontract', schema=None) as batch_op:
        batch_op.alter_column('kraj_abbr', existing_type=sa.String(length=3), nullable=False)
        batch_op.alter_column('number_year', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('number_seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_subcontract_number_seq', ['kraj_abbr', 'number_year', 'number_seq'])


def downgrade():
    with op.batch_alter_table('subcontract', schema=None) as batch_op:
        batch_op.drop_constraint('uq_subcontract_number_seq', type_='unique')
        batch_op.drop_column('number_seq')
        batch_op.drop_column('number_year')
        batch_op.drop_column('kraj_abbr')
