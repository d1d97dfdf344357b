"""``participation export ROUND_ID --format … --output FILE [--open-data]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import services


@click.command("export")
@click.argument("round_id", type=int)
@click.option("--format", "fmt", required=True, metavar="|".join(services.FORMATS),
              help="csv-excel (CSV for German Excel), csv (open-data CSV), xlsx or json.")
@click.option("--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The file to write: a .zip (CSV, JSON) or an .xlsx.")
@click.option("--open-data", is_flag=True,
              help="Only what the public may see (the round must be published with public results).")
@with_appcontext
def export_command(round_id: int, fmt: str, output: Path, open_data: bool) -> None:
    """Export a round's results, ratings, comments, participation and districts."""
    from ..permissions import can_download_open_data
    from ..rounds.services import get_round

    if fmt not in services.FORMATS:
        raise click.ClickException(f"unknown format {fmt!r}; choose one of {', '.join(services.FORMATS)}")
    # A session of its own, not the console's: that one takes SQLite's write lock at once, and an
    # export would hold it for as long as it reads.
    with current_app.extensions["db_sessionmaker"]() as session:
        round_ = get_round(session, round_id) if 0 < round_id < 2**63 else None
        if round_ is None:
            raise click.ClickException(f"there is no round {round_id}")
        if open_data and not can_download_open_data(round_):
            raise click.ClickException(f"round {round_id} is {round_.state}: open data exists once its results are "
                                       "published")
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as out:
                services.export(session, None, round_, fmt, out, open_data, via="cli")
            partial.replace(output)
        except OSError as exc:
            session.rollback()
            partial.unlink(missing_ok=True)
            raise click.ClickException(f"cannot write {output}: {exc}") from None
        session.commit()
    click.echo(f"Wrote {output} ({fmt}{', open data' if open_data else ''}) for round {round_id}.", err=True)
