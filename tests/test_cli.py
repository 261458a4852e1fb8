"""The ``minitendr`` command: seeding, creating users, and the demo."""

from __future__ import annotations

import sqlalchemy as sa

from minitendr.auth.models import Role, User
from minitendr.bids.models import Bid
from minitendr.db import db


def test_seed_reference_twice_changes_nothing(run_cli):
    from minitendr.registry.models import Kraj, Orp, ServiceType

    def counts() -> tuple[int | None, ...]:
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Kraj, Orp, ServiceType))

    before = counts()
    result = run_cli("seed", "reference")
    assert result.exit_code == 0
    assert "0 nových, 0 změněných" in result.output
    db.session.expire_all()
    assert counts() == before and before[:2] == (14, 206)


def test_users_create_binds_an_ospod_user_to_its_orp(run_cli):
    result = run_cli(
        "users",
        "create",
        "--email",
        "Nova@Cheb.cz",
        "--name",
        "Nová",
        "--role",
        "ospod",
        "--orp",
        "4102",
        "--password",
        "dlouhe-heslo-1",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.email == "nova@cheb.cz")).scalar_one()
    assert user.role is Role.OSPOD and user.orp is not None and user.orp.name == "Cheb"
    assert user.name == "Nová" and user.active and user.check_password("dlouhe-heslo-1")
    assert user.kraj_id is None and user.provider_id is None


def test_users_create_refuses_bad_input_with_czech_messages(run_cli, personas):
    base = ["users", "create", "--name", "X", "--password", "dlouhe-heslo-1"]
    cases = [
        (["--email", "a@b.cz", "--role", "kraj", "--kraj", "CZ999"], "Neznámý kraj: CZ999"),
        (["--email", "a@b.cz", "--role", "ospod", "--orp", "0000"], "Neznámý kód ORP: 0000"),
        (["--email", "a@b.cz", "--role", "ospod"], "musí mít určenou ORP"),
        (["--email", "a@b.cz", "--role", "admin", "--kraj", "CZ053"], "se neváže na kraj"),
        (["--email", "admin@test.cz", "--role", "admin"], "už existuje"),
        (["--email", "a@b.cz", "--role", "provider", "--provider", "12345678"], "Neznámý poskytovatel"),
    ]
    for extra, message in cases:
        result = run_cli(*base, *extra)
        assert result.exit_code != 0 and message in result.output, (extra, result.output)
    assert db.session.execute(sa.select(User).where(User.email == "a@b.cz")).scalar_one_or_none() is None


def test_short_password_is_refused_on_the_command_line(run_cli):
    result = run_cli(
        "users", "create", "--email", "a@b.cz", "--name", "X", "--role", "ministry", "--password", "kratke"
    )
    assert result.exit_code != 0 and "alespoň 10 znaků" in result.output
    assert db.session.execute(sa.select(User).where(User.email == "a@b.cz")).scalar_one_or_none() is None


DEMO_ACCOUNTS = (
    "admin@demo.cz",
    "mpsv@demo.cz",
    "kraj.pak@demo.cz",
    "kraj.kvk@demo.cz",
    "ospod.pardubice@demo.cz",
    "ospod.cheb@demo.cz",
    "provider1@demo.cz",
)


def test_demo_prepares_a_database_with_the_demo_accounts(demo_database, demo_app):
    assert demo_database.exit_code == 0, demo_database.output
    for email in DEMO_ACCOUNTS:
        assert email in demo_database.output
    assert "Pilotní projekt 2013–2015" in demo_database.output
    engine = sa.create_engine(demo_database.url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT email, role, password_hash FROM user_account")).all()
        assert conn.execute(sa.text("SELECT count(*) FROM orp")).scalar() == 206
    engine.dispose()
    assert {r.role for r in rows} == {"admin", "ministry", "kraj", "ospod", "provider"}
    assert set(DEMO_ACCOUNTS) <= {r.email for r in rows}
    probe = User(password_hash=rows[0].password_hash)
    assert probe.check_password("demo")
    # Today's open minitenders hold sealed bids; the key beside the database opens them (--keep reuses it).
    assert demo_database.key_file.stat().st_mode & 0o077 == 0
    sealed = db.session.scalars(sa.select(Bid).where(Bid.envelope.is_not(None))).all()
    assert sealed and all(bid.offer.total > 0 for bid in sealed)


def test_demo_accounts_log_in_with_the_password_demo(demo_app):
    from pathlib import Path

    from minitendr.seeding.demo import seed_demo_accounts

    # The listed officials and one account per demo provider; seeding them again makes no new ones.
    accounts = seed_demo_accounts(Path(demo_app.config["SEED_DIR"]))
    assert len(accounts) == 6 + 20
    # Besides them only the evaluators the pilot seats on the committees of ORPs without an OSPOD
    # account, and those cannot log in (no password).
    others = db.session.scalars(sa.select(User).where(User.email.not_in([a.email for a in accounts]))).all()
    assert others and all(u.email.startswith("komise") and u.password_hash == "!" for u in others)
    client = demo_app.test_client()
    refused = client.post("/login", data={"email": "kraj.pak@demo.cz", "password": "spatne-heslo"})
    assert refused.status_code == 200 and "Pardubický kraj" not in client.get("/").get_data(as_text=True)
    response = client.post("/login", data={"email": "kraj.pak@demo.cz", "password": "demo"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Pardubický kraj" in client.get("/").get_data(as_text=True)


def test_demo_serves_the_application(demo_database, tmp_path):
    """The README's first command: ``minitendr demo`` serves on a port (here on a copy of the database the
    session's fixture prepared, kept with ``--keep``, so the pilot is not replayed again)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = Path(sys.executable).parent / "minitendr"
    database = demo_database.copy_to(tmp_path).path
    server = subprocess.Popen(
        [str(command), "demo", "--keep", "--database", str(database), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Generous: on a busy machine the command's start (imports, migrations check, idempotent seeding)
        # is slow, and what is tested is that it serves, not how fast.
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the demo did not start serving within 120 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert "Přihlášení" in response.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "ospod.pardubice@demo.cz" in output
