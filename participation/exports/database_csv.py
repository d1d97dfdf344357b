"""CSV lines made by the database, for the big tables (``Table.raw``: ``ratings``).

Python spends about 18 µs per ratings row on fetching, converting and writing seven values; a
round of 1,000,000 ratings took 23 seconds. Here the database writes each row as one finished
CSV line, from the same column definitions and with the same rules as ``writers.write_csv``:

* integers as text; booleans as the variant's pair of words; times as ISO 8601 in UTC
  (open data, ``tables.utc``) or as local time in Europe/Berlin (Excel: PostgreSQL converts with
  its time zone data, SQLite with the zone's transitions from Python's ``zoneinfo``);
* text that could start like a formula gets a leading ``'``; text that holds the separator, a
  quote or a line break is quoted as the ``csv`` module quotes it (``QUOTE_MINIMAL``);
* a column computed in Python (``Column.convert``: the pseudonyms) is computed once per distinct
  value into a temporary table, which the query joins.

Python only joins the lines of a batch. A table with a column this module cannot write (a number,
a column of several SQL values) goes through ``writers.write_csv``'s Python path; a test checks
that both paths write the same bytes.
"""

from __future__ import annotations

import functools
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter

import sqlalchemy as sa

from .tables import BERLIN, Column, ExportContext, Table, cursor_blocks, utc

TYPES = ("integer", "string", "boolean", "datetime")
QUOTE_WHEN = ('"', "\r", "\n")  # and the separator


def supports(table: Table, ctx: ExportContext) -> bool:
    if not table.raw or table.query is None:
        return False
    for column in table.columns_for(ctx):
        if column.type not in TYPES or column.sql is None:
            return False
        if isinstance(column.sql(ctx), tuple):
            return False
    return True


@dataclass(frozen=True)
class Style:
    """How a CSV variant writes values (see ``writers.write_csv``)."""

    separator: str
    booleans: tuple[str, str]  # (false, true)
    local_times: bool  # times in Europe/Berlin as ``YYYY-MM-DD HH:MM:SS``, else ISO 8601 in UTC
    guard: Callable[[Column], bool]  # could a value of this text column start like a formula?
    formula_starts: tuple[str, ...]


def lines(table: Table, ctx: ExportContext, style: Style) -> Iterator[str]:
    """The table's rows as CSV text, a batch of lines (each ending in CRLF) at a time."""
    connection = ctx.db.connection()
    postgresql = connection.dialect.name == "postgresql"
    columns = table.columns_for(ctx)
    expressions = [column.sql(ctx) for column in columns]
    maps: list[sa.Table] = []
    joins: list[tuple[sa.Table, sa.ColumnElement]] = []
    try:
        for i, column in enumerate(columns):
            if column.convert is not None:
                key = expressions[i]
                mapping, none_value = _mapping(ctx, table, column, key, f"export_map_{table.name}_{i}", postgresql)
                maps.append(mapping)
                joins.append((mapping, mapping.c.k == key))
                value = mapping.c.v
                if none_value is not None:
                    value = sa.case((key.is_(None), sa.literal(none_value, sa.Text)), else_=value)
                expressions[i] = value
        pieces: list[sa.ColumnElement] = []
        for column, expression in zip(columns, expressions, strict=True):
            if pieces:
                pieces.append(sa.literal(style.separator, sa.Text))
            text = _text(ctx, column, expression, postgresql, style)
            pieces.append(sa.func.coalesce(text, sa.literal("", sa.Text)))
        pieces.append(sa.literal("\r\n", sa.Text))
        line = functools.reduce(operator.add, pieces)
        statement = table.query(ctx, [line.label("line")])
        for mapping, onclause in joins:
            statement = statement.outerjoin(mapping, onclause)
        first = itemgetter(0)
        for block in cursor_blocks(ctx, statement, f"{table.name}_csv"):
            yield "".join(map(first, block))
    finally:
        for mapping in maps:
            try:
                mapping.drop(connection)
            except sa.exc.DBAPIError:  # after a failed statement: the rollback removes them
                break


