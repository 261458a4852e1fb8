"""The ``minitendr`` command: Flask's CLI bound to the app factory, plus our own commands."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from minitendr import create_app, formatting
from minitendr.auth.models import Role, User
from minitendr.db import DomainError, db
from minitendr.sealing import key_beside


def create_cli_app() -> Flask:
    """The application as the `minitendr` command builds it: schema and data commands run without the
    bid key (the server refuses to start without it)."""
    return create_app({"CLI": True})


@click.group(cls=FlaskGroup, create_app=create_cli_app, load_dotenv=False, set_debug_flag=False)
def cli() -> None:
    """minitendr – minitendry pro OSPOD: rámcové smlouvy, nabídky, dílčí smlouvy a čerpání."""


def _seed_dir() -> Path:
    return Path(current_app.config["SEED_DIR"])


def seed_reference() -> dict[str, int]:
    from minitendr.network.census import load_census
    from minitendr.registry.service import load_reference_data
    from minitendr.reports.jobs import outdate_all

    counts = load_reference_data(_seed_dir())
    load_census(_seed_dir())  # the children per ORP the service network counts value per child on
    if counts["updated"]:  # renamed reference data: no export made before says it right any more
        outdate_all()
    db.session.commit()
    return counts


def seed_demo():
    """Reference data, demo accounts, the pilot of 2013–2015, today's minitenders and the catalogue of services
    (idempotent)."""
    from minitendr.seeding.catalogue import seed_catalogue
    from minitendr.seeding.demo import seed_demo_accounts
    from minitendr.seeding.outcomes import seed_outcomes
    from minitendr.seeding.pilot import seed_pilot, seed_present

    seed_reference()
    accounts = seed_demo_accounts(_seed_dir())
    db.session.commit()
    with click.progressbar(length=1, label="Pilotní projekt 2013–2015", show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        seed_pilot(_seed_dir(), progress)
    seed_outcomes()
    seed_present(_seed_dir())
    # --- service network: the kraj models of the pilot's kraje
    from minitendr.seeding.network import seed_network_models

    seed_network_models()
    seed_catalogue()
    db.session.commit()
    return accounts


def print_accounts(accounts) -> None:
    from minitendr.seeding.demo import DEMO_PASSWORD

    click.echo(f"\nDemo účty (heslo pro všechny: {DEMO_PASSWORD}):")
    width = max(len(a.email) for a in accounts)
    for account in accounts:
        click.echo(f"  {account.email:<{width}}  {account.role.label:<20}  {account.bound_to}")


@cli.command("demo", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--database", "path", type=click.Path(dir_okay=False, path_type=Path), help="Soubor demo databáze.")
@click.option("--keep", is_flag=True, help="Ponechat existující demo databázi místo nové.")
@click.option("--no-serve", is_flag=True, help="Jen připravit databázi, nespouštět server.")
def demo(host: str, port: int, path: Path | None, keep: bool, no_serve: bool) -> None:
    """Připraví novou demo databázi SQLite a spustí aplikaci na http://127.0.0.1:5000."""
    if path is None:
        instance = Path(Flask("minitendr").instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        path = instance / "demo.db"
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_app(
        {
            "DEMO": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": os.environ.get("MINITENDR_SECRET_KEY") or secrets.token_hex(32),
            "BID_KEY": os.environ.get("MINITENDR_BID_KEY") or key_beside(path),
        }
    )
    with app.app_context():
        click.echo(f"Databáze: {path}")
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        accounts = seed_demo()
        print_accounts(accounts)
    if no_serve:
        return
    click.echo(f"\nAplikace běží na http://{host}:{port}  (ukončení: Ctrl+C)")
    # Werkzeug's server directly: Flask ignores app.run() inside its own CLI.
    run_simple(host, port, app, threaded=True)


def register_commands(app: Flask) -> None:
    """Commands that need the application (and its database) are attached to ``app.cli``."""
    app.cli.add_command(seed_group)
    app.cli.add_command(users_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(export_group)
    app.cli.add_command(exports_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(reminders_group)
    app.cli.add_command(tokens_group)


@click.group("seed", cls=AppGroup)
def seed_group() -> None:
    """Naplnění databáze: číselníky, demo data."""


@seed_group.command("reference")
def seed_reference_command() -> None:
    """Načte 14 krajů, 206 ORP, tři kategorie a typy služeb ze seed/ (opakované spuštění nic nemění)."""
    counts = seed_reference()
    click.echo(f"Číselníky: {counts['created']} nových, {counts['updated']} změněných záznamů.")


@seed_group.command("demo")
def seed_demo_command() -> None:
    """Načte číselníky, demo poskytovatele a demo účty."""
    print_accounts(seed_demo())


@seed_group.command("synthetic")
@click.option("--subcontracts", type=click.IntRange(1, 5_000_000), required=True, help="Počet dílčích smluv.")
@click.option("--seed", type=int, default=1, show_default=True, help="Semínko náhodného generátoru.")
def seed_synthetic_command(subcontracts: int, seed: int) -> None:
    """Syntetická data pro všech 14 krajů a 206 ORP v libovolném objemu (pro měření výkonu)."""
    import time

    from minitendr.seeding.national import seed_national_network
    from minitendr.seeding.synthetic import generate

    seed_reference()
    started = time.perf_counter()
    with click.progressbar(length=subcontracts, label="Dílčí smlouvy", show_pos=True) as bar:
        counts = generate(subcontracts, seed, progress=lambda done: bar.update(done - bar.pos))
    seconds = time.perf_counter() - started
    network = seed_national_network()
    db.session.commit()

    def n(value: float) -> str:
        return f"{value:_.0f}".replace("_", " ")

    click.echo(
        f"Zapsáno {n(counts['rows'])} řádků ({n(counts['subcontracts'])} dílčích smluv, {n(counts['providers'])} "
        f"poskytovatelů, {counts['frameworks']} rámcových smluv) za {seconds:.1f} s = {n(counts['rows'] / seconds)} "
        "řádků/s."
    )
    click.echo(
        f"Síť služeb: {n(network['automatic'] + network['services'])} služeb v katalogu, {network['models']} "
        f"krajských modelů, {n(network['outcomes'])} výsledků ukončených dílčích smluv."
    )


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Správa uživatelských účtů."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Jméno a příjmení.")
@click.option("--role", required=True, type=click.Choice(["admin", "ministry", "kraj", "ospod", "provider"]))
@click.option("--kraj", "kraj_code", help="Kód kraje (NUTS), např. CZ053 – pro roli kraj.")
@click.option("--orp", "orp_code", help="Kód ORP (ČSÚ), např. 5309 – pro roli ospod.")
@click.option("--provider", "provider_ico", help="IČO poskytovatele – pro roli provider.")
@click.password_option("--password", help="Heslo (bez volby se zeptá).")
def users_create(email, name, role, kraj_code, orp_code, provider_ico, password) -> None:
    """Vytvoří uživatele s rolí a vazbou na kraj, ORP nebo poskytovatele."""
    from minitendr.auth.service import create_user
    from minitendr.providers.models import Provider
    from minitendr.registry.models import Kraj, Orp

    def lookup(model, column, value, label):
        if not value:
            return None
        found = db.session.scalar(db.select(model).where(column == value.strip().upper()))
        if found is None:
            raise click.ClickException(f"Neznámý {label}: {value}")
        return found

    try:
        user = create_user(
            email=email,
            name=name,
            password=password,
            role=Role(role),
            kraj=lookup(Kraj, Kraj.code, kraj_code, "kraj"),
            orp=lookup(Orp, Orp.code, orp_code, "kód ORP"),
            provider=lookup(Provider, Provider.ico, provider_ico, "poskytovatel (IČO)"),
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Uživatel {user.email} ({user.role.label}) byl vytvořen.")


@click.group("outbox", cls=AppGroup)
def outbox_group() -> None:
    """Odchozí e-maily."""


@outbox_group.command("send")
def outbox_send() -> None:
    """Odešle čekající e-maily přes SMTP (MINITENDR_SMTP_HOST)."""
    from minitendr.notifications.service import deliver_outbox, smtp_configured

    if not smtp_configured():
        raise click.ClickException("SMTP není nastaveno (MINITENDR_SMTP_HOST); e-maily zůstávají ve frontě.")
    sent, failed = deliver_outbox(limit=1000)
    db.session.commit()
    click.echo(f"Odesláno {sent}, nepodařilo se {failed}.")


@click.group("export", cls=AppGroup)
def export_group() -> None:
    """Exporty: čerpání do Excelu nebo CSV, otevřená data OCDS."""


@export_group.command("spend")
@click.option("--kraj", default="", help="Kód kraje (NUTS), např. CZ053.")
@click.option("--orp", default="", help="Kód ORP, např. 5309.")
@click.option("--category", default="", help="pobytove, poradenstvi nebo terenni.")
@click.option("--provider", default="", help="IČO poskytovatele.")
@click.option("--year", default="", help="Rok uzavření dílčí smlouvy.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Soubor .xlsx nebo .csv.")
def export_spend(kraj, orp, category, provider, year, output) -> None:
    """Export čerpání za celou republiku (s filtry) do Excelu nebo CSV."""
    from minitendr.db import read_only
    from minitendr.reports import exports
    from minitendr.reports.service import FilterError, parse_filters

    user = command_line_reader()
    try:
        filters = parse_filters(
            {"kraj": kraj, "orp": orp, "category": category, "provider": provider, "year": year}, user
        )
    except FilterError as error:
        raise click.ClickException(error.message) from None
    with read_only():
        if output.lower().endswith(".csv"):
            with open(output, "w", encoding="utf-8", newline="") as stream:
                rows = exports.write_csv(stream, filters, user)
            click.echo(f"{rows} dílčích smluv.")
        elif output.lower().endswith(".xlsx"):
            count = exports.detail_count(filters, user)
            with click.progressbar(length=max(1, count), label="Export do Excelu", show_pos=True) as bar:
                totals = exports.write_workbook(
                    output, filters, user, progress=lambda done, _total: bar.update(done - bar.pos)
                )
            click.echo(
                f"{int(totals['rows'])} dílčích smluv, hodnota {formatting.money(totals['value'])}, "
                f"vyčerpáno {formatting.money(totals['drawn'])}."
            )
        else:
            raise click.ClickException("Výstup musí končit .xlsx nebo .csv.")
    click.echo(f"Zapsáno: {output}")


@export_group.command("ocds")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Soubor .json.")
@click.option("--uri", default="https://minitendr.example/open-data/ocds.json", show_default=True)
def export_ocds(output, uri) -> None:
    """Otevřená data: balíček OCDS 1.1 všech zadaných minitendrů."""
    from minitendr.db import read_only
    from minitendr.reports.ocds import package_chunks

    # Written a release at a time, a batch of rows read at a time: the memory of one batch.
    with read_only(), open(output, "w", encoding="utf-8") as stream:
        for chunk in package_chunks(uri):
            stream.write(chunk)
    click.echo(f"Zapsáno: {output}")


@click.group("exports", cls=AppGroup)
def exports_group() -> None:
    """Soubory exportů v úložišti."""


@exports_group.command("purge")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Starší než tolik dní (výchozí MINITENDR_EXPORT_KEEP_DAYS).",
)
def exports_purge(days: int | None) -> None:
    """Smaže exporty (úlohy a soubory) starší než daný počet dní; vhodné pro cron."""
    from flask import current_app

    from minitendr.reports.jobs import purge

    removed = purge(current_app._get_current_object(), days)  # type: ignore[attr-defined]
    click.echo(f"Smazáno exportů: {removed}.")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """Auditní stopa."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Projde řetěz otisků auditní stopy; první porušený článek ohlásí s návratovým kódem 1."""
    from minitendr.audit.service import verify_chain

    report = verify_chain()
    if not report.ok:
        click.echo(f"Řetěz auditní stopy je porušen u záznamu #{report.broken_id}: {report.problem}", err=True)
        raise click.exceptions.Exit(1)
    # The last hash, written down elsewhere, also shows later that no events were cut off the end.
    click.echo(f"OK, {report.count} záznamů, řetěz otisků je neporušený; poslední otisk: {report.head}")


def command_line_reader() -> User:
    """Who the command line acts as for exports: national scope, like the ministry. No account: the
    user is never added to the session, so nothing is written for it."""
    return User(role=Role.MINISTRY, email="příkazová řádka", name="příkazová řádka", active=True)


# --- reminders (issue 18)
@click.group("reminders", cls=AppGroup)
def reminders_group() -> None:
    """Připomínky e-mailem a v aplikaci."""


@reminders_group.command("send")
def reminders_send() -> None:
    """Pošle připomínky, které dosud nebyly poslány (opakované spuštění nepošle nic znovu); pro cron."""
    from minitendr.reminders.models import ReminderKind
    from minitendr.reminders.service import run

    sent = run(current_app._get_current_object())  # type: ignore[attr-defined]
    for kind in ReminderKind:
        click.echo(f"{kind.label} / {kind.value}: {sent[kind]}")
    click.echo(f"Odesláno připomínek / reminders sent: {sum(sent.values())}")


# --- API tokens (minitendr.api) --------------------------------------------------------------------
@click.group("tokens", cls=AppGroup)
def tokens_group() -> None:
    """Osobní API tokeny."""


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="E-mail účtu, jehož jménem token jedná.")
@click.option("--name", required=True, help="Název tokenu.")
@click.option("--read-only", is_flag=True, help="Token jen pro čtení.")
@click.option("--days", type=click.IntRange(1, 365), default=90, show_default=True, help="Platnost ve dnech.")
def tokens_create_command(email: str, name: str, read_only: bool, days: int) -> None:
    """Vytvoří token a vypíše jej (jen jednou; uchovává se jen jeho otisk)."""
    from minitendr.api import tokens
    from minitendr.auth.service import normalize_email

    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"Účet {email} neexistuje.")
    try:
        _token, secret = tokens.create_token(user, name, read_only=read_only, days=days)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(secret)
