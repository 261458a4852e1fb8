"""The ``minitendr`` command: seeding, creating users, and the demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from minitendr import create_app
from minitendr.auth.models import Role, User
from minitendr.bids.models import Bid
from minitendr.cli import cli
from minitendr.db import db


def test_seed_reference_twice_changes_nothing(run_cli):
    result = run_cli("seed", "reference")
    assert result.exit_code == 0
    assert "0 nových, 0 změněných" in result.output


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
    assert user.role is Role.OSPOD and user.orp.name == "Cheb"


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


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    """``minitendr demo --no-serve`` once for the module: replaying the pilot is the slow part."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--database", str(path), "--no-serve"], catch_exceptions=False)
    return path, result


def test_demo_prepares_a_database_with_the_demo_accounts(demo_database):
    path, result = demo_database
    assert result.exit_code == 0, result.output
    for email in (
        "admin@demo.cz",
        "mpsv@demo.cz",
        "kraj.pak@demo.cz",
        "kraj.kvk@demo.cz",
        "ospod.pardubice@demo.cz",
        "ospod.cheb@demo.cz",
        "provider1@demo.cz",
    ):
        assert email in result.output
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT email, role, password_hash FROM user_account")).all()
        assert conn.execute(sa.text("SELECT count(*) FROM orp")).scalar() == 206
    engine.dispose()
    assert {r.role for r in rows} == {"admin", "ministry", "kraj", "ospod", "provider"}
    probe = User(password_hash=rows[0].password_hash)
    assert probe.check_password("demo")
    assert "Pilotní projekt 2013–2015" in result.output
    # Today's open minitenders hold sealed bids; the key beside the database opens them (--keep reuses it).
    key = path.with_name("demo.db.bid-key")
    assert key.stat().st_mode & 0o077 == 0
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DEMO": True, "BID_KEY": key.read_text()})
    with app.app_context():
        sealed = db.session.scalars(sa.select(Bid).where(Bid.envelope.is_not(None))).all()
        assert sealed and all(bid.offer.total > 0 for bid in sealed)
        db.session.remove()
        db.engine.dispose()


def test_demo_accounts_log_in_with_the_password_demo(app, client):
    from pathlib import Path

    from minitendr.seeding.demo import seed_demo_accounts

    accounts = seed_demo_accounts(Path(app.config["SEED_DIR"]))
    db.session.commit()
    assert len(accounts) == 6 + 20  # the listed officials and one account per demo provider
    response = client.post("/login", data={"email": "kraj.pak@demo.cz", "password": "demo"})
    assert response.status_code == 302
    assert "Pardubický kraj" in client.get("/").get_data(as_text=True)


def test_demo_serves_the_application(demo_database):
    """The README's first command: ``minitendr demo`` serves on a port (here on the database the fixture
    prepared, kept with ``--keep``, so the pilot is not replayed twice)."""
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
    server = subprocess.Popen(
        [str(command), "demo", "--keep", "--database", str(demo_database[0]), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the demo did not start serving within 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert "Přihlášení" in response.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "ospod.pardubice@demo.cz" in output
