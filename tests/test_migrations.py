"""Migrations keep the data they migrate: SQLite's batch mode recreates tables, and a recreated
table must not take its children with it through ON DELETE CASCADE."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from minitendr import create_app
from minitendr.db import db
from minitendr.registry.service import load_reference_data
from tests.conftest import config_for_tests


def test_upgrading_keeps_rows_that_hang_on_recreated_tables(tmp_path):
    # On SQLite whichever database the suite runs on: the batch-mode hazard is SQLite's own.
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/upgrade.db"))
    with app.app_context():
        directory = app.config["MIGRATIONS_DIR"]
        upgrade(directory=directory, revision="0003")
        load_reference_data(Path(app.config["SEED_DIR"]))
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO provider (id, ico, name, legal_form, address, email, phone, active, created_at) "
                    "VALUES (1, '26742101', 'P', '', '', '', '', 1, '2026-11-01 10:00:00')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO demand (id, number, number_year, kraj_abbr, number_seq, orp_id, category_id, "
                    "service_type_id, needs, case_reference, need_description, expected_outcome, place, volume, "
                    "start_date, end_date, contact_name, contact_email, contact_phone, status, created_at, deadline) "
                    "VALUES (1, 'PAK-2026-0001', 2026, 'PAK', 1, 1, 1, 1, '[\"vztahy\"]', 'X', 'X', 'X', 'X', 10, "
                    "'2026-12-01', '2026-12-31', 'X', 'x@x.cz', '', 'published', '2026-11-01 10:00:00', "
                    "'2026-12-10 11:00:00')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO invitation (id, demand_id, provider_id, invited_at) "
                    "VALUES (1, 1, 1, '2026-11-01 10:00:00')"
                )
            )
        invitation = "SELECT demand_id, provider_id FROM invitation"
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(invitation)).all() == [(1, 1)]
            assert conn.execute(sa.text("SELECT number, status FROM demand")).all() == [("PAK-2026-0001", "published")]
            assert conn.execute(sa.text("SELECT ico FROM provider")).scalars().all() == ["26742101"]
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # back on for the application
            assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        downgrade(directory=directory, revision="0003")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(invitation)).all() == [(1, 1)]
        db.engine.dispose()