def _mapping(ctx: ExportContext, table: Table, column: Column, key: sa.ColumnElement, name: str,
             postgresql: bool) -> tuple[sa.Table, str | None]:
    """A temporary table ``(k, v)``: each distinct value of ``key`` in the table's rows and the
    column's value made of it in Python. Answers the table and the value for a NULL key (or None).
    The transaction keeps it (PostgreSQL drops it at its end, should ``lines`` not get to)."""
    connection = ctx.db.connection()
    convert = column.convert(ctx)
    keys = connection.execute(table.query(ctx, [key.label("k")]).order_by(None).distinct()).scalars().all()
    options = {"postgresql_on_commit": "DROP"} if postgresql else {"sqlite_with_rowid": False}
    mapping = sa.Table(name, sa.MetaData(), sa.Column("k", key.type, primary_key=True), sa.Column("v", sa.Text),
                       prefixes=["TEMPORARY"], **options)
    # Left by an export whose file was not finished? (Only ever the temporary schema's table.)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {'pg_temp' if postgresql else 'temp'}.{name}")
    mapping.create(connection)
    none_value = None
    rows = []
    for value in keys:
        if value is None:
            none_value = convert(None)
        else:
            rows.append({"k": value, "v": convert(value)})
    for start in range(0, len(rows), 10_000):
        connection.execute(mapping.insert(), rows[start:start + 10_000])
    if postgresql:
        connection.exec_driver_sql(f"ANALYZE {name}")
    return mapping, none_value


def _contains(postgresql: bool, text: sa.ColumnElement, character: str) -> sa.ColumnElement:
    found = sa.func.strpos(text, character) if postgresql else sa.func.instr(text, character)
    return found > 0


def _text(ctx: ExportContext, column: Column, value: sa.ColumnElement, postgresql: bool,
          style: Style) -> sa.ColumnElement:
    """The column's value as its CSV field (NULL stays NULL)."""
    if column.type == "integer":
        return sa.cast(value, sa.Text)
    if column.type == "boolean":
        false, true = (sa.literal(word, sa.Text) for word in style.booleans)
        return sa.case((value, true), (sa.not_(value), false))
    if column.type == "datetime":
        return _local_time(value, postgresql) if style.local_times else utc(ctx, value)
    text = sa.type_coerce(value, sa.Text)
    if style.guard(column):
        text = sa.case((sa.func.substr(text, 1, 1).in_(style.formula_starts), sa.literal("'", sa.Text) + text),
                       else_=text)
    specials = (style.separator, *QUOTE_WHEN)
    if column.values is None or any(s in str(v) for v in column.values for s in specials):
        quoted = sa.literal('"', sa.Text) + sa.func.replace(text, '"', '""') + sa.literal('"', sa.Text)
        text = sa.case((sa.or_(*(_contains(postgresql, text, s) for s in specials)), quoted), else_=text)
    return text


# --- local time ----------------------------------------------------------------------------------

def _local_time(value: sa.ColumnElement, postgresql: bool) -> sa.ColumnElement:
    """A timestamp column as ``YYYY-MM-DD HH:MM:SS`` in Europe/Berlin."""
    if postgresql:
        return sa.func.to_char(sa.func.timezone(BERLIN.key, value), "YYYY-MM-DD HH24:MI:SS", type_=sa.Text)
    starts, offsets = transitions()
    text = sa.type_coerce(value, sa.Text)
    # To the second first: ``datetime`` would round a fraction of .9995 s or more up a second.
    seconds = sa.func.substr(text, 1, 19)
    return sa.func.datetime(seconds, _offset_tree(text, starts, offsets, 0, len(offsets) - 1), type_=sa.Text)


def _offset_tree(value: sa.ColumnElement, starts: list[str], offsets: list[int], low: int, high: int):
    """SQLite: the offset at a time, as a binary search over the transitions in nested CASE
    (about eight comparisons a row). SQLite keeps naive UTC as text ``YYYY-MM-DD HH:MM:SS.ffffff``,
    which compares as the time it names."""
    if low == high:
        return sa.literal(f"{offsets[low]:+d} seconds", sa.Text)
    middle = (low + high + 1) // 2
    return sa.case((value < starts[middle], _offset_tree(value, starts, offsets, low, middle - 1)),
                   else_=_offset_tree(value, starts, offsets, middle, high))


@lru_cache(maxsize=1)
def transitions(first_year: int = 1970, last_year: int = 2100) -> tuple[list[str], list[int]]:
    """Europe/Berlin's UTC offsets between these years: ``starts[i]`` (UTC, ``YYYY-MM-DD HH:MM:SS``;
    the first is empty, before everything) is when ``offsets[i]`` (seconds) begins.
    Found day by day, then to the minute."""
    def offset(moment: datetime) -> int:
        return int(moment.astimezone(BERLIN).utcoffset().total_seconds())

    day = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    starts, offsets = [""], [offset(day)]
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != offsets[-1]:
            minutes = [day + timedelta(minutes=m) for m in range(1441)]
            changed = bisect_right([offset(m) != offsets[-1] for m in minutes], False)
            moment = minutes[changed]
            starts.append(moment.strftime("%Y-%m-%d %H:%M:%S"))
            offsets.append(offset(moment))
        day = following
    return starts, offsets
