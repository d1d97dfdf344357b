"""The ``participation`` console script: the Flask CLI of this app plus operator commands."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup
from flask_babel import force_locale

from . import create_app, db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DEFAULT_STRATEGY = Path(__file__).resolve().parent / "strategy" / "data" / "muenster-1.0.yaml"


def main() -> None:
    cli = FlaskGroup(create_app=lambda: create_app(), help="Operate the participation platform.")
    cli.main(prog_name="participation")


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (url or current_app.config["DATABASE_URL"]).replace("%", "%%"))
    return config


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(strategy_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(rounds_cli)
    from .versions.cli import add_commands as add_version_commands

    add_version_commands(strategy_cli)
    from .ratings.cli import ratings_cli

    app.cli.add_command(ratings_cli)
    from .exports.cli import export_command

    app.cli.add_command(export_command)
    from .demo import demo_command

    app.cli.add_command(demo_command)


# --- database ------------------------------------------------------------------------------

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    from alembic import command

    command.downgrade(alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, show_default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (for developers; review it before committing)."""
    from alembic import command

    config = alembic_config()
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    command.revision(config, message=message, autogenerate=autogenerate)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    from alembic import command

    command.current(alembic_config(), verbose=False)


# --- strategy -----------------------------------------------------------------------------

strategy_cli = AppGroup("strategy", help="Import and export strategy versions (YAML).")


def _import_file(path: Path, replace: bool) -> None:
    from .strategy.services import MAX_DOCUMENT_CHARS, StrategyFileError, import_version, parse

    try:
        if path.stat().st_size > 4 * MAX_DOCUMENT_CHARS:  # not even worth reading
            raise click.ClickException(f"{path} is too large for a strategy file")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    session = db.session()
    try:
        doc = parse(text)
        version = import_version(session, doc, replace=replace)
        from .moderation.services import audit

        audit(session, None, "version.replaced" if replace else "version.imported", "version", version.id, None,
              number=version.number, via="cli")
        session.commit()
    except StrategyFileError as exc:
        session.rollback()
        click.echo(f"{path}: {len(exc.errors)} error(s), nothing imported:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    click.echo(f"Imported version {version.number} ({len(version.items)} items, {version.state}).")


@strategy_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replace", is_flag=True, help="Update an existing version in place (items matched by key).")
def strategy_import(file: Path, replace: bool) -> None:
    """Import a strategy version from FILE; nothing is imported if the file has errors."""
    _import_file(file, replace)


@strategy_cli.command("export")
@click.argument("version")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
def strategy_export(version: str, file: Path | None) -> None:
    """Export VERSION as YAML to FILE (or standard output)."""
    from .strategy.services import dump, export_document, version_by_number

    session = db.session()
    found = version_by_number(session, version)
    if found is None:
        raise click.ClickException(f"there is no version {version!r}")
    text = dump(export_document(session, found))
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"Exported version {version} to {file}.", err=True)


@strategy_cli.command("seed")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_STRATEGY,
              show_default=True)
def strategy_seed(file: Path) -> None:
    """Import the shipped strategy (Münster 1.0) if the database has no version yet."""
    import sqlalchemy as sa

    from .strategy.models import StrategyVersion

    if db.session().scalar(sa.select(sa.func.count()).select_from(StrategyVersion)):
        click.echo("A strategy version exists already; nothing imported.")
        return
    _import_file(file, replace=False)


# --- users ---------------------------------------------------------------------------------

