"""``participation demo``: an open example round to click through after ``make run``.

A newcomer who starts the app should see the whole flow at once: an open round over the
current strategy version, with ratings and a short discussion by example residents, and an
administrator account to look at the admin area, the moderation queue and the exports. Only in
development (``PARTICIPATION_ENV=development``), and only when the database has no round yet, so
running it again (``make run`` does) changes nothing.

Everything goes through the same services as the web pages, so tallies, counters and the audit
log are what a real round would have.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from . import db
from .db import utcnow

ADMIN_EMAIL = "admin@example.org"
RESIDENTS = 16
# (item index in the round, stance, text); a reply follows its comment.
COMMENTS = (
    (0, "support", "Genau das wünsche ich mir: Daten, die der Stadtgesellschaft dienen, nicht umgekehrt."),
    (0, "question", "Wie wird entschieden, welche Daten die Stadt veröffentlicht? Gibt es dafür ein Gremium?"),
    (1, "criticism", "Mir fehlt hier, wie ältere Menschen ohne Smartphone mitgenommen werden."),
    (1, "suggestion", "Vorschlag: digitale Sprechstunden in den Stadtteilbibliotheken, **einmal pro Woche**."),
    (2, "support", "Offene Schnittstellen sind der richtige Weg, damit nicht jede Lösung neu gekauft wird."),
)
REPLY = "Gute Frage – das würde mich auch interessieren. Vielleicht kann die Stadt dazu etwas sagen?"


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create an open example round with ratings and comments (development only, once)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo content is not for production (PARTICIPATION_ENV=production)")
    with force_locale("en"):  # the console speaks English
        _create()


def _create() -> None:
    from .accounts.services import create_user
    from .comments.services import post_comment, set_helpful
    from .ratings.services import rate
    from .rounds.models import Round
    from .rounds.services import RoundData, create_round, rateable_items
    from .strategy.services import current_version

    session = db.session()
    if session.scalar(sa.select(sa.func.count()).select_from(Round)):
        click.echo("A round exists already; no demo content added.")
        return
    version = current_version(session)
    if version is None:
        raise click.ClickException("no strategy version yet: run `participation strategy seed` first")
    items = rateable_items(session, version)
    now = utcnow()
    round_ = create_round(session, RoundData(
        version=version, title_de="Beispielrunde: Smart-City-Strategie überarbeiten",
        title_en="Example round: revising the Smart City Strategy",
        description_de="Eine Beispielrunde zum Ausprobieren. Bewerten und diskutieren Sie die Leitkoordinaten "
                       "und Zielbilder.",
        description_en="An example round to try things out. Rate and discuss the guiding coordinates and "
                       "target pictures.",
        opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=28), item_ids=[i.id for i in items],
        asks_importance=True, results_visibility="live",
    ), via="demo")
    password = secrets.token_urlsafe(12)
    create_user(session, ADMIN_EMAIL, "Stadt Münster (Demo)", "admin", password)
    chance = random.Random(2026)  # noqa: S311 - example data, not security
    residents = []
    for number in range(1, RESIDENTS + 1):
        resident = create_user(session, f"person{number}@example.org", f"Person {number}", "resident",
                               secrets.token_urlsafe(16))
        residents.append(resident)
        leaning = chance.choice((2, 3, 4))
        for item in items:
            if chance.random() < 0.8:
                value = min(5, max(0, leaning + chance.choice((-2, -1, 0, 0, 1, 1, 2))))
                rate(session, round_, item, resident, "agreement", value)
                rate(session, round_, item, resident, "importance", chance.randint(1, 5))
    written = []
    for index, (position, stance, text) in enumerate(COMMENTS):
        written.append(post_comment(session, round_, items[position], residents[index], text, stance))
    post_comment(session, round_, items[0], residents[len(COMMENTS)], REPLY, "question", parent_id=written[1].id)
    for resident in residents[len(COMMENTS) + 1:len(COMMENTS) + 8]:
        set_helpful(session, written[3], resident, round_, True)
    session.commit()
    click.echo(f"Demo round {round_.id} created with {RESIDENTS} example residents.")
    click.echo(f"Administrator: {ADMIN_EMAIL} / password: {password}  (shown only now; development only)")
