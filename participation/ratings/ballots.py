"""Offline ballots (paper, workshop, phone) imported from CSV, all or nothing, in bulk.

The file has a header row and the columns ``ballot;item;question;value[;district][;age]``
(``;`` or ``,``, UTF-8 with or without BOM). Each ballot id is one offline participant of the
round; importing a ballot again replaces its ratings, so importing the same file twice changes
nothing. The whole file is checked first: a file with any bad line imports nothing, and every
bad line is named (up to ``MAX_PROBLEMS``).

The rows travel set-wise: the ballots through a temporary table and one INSERT … ON CONFLICT,
new ratings straight into ``rating`` (PostgreSQL: COPY; SQLite: executemany); a re-import writes
only what differs, and the round's offline tallies change by the same differences.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..accounts.models import AGE_BRACKETS, DISTRICTS
from ..db import UTCDateTime, upsert_insert, utcnow
from ..rounds.models import Round
from ..rounds.services import RoundError, scope_items
from . import tallies
from .models import CHANNELS, VALUES, Ballot, Rating

MAX_PROBLEMS = 50
MAX_CODE_LENGTH = 64
REQUIRED = ("ballot", "item", "question", "value")
OPTIONAL = ("district", "age")
IMPORT_STATES = ("open", "closed", "consolidation")
SQLITE_BATCH = 10_000


class BallotFileError(RoundError):
    """The file cannot be imported; ``problems`` names each bad line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid_ballot_file", "\n".join(problems))


@dataclass
class BallotFile:
    """A checked file: rows (code, item id, question, value) and each ballot's person data."""

    rows: list[tuple[str, int, str, int]] = field(default_factory=list)
    people: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass
class ImportSummary:
    ballots: int
    rows: int
    replaced: int  # ballots that were imported before


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise BallotFileError([_("The file is not UTF-8 text (line %(line)d).", line=line)]) from None


def parse(round_: Round, data: bytes, items: dict[str, int]) -> BallotFile:
    """Check the whole file; raise BallotFileError naming every bad line (at most MAX_PROBLEMS)."""
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    if (header[:4] != list(REQUIRED) or len(header) != len(set(header))
            or any(name not in OPTIONAL for name in header[4:])):
        raise BallotFileError([_(
            "The header row must be ballot, item, question, value, optionally followed by district "
            "and age; found: %(found)s.", found=delimiter.join(header) or "–")])
    columns = len(header)
    district_at = header.index("district") if "district" in header else None
    age_at = header.index("age") if "age" in header else None
    questions = round_.questions
    problems: list[str] = []
    checked = BallotFile()
    seen: dict[tuple[str, int, str], int] = {}
    person_line: dict[str, int] = {}

    answers = {str(value): value for value in VALUES}
    rows, people = checked.rows, checked.people
    for row in reader:
        # The common case first, in as few steps as possible: 100,000 rows take well under a second.
        if len(row) == columns:
            code, key, question, raw_value = row[0].strip(), row[1].strip(), row[2].strip(), row[3].strip()
            item_id, value = items.get(key), answers.get(raw_value)
            district = (row[district_at].strip() or None) if district_at is not None else None
            age = (row[age_at].strip() or None) if age_at is not None else None
            if (item_id is not None and value is not None and question in questions and code
                    and len(code) <= MAX_CODE_LENGTH and (district is None or district in DISTRICTS)
                    and (age is None or age in AGE_BRACKETS)):
                line = reader.line_num
                earlier = seen.setdefault((code, item_id, question), line)
                if earlier != line:
                    problems.append(_(
                        "Line %(line)d: ballot %(ballot)s answers this question about this item already in "
                        "line %(first)d.", line=line, ballot=code, first=earlier))
                    continue
                person = people.get(code)
                if person is None:
                    people[code] = (district, age)
                    person_line[code] = line
                elif person != (district, age):
                    problems.append(_(
                        "Line %(line)d: ballot %(ballot)s gives another district or age than in line %(first)d.",
                        line=line, ballot=code, first=person_line[code]))
                    continue
                rows.append((code, item_id, question, value))
                continue
        if len(problems) > MAX_PROBLEMS:
            break
        if any(cell.strip() for cell in row):  # blank lines (e.g. at the end) carry nothing
            problems.extend(_row_problems(row, reader.line_num, columns, items, questions, district_at, age_at))
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [_("Only the first %(max)d problems are listed.", max=MAX_PROBLEMS)]
    if not problems and not checked.rows:
        problems.append(_("The file holds no ballots."))
    if problems:
        raise BallotFileError(problems)
    return checked