users_cli = AppGroup("users", help="Accounts and roles.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice(["resident", "moderator", "admin"]), default="resident", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a confirmed account (for bootstrapping moderators and admins)."""
    from wtforms.validators import ValidationError

    from .accounts import passwords, services

    if not password_stdin:
        raise click.UsageError("pass the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with force_locale("en"):  # the console speaks English
        problem = passwords.problem(password, related=[email, name])
    if problem:
        raise click.ClickException(f"password not accepted: {problem}")
    if len(name.strip()) == 0 or len(name) > 60:
        raise click.ClickException("the name must have 1 to 60 characters")
    try:
        from email_validator import EmailNotValidError, validate_email

        validate_email(email, check_deliverability=False)
    except (EmailNotValidError, ValidationError) as exc:
        raise click.ClickException(f"not a valid e-mail address: {exc}") from None
    session = db.session()
    try:
        user = services.create_user(session, email, name.strip(), role, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    from .moderation.services import audit

    audit(session, None, "user.created", "user", user.id, None, role=role, via="cli")
    session.commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["resident", "moderator", "admin"]))
def users_set_role(email: str, role: str) -> None:
    """Give an existing account another role."""
    from .accounts import services

    session = db.session()
    user = services.user_by_email(session, email)
    if user is None:
        raise click.ClickException(f"no account with the address {email}")
    from .moderation.services import audit

    before = user.role
    user.role = role
    if before != role:
        audit(session, None, "user.role_changed", "user", user.id, None, before=before, role=role, via="cli")
    session.commit()
    click.echo(f"{user.email} is now {role}.")


# --- mail ----------------------------------------------------------------------------------

mail_cli = AppGroup("mail", help="The outbox of e-mail messages.")


@mail_cli.command("send")
@click.option("--watch", type=float, default=None, metavar="SECONDS",
              help="Keep running and look for due mail every SECONDS.")
def mail_send(watch: float | None) -> None:
    """Deliver queued mail that is due (failed attempts are retried later with back-off)."""
    from .mail.services import deliver_due

    while True:
        counts = deliver_due(db.session())
        if counts["sent"] or counts["retry"] or counts["failed"] or watch is None:
            click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")
        if watch is None:
            break
        time.sleep(watch)


# --- consultation rounds -----------------------------------------------------------------

rounds_cli = AppGroup("rounds", help="Consultation rounds (times in Europe/Berlin).")
CLI_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


class BerlinDateTime(click.ParamType):
    """A wall-clock time in Münster, as typed by the operator; converted to UTC."""

    name = "datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        from .rounds.services import berlin_to_utc

        for fmt in CLI_DATETIME_FORMATS:
            try:
                return berlin_to_utc(datetime.strptime(value.strip(), fmt))
            except ValueError:
                continue
        self.fail(f"{value!r} is not a date and time like '2026-12-01 09:00'", param, ctx)


def _berlin_text(value: datetime) -> str:
    from .rounds.services import utc_to_berlin

    return utc_to_berlin(value).strftime("%Y-%m-%d %H:%M")


@rounds_cli.command("create")
@click.option("--version", "version_number", required=True, help="Number of the strategy version, e.g. 1.0.")
@click.option("--title", required=True, help="Title in German.")
@click.option("--title-en", help="Title in English.")
@click.option("--description", help="Description in German.")
@click.option("--description-en", help="Description in English.")
@click.option("--opens", required=True, type=BerlinDateTime(), help="Opening time, e.g. '2026-12-01 09:00'.")
@click.option("--closes", required=True, type=BerlinDateTime(), help="Closing time, e.g. '2027-01-31 18:00'.")
@click.option("--importance", is_flag=True, help="Also ask how important each item is.")
@click.option("--results", type=click.Choice(["live", "after-close"]), default="after-close", show_default=True,
              help="Show results while the round is open, or only after it closed.")
@click.option("--codes-required", is_flag=True, help="Only participants with an invitation code may rate.")
@click.option("--pre-moderation", is_flag=True,
              help="Comments are shown only after a moderator approved them (default: at once).")
@click.option("--report-threshold", type=click.IntRange(1, 100), default=3, show_default=True, metavar="N",
              help="Reports from different people that hide a comment until a moderator looks at it.")
def rounds_create(version_number: str, title: str, title_en: str | None, description: str | None,
                  description_en: str | None, opens: datetime, closes: datetime, importance: bool, results: str,
                  codes_required: bool, pre_moderation: bool, report_threshold: int) -> None:
    """Create a round on all rateable items of a version; prints only the new round's id."""
    from .admin.forms import DESCRIPTION_MAX, TITLE_MAX
    from .rounds.services import RoundData, RoundError, create_round, rateable_items
    from .strategy.services import version_by_number

    title = title.strip()
    if not title or len(title) > TITLE_MAX or len(title_en or "") > TITLE_MAX:
        raise click.ClickException(f"a title must have 1 to {TITLE_MAX} characters")
    if len(description or "") > DESCRIPTION_MAX or len(description_en or "") > DESCRIPTION_MAX:
        raise click.ClickException(f"a description may have at most {DESCRIPTION_MAX} characters")
    session = db.session()
    version = version_by_number(session, version_number)
    if version is None:
        raise click.ClickException(f"there is no strategy version {version_number!r}")
    with force_locale("en"):  # the console speaks English
        try:
            round_ = create_round(session, RoundData(
                version=version,
                title_de=title,
                title_en=(title_en or "").strip() or None,
                description_de=description,
                description_en=description_en,
                opens_at=opens,
                closes_at=closes,
                item_ids=[item.id for item in rateable_items(session, version)],
                asks_importance=importance,
                results_visibility=results.replace("-", "_"),
                participation="codes" if codes_required else "accounts",
                moderation="pre" if pre_moderation else "post",
                report_threshold=report_threshold,
            ), via="cli")
        except RoundError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(round_.id)


@rounds_cli.command("list")
def rounds_list() -> None:
    """One line per round: id, state, title, opens, closes (tab-separated, Berlin time)."""
    from .rounds.services import rounds_for

    rounds = rounds_for(db.session(), include_drafts=True)
    if not rounds:
        click.echo("There are no rounds.", err=True)
    for round_ in rounds:
        click.echo("\t".join([
            str(round_.id), round_.state, round_.title_de, _berlin_text(round_.opens_at),
            _berlin_text(round_.closes_at),
        ]))


@rounds_cli.command("codes")
@click.argument("round_id", type=int)
@click.option("--count", required=True, type=click.IntRange(1, 10_000), help="How many new codes (1 to 10000).")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the CSV to this file instead of standard output.")
@click.option("--base-url", help="Address of the site for the links in the CSV, e.g. https://beteiligung.example.org "
                                 "(default: PARTICIPATION_BASE_URL).")
def rounds_codes(round_id: int, count: int, output: Path | None, base_url: str | None) -> None:
    """Generate invitation codes and write all codes of the round as CSV (for German Excel)."""
    from .admin.services import CODE_STATES, codes_csv
    from .rounds.services import RoundError, generate_codes, get_round

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise click.BadParameter("give the address with https:// (or http://)", param_hint="--base-url")
    session = db.session()
    round_ = get_round(session, round_id)
    if round_ is None:
        raise click.ClickException(f"there is no round {round_id}")
    if round_.state not in CODE_STATES:
        raise click.ClickException(f"round {round_id} is {round_.state}: codes can only be generated until it closes")
    with force_locale("en"):
        try:
            codes = generate_codes(session, round_, count, via="cli")
        except RoundError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from None
        text = codes_csv(session, round_, base_url=base_url.rstrip("/") if base_url else None)
    data = text.encode("utf-8")
    try:
        if output is None:
            click.echo(data, nl=False)  # bytes go to the binary stream unchanged
        else:
            output.write_bytes(data)
    except OSError as exc:
        session.rollback()  # no codes that nobody has seen
        raise click.ClickException(f"cannot write {output}: {exc}") from None
    session.commit()
    where = f" to {output}" if output else ""
    click.echo(f"Generated {len(codes)} codes for round {round_id}; wrote all of its codes{where}.", err=True)


@rounds_cli.command("advance")
@click.argument("round_id", type=int)
@click.option("--reason", help="Publish although comments have no outcome yet, for this written reason "
                               "(logged and shown on the transparency page).")
def rounds_advance(round_id: int, reason: str | None) -> None:
    """Move a round one state on (draft → open → closed → consolidation → published); prints the new state."""
    from .rounds.services import RoundError, advance, get_round

    session = db.session()
    round_ = get_round(session, round_id)
    if round_ is None:
        raise click.ClickException(f"there is no round {round_id}")
    with force_locale("en"):
        try:
            state = advance(session, round_, None, reason, via="cli")
        except RoundError as exc:
            session.rollback()
            raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(state)
