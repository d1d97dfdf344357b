"""Exports: the invariants of the files in every format, privacy, formula-like text, the CLI,
the admin downloads, the open-data page and the printable report."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from participation.comments.models import Comment
from participation.exports import services
from participation.exports.tables import TABLES, ExportContext, suppress, wilson
from participation.exports.writers import defuse
from participation.moderation.models import AuditEntry
from participation.pseudonyms import pseudonymizer
from participation.ratings.models import Ballot, Rating
from participation.rounds.models import InvitationCode
from participation.rounds.services import scope_items

FORMULAS = ["=1+2", "+SUM(A1)", "-3+3", "@cmd", "\tTab", "\rCR", "\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20x"]
T0 = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def _comment(db, round_, item, author, body, state="visible", parent=None, reason=None, created=T0):
    comment = Comment(round_id=round_.id, item_id=item.id, author_id=author.id, parent_id=parent.id if parent else None,
                      stance="suggestion", body=body, body_html=f"<p>{body}</p>", state=state,
                      moderation_reason=reason, created_at=created)
    db.add(comment)
    db.flush()
    return comment


@pytest.fixture
def filled(db, make_round, make_user):
    """A published round with online and offline ratings, a verified participant and comments in
    every state (some formula-like), plus a second round rated by the same people."""
    round_ = make_round(state="published", importance=True, results="after_close")
    other = make_round(state="published", title="Zweite Runde")
    items = scope_items(db, round_)
    people = [make_user(email=f"person{i}@example.org", name=f"Name{i}Person") for i in range(7)]
    for i, person in enumerate(people):
        for j, item in enumerate(items[:4]):
            when = T0 + timedelta(days=i % 3, hours=j)
            db.add(Rating(round_id=round_.id, item_id=item.id, user_id=person.id, question="agreement",
                          value=(i + j) % 6, created_at=when, updated_at=when))
            db.add(Rating(round_id=round_.id, item_id=item.id, user_id=person.id, question="importance",
                          value=(i * j) % 6, created_at=when, updated_at=when))
        db.add(Rating(round_id=other.id, item_id=items[0].id, user_id=person.id, question="agreement", value=3))
    people[0].district = "mitte"
    for person in people[1:7]:
        person.district = "nord"
    db.add(InvitationCode(round_id=round_.id, code="ABCD-EFGH", redeemed_by_id=people[1].id, redeemed_at=T0))
    for k, channel in enumerate(("paper", "paper", "workshop")):
        ballot = Ballot(round_id=round_.id, code=f"P-{k}", channel=channel, district="nord")
        db.add(ballot)
        db.flush()
        db.add(Rating(round_id=round_.id, item_id=items[0].id, ballot_id=ballot.id, question="agreement", value=5,
                      created_at=T0, updated_at=T0))
    top = _comment(db, round_, items[0], people[0], "Mehr Radwege, bitte.")
    _comment(db, round_, items[0], people[1], "Antwort", parent=top)
    for n, text in enumerate(FORMULAS):
        _comment(db, round_, items[1], people[n % 7], text)
    _comment(db, round_, items[0], people[2], "Versteckt und beleidigend", state="hidden", reason="insult")
    _comment(db, round_, items[0], people[3], "Wartet noch", state="pending")
    _comment(db, round_, items[0], people[4], "Zurückgezogen", state="deleted")
    db.commit()
    return round_, other, people


def _export(app, db, round_, fmt, open_data):
    out = io.BytesIO()
    with app.test_request_context():
        services.write(db, round_, fmt, out, open_data)
    return out.getvalue()


def _csv_tables(data: bytes, excel: bool) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    tables = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            raw = archive.read(name)
            if excel:
                assert raw.startswith(b"\xef\xbb\xbf")
                text = raw[3:].decode("utf-8")
            else:
                text = raw.decode("utf-8")
            assert "\r\n" in text and "\n" not in text.replace("\r\n", "").replace("\n", "\n")
            tables[name[:-4]] = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
    return tables


def test_smoke_every_format(app, db, filled):
    round_, _other, _people = filled
    for fmt in services.FORMATS:
        for open_data in (False, True):
            assert _export(app, db, round_, fmt, open_data)