def _row_problems(row: list[str], line: int, columns: int, items: dict[str, int], questions: tuple[str, ...],
                  district_at: int | None, age_at: int | None) -> list[str]:
    """What is wrong with one line (the slow path: only bad lines come here)."""
    if len(row) != columns:
        return [_("Line %(line)d: expected %(expected)d columns, found %(found)d.",
                  line=line, expected=columns, found=len(row))]
    code, key, question, raw_value = (cell.strip() for cell in row[:4])
    problems = []
    if not code:
        problems.append(_("Line %(line)d: the ballot id is missing.", line=line))
    elif len(code) > MAX_CODE_LENGTH:
        problems.append(_("Line %(line)d: the ballot id is longer than %(max)d characters.",
                          line=line, max=MAX_CODE_LENGTH))
    if key not in items:
        problems.append(_("Line %(line)d: “%(item)s” is not an item of this round.", line=line, item=key))
    if question not in questions:
        problems.append(_("Line %(line)d: “%(question)s” is not a question of this round (%(allowed)s).",
                          line=line, question=question, allowed=", ".join(questions)))
    if raw_value not in {str(value) for value in VALUES}:
        problems.append(_("Line %(line)d: “%(value)s” is no answer: use 1 to 5, or 0 for “no answer”.",
                          line=line, value=raw_value))
    district = row[district_at].strip() if district_at is not None else ""
    if district and district not in DISTRICTS:
        problems.append(_("Line %(line)d: unknown district “%(value)s” (%(allowed)s).",
                          line=line, value=district, allowed=", ".join(DISTRICTS)))
    age = row[age_at].strip() if age_at is not None else ""
    if age and age not in AGE_BRACKETS:
        problems.append(_("Line %(line)d: unknown age bracket “%(value)s” (%(allowed)s).",
                          line=line, value=age, allowed=", ".join(AGE_BRACKETS)))
    return problems


# --- writing -------------------------------------------------------------------------------------
# Where the time goes (PostgreSQL, 200,000 rows): almost all of it in storing the rating rows —
# per row three foreign-key checks and the upkeep of the table's indexes. So new ratings go into
# ``rating`` once, straight from the file (COPY on PostgreSQL, executemany on SQLite), without a
# staging table; a re-import reads the touched ballots' ratings once, compares them with the file
# in Python and writes only what differs (unchanged ratings keep their timestamps, and an UPDATE
# of the value alone fires no foreign-key check). The tallies change by the same differences.

_temp = sa.MetaData()
_people = sa.Table(
    "ballot_import_person", _temp,
    sa.Column("code", sa.String(MAX_CODE_LENGTH), primary_key=True), sa.Column("district", sa.String(32)),
    sa.Column("age_bracket", sa.String(32)),
    prefixes=["TEMPORARY"],
)
_changes = sa.Table(
    "ballot_import_change", _temp,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("value", sa.SmallInteger),
    prefixes=["TEMPORARY"],
)
COPY_CHUNK = 20_000  # rows per write to COPY: large enough to be cheap, small enough to stream
DELETE_CHUNK = 10_000  # ids per DELETE … IN (…)


def _copy_text(connection: sa.Connection, table: str, columns: str, lines: Iterable[str]) -> None:
    """COPY preformatted text lines (only numbers and fixed words: nothing to escape)."""
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= COPY_CHUNK:
                copy.write("".join(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))


def _store_people(db: Session, round_: Round, channel: str, checked: BallotFile, now) -> tuple[dict[str, int], int]:
    """Insert or update the file's ballots; answers each code's ballot id and how many existed.

    Leaves the file's ballot ids in the temporary table ``ballot_import_person``.
    """
    connection = db.connection()
    _people.create(connection)
    people = [(code, district, age) for code, (district, age) in checked.people.items()]
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                "COPY ballot_import_person (code, district, age_bracket) FROM STDIN") as copy:
            for row in people:
                copy.write_row(row)
    else:
        connection.exec_driver_sql("INSERT INTO ballot_import_person VALUES (?, ?, ?)", people)
    existed = db.scalar(sa.select(sa.func.count()).select_from(Ballot).where(
        Ballot.round_id == round_.id, Ballot.code.in_(sa.select(_people.c.code)))) or 0
    stamp = sa.literal(now, UTCDateTime())
    statement = upsert_insert(db)(Ballot).from_select(
        ["round_id", "code", "channel", "district", "age_bracket", "created_at", "updated_at"],
        sa.select(sa.literal(round_.id), _people.c.code, sa.literal(channel), _people.c.district,
                  _people.c.age_bracket, stamp, stamp).where(sa.true()),
    )
    db.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "code"],
        set_={"channel": statement.excluded.channel, "district": statement.excluded.district,
              "age_bracket": statement.excluded.age_bracket, "updated_at": statement.excluded.updated_at},
    ))
    ids = dict(db.execute(sa.select(Ballot.code, Ballot.id).join(_people, _people.c.code == Ballot.code)
                          .where(Ballot.round_id == round_.id)).all())
    return ids, existed


