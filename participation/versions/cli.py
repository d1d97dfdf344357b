"""``participation strategy compose`` and ``publish``: the next version from the console."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

from .. import db


def add_commands(group: AppGroup) -> None:
    group.add_command(compose_command)
    group.add_command(publish_command)


@click.command("compose")
@with_appcontext
@click.option("--from", "base_number", required=True, help="The published version to start from, e.g. 1.0.")
@click.option("--round", "round_id", type=int, help="Apply the accepted proposals of this round (its id).")
@click.option("--number", required=True, help="Number of the new draft version, e.g. 2.0.")
def compose_command(base_number: str, round_id: int | None, number: str) -> None:
    """Compose a draft version from a published one and a round's accepted proposals.

    Prints how many items changed, were added, removed or stayed unchanged; with conflicts
    nothing is created, each conflict is listed and the exit status is 1.
    """
    from ..rounds.models import Round
    from ..strategy.services import version_by_number
    from .services import VersionError, accepted_changes, compose

    session = db.session()
    base = version_by_number(session, base_number)
    if base is None:
        raise click.ClickException(f"there is no version {base_number!r}")
    changes = []
    if round_id is not None:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise click.ClickException(f"there is no round {round_id}")
        if round_.version_id != base.id:
            raise click.ClickException(f"round {round_id} was about version {round_.version.number}, not {base_number}")
        changes = accepted_changes(session, round_)
    with force_locale("en"):  # the console speaks English
        try:
            result = compose(session, None, base, number, changes)
        except VersionError as exc:
            session.rollback()
            click.echo(f"Error: {exc.message}", err=True)
            for detail in exc.details:
                click.echo(f"  {detail}", err=True)
            sys.exit(1)
    session.commit()
    counts = result.counts
    click.echo(f"Composed draft {number} from {base_number}: {counts['changed']} changed, {counts['added']} added, "
               f"{counts['removed']} removed, {counts['unchanged']} unchanged.")


@click.command("publish")
@with_appcontext
@click.argument("number")
@click.option("--adopted-on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Date of the council decision (YYYY-MM-DD).")
@click.option("--reference", help="Reference of the council decision, e.g. the council paper's number.")
@click.option("--base-url", help="Public address for the links in the update e-mails, e.g. "
                                 "https://beteiligung.example.org (needed unless BASE_URL or SERVER_NAME is set).")
def publish_command(number: str, adopted_on, reference: str | None, base_url: str | None) -> None:
    """Publish the draft NUMBER: it becomes the current strategy; opted-in participants get one e-mail."""
    from ..strategy.services import version_by_number
    from .services import VersionError, publish

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise click.BadParameter("give the address with https:// (or http://)", param_hint="--base-url")
    config = current_app.config
    base_url = base_url or config.get("BASE_URL")
    if not base_url and not config.get("SERVER_NAME"):
        raise click.UsageError("the e-mails link to the site: pass --base-url https://… (or set SERVER_NAME)")
    session = db.session()
    version = version_by_number(session, number)
    if version is None:
        click.echo(f"Error: there is no version {number!r}", err=True)
        sys.exit(1)
    day: date | None = adopted_on.date() if adopted_on else None
    with current_app.test_request_context("/", base_url=base_url), force_locale("en"):
        try:
            mails = publish(session, None, version, day, reference)
        except VersionError as exc:
            session.rollback()
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(1)
        session.commit()
    click.echo(f"Published version {number}; {mails} update e-mails queued.")
