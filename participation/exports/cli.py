"""``participation export ROUND_ID --format … --output FILE [--open-data]``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext

from . import services

MAX_ID = 2**31  # ids are 32-bit integers in the database


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
    if not output.name:
        raise click.ClickException("--output needs a file name")
    # A session of its own, not the console's: that one takes SQLite's write lock at once, and an
    # export would hold it for as long as it reads.
    with current_app.extensions["db_sessionmaker"]() as session:
        round_ = get_round(session, round_id) if 0 < round_id < MAX_ID else None
        if round_ is None:
            raise click.ClickException(f"there is no round {round_id}")
        if open_data and not can_download_open_data(round_):
            raise click.ClickException(f"round {round_id} is {round_.state}: open data exists once its results are "
                                       "published")
        try:
            with _target(output) as out:
                services.export(session, None, round_, fmt, out, open_data, via="cli")
        except OSError as exc:
            session.rollback()
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
        session.commit()
    click.echo(f"Wrote {output} ({fmt}{', open data' if open_data else ''}) for round {round_id}.", err=True)


@contextlib.contextmanager
def _target(output: Path) -> Iterator[IO[bytes]]:
    """The file to write into. A regular file (or a new one; through a symbolic link, its target)
    is written beside it under a temporary name and renamed over it at the end, so an export that
    fails leaves the old file whole and no half-written one. Anything else that exists (a pipe,
    ``/dev/stdout``) is written into as it is: renaming over it would replace it with a file."""
    real = output.resolve()
    if real.exists() and not real.is_file():
        with real.open("wb") as out:
            yield out
        return
    descriptor, name = tempfile.mkstemp(dir=real.parent, prefix=".export-", suffix=".part")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(descriptor, 0o666 & ~umask)  # as a file created with open() would be
        with os.fdopen(descriptor, "wb") as out:
            yield out
        os.replace(name, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