def _insert_ratings(db: Session, round_: Round, rows: Iterable[tuple[int, int, str, int]], now: datetime) -> None:
    """Store new ratings, given as (item id, ballot id, question, value)."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        suffix = f"\t{round_.id}\t{now.isoformat()}\t{now.isoformat()}\n"
        _copy_text(connection, "rating", "item_id, ballot_id, question, value, round_id, created_at, updated_at",
                   (f"{item}\t{ballot}\t{question}\t{value}{suffix}" for item, ballot, question, value in rows))
        return
    # As the ORM would store it, formatted once (not by the driver for every row).
    stamp = UTCDateTime().dialect_impl(connection.dialect).bind_processor(connection.dialect)(now)
    rows = iter(rows)
    while batch := [(*row, round_.id, stamp, stamp) for row in itertools.islice(rows, SQLITE_BATCH)]:
        connection.exec_driver_sql(
            "INSERT INTO rating (item_id, ballot_id, question, value, round_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", batch)


def _replace_ratings(db: Session, round_: Round, rows: list[tuple[str, int, str, int]], ids: dict[str, int],
                     touched: sa.Select, now: datetime, cells: Counter) -> int:
    """Make the touched ballots' ratings what the file says, writing only what differs.

    Counts the changes into ``cells`` (item, question, value → Δn); answers how many of the
    ballots held ratings before.
    """
    wanted = {(ids[code], item, question): value for code, item, question, value in rows}
    deletes: list[int] = []
    updates: list[tuple[int, int]] = []
    had_ratings: set[int] = set()
    for rating_id, ballot_id, item, question, value in db.execute(
        sa.select(Rating.id, Rating.ballot_id, Rating.item_id, Rating.question, Rating.value)
        .where(Rating.round_id == round_.id, Rating.ballot_id.in_(touched))
    ):
        had_ratings.add(ballot_id)
        new = wanted.pop((ballot_id, item, question), None)
        if new is None:
            deletes.append(rating_id)
        elif new != value:
            updates.append((rating_id, new))
            cells[(item, question, new)] += 1
        else:
            continue
        cells[(item, question, value)] -= 1
    for (_ballot, item, question), value in wanted.items():
        cells[(item, question, value)] += 1
    for start in range(0, len(deletes), DELETE_CHUNK):
        db.execute(sa.delete(Rating).where(Rating.id.in_(deletes[start:start + DELETE_CHUNK])))
    if updates:
        connection = db.connection()
        _changes.create(connection)
        if connection.dialect.name == "postgresql":
            _copy_text(connection, _changes.name, "id, value", (f"{i}\t{v}\n" for i, v in updates))
        else:
            connection.exec_driver_sql("INSERT INTO ballot_import_change (id, value) VALUES (?, ?)", updates)
        db.execute(sa.update(Rating).where(Rating.id == _changes.c.id)
                   .values(value=_changes.c.value, updated_at=sa.literal(now, UTCDateTime())))
        _changes.drop(connection)
    _insert_ratings(db, round_, ((item, ballot, question, value)
                                 for (ballot, item, question), value in wanted.items()), now)
    return len(had_ratings)


def import_ballots(db: Session, round_: Round, channel: str, data: bytes) -> ImportSummary:
    """Check the file, then replace the ratings of every ballot in it. Flushes, never commits."""
    if channel not in CHANNELS:
        raise RoundError("unknown_channel", _("Choose one of: %(allowed)s.", allowed=", ".join(CHANNELS)))
    if round_.state not in IMPORT_STATES:
        raise RoundError("round_not_importable", _(
            "Ballots can be imported once the round has opened and until its results are published."))
    # One import per round at a time (their writes and tally changes would interleave). FOR NO KEY
    # UPDATE, not FOR UPDATE: online ratings (whose foreign key takes FOR KEY SHARE on the round)
    # go on during an import.
    db.execute(sa.select(Round.id).where(Round.id == round_.id).with_for_update(key_share=True))
    checked = parse(round_, data, {item.key: item.id for item in scope_items(db, round_)})
    db.flush()
    now = utcnow()
    ids, replaced = _store_people(db, round_, channel, checked, now)
    touched = (sa.select(Ballot.id).join(_people, _people.c.code == Ballot.code)
               .where(Ballot.round_id == round_.id))
    # The tallies change by what the touched ballots held before and what they hold now.
    cells: Counter = Counter()
    participants = len(checked.people)
    if replaced:
        participants -= _replace_ratings(db, round_, checked.rows, ids, touched, now, cells)
    else:
        cells.update((item, question, value) for _code, item, question, value in checked.rows)
        _insert_ratings(db, round_, ((item, ids[code], question, value)
                                     for code, item, question, value in checked.rows), now)
    _people.drop(db.connection())
    tallies.offline_changed(db, round_.id, dict(cells), participants)
    db.expire_all()
    return ImportSummary(ballots=len(checked.people), rows=len(checked.rows), replaced=replaced)
