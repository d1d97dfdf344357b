"""``participation ratings …``: import offline ballots, check the tallies."""

from __future__ import annotations

import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from .. import db

ratings_cli = AppGroup("ratings", help="Ratings: offline ballots and the tallies behind the results.")


@ratings_cli.command("import")
@click.argument("round_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", required=True, type=click.Choice(["paper", "workshop", "phone"]),
              help="How the ballots were collected.")
@click.option("--language", default="en", show_default=True, type=click.Choice(["en", "de"]),
              help="Language of the messages.")
def import_command(round_id: int, file: Path, channel: str, language: str) -> None:
    """Import offline ballots: a CSV with the columns ballot;item;question;value[;district][;age].

    Each ballot id is one participant; importing it again replaces its ratings. A file with any
    bad line imports nothing.
    """
    from ..moderation.services import audit
    from ..rounds.services import RoundError, get_round
    from .ballots import BallotFileError, import_ballots

    session = db.session()
    round_ = get_round(session, round_id)
    if round_ is None:
        raise click.ClickException(f"there is no round {round_id}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL statement_timeout = 0"))  # a bulk load may take a while
    started = time.perf_counter()
    with force_locale(language):
        try:
            summary = import_ballots(session, round_, channel, file.read_bytes())
        except BallotFileError as error:
            session.rollback()
            for problem in error.problems:
                click.echo(problem, err=True)
            raise click.ClickException(f"{file.name}: nothing imported ({len(error.problems)} problems)") from None
        except RoundError as error:
            session.rollback()
            raise click.ClickException(error.message) from None
    audit(session, None, "ballots_imported", "round", round_.id, file=file.name, channel=channel,
          rows=summary.rows, ballots=summary.ballots, replaced=summary.replaced)
    session.commit()
    seconds = time.perf_counter() - started
    click.echo(f"Imported {summary.ballots} ballots ({summary.replaced} replaced) with {summary.rows} ratings "
               f"into round {round_id} in {seconds:.2f} s ({summary.rows / max(seconds, 1e-9):,.0f} rows/s).")


@ratings_cli.command("verify-tallies")
@click.option("--round", "round_id", type=int, help="Only this round.")
@click.option("--repair", is_flag=True, help="Set every differing tally to what the ratings say.")
def verify_tallies(round_id: int | None, repair: bool) -> None:
    """Recompute the tallies from the ratings and report (or repair) any difference.

    Exits with status 1 when it found differences and did not repair them.
    """
    from .tallies import verify

    session = db.session()
    differences = verify(session, round_id, repair=repair)
    for difference in differences:
        click.echo(str(difference))
    if repair:
        session.commit()
        click.echo(f"Repaired {len(differences)} differences." if differences else "The tallies are exact.")
        return
    session.rollback()
    if differences:
        click.echo(f"{len(differences)} differences (run with --repair to fix them).", err=True)
        raise SystemExit(1)
    click.echo("The tallies are exact.")
