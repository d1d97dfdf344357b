"""The export tables, each defined once: its columns (type, unit, allowed values, German and English
title and description) and where its rows come from. Every format is written from these.

A table is either a SQL table — its columns carry their SQL expression, and ``query`` wraps them
in FROM, WHERE and ORDER BY — or a computed one (``generate`` yields small aggregate rows). Rows
are streamed in batches (a server-side cursor on PostgreSQL), never a whole table; times are read
as ISO 8601 text made by the database (``utc``). The big ``ratings`` table is read straight from
the DB-API cursor (``raw``), and for CSV the database writes its lines itself (``database_csv``,
from these same definitions).

Adding a table or a column is one definition:

* a comment column (step 5) is one more ``Column`` in ``COMMENTS.columns``; a correlated scalar
  subquery needs no join in ``_comments_query``::

      Column("outcome", "string", "Berücksichtigung", "Outcome",
             "Wie die Stadt den Kommentar berücksichtigt hat.", "How the city considered the comment.",
             values=OUTCOMES,
             sql=lambda ctx: sa.select(CommentOutcome.outcome)
                 .where(CommentOutcome.comment_id == Comment.id).scalar_subquery()),
      Column("outcome_explanation", "string", "Begründung", "Outcome explanation", ..., sql=...),
      Column("proposal_ids", "string", "Vorschläge", "Proposal ids",
             "Kommagetrennte Ids der Vorschläge, die den Kommentar zitieren.",
             "Comma-separated ids of the proposals that cite the comment.",
             sql=lambda ctx: sa.select(sa.func.aggregate_strings(
                 sa.cast(ProposalComment.proposal_id, sa.String), ","))
                 .where(ProposalComment.comment_id == Comment.id).scalar_subquery()),

* a table (``proposals``, ``evidence``, ``changes``) is one ``Table(...)`` appended to ``TABLES``
  with its columns and a ``query(ctx, columns)`` that selects ``columns`` from its model for
  ``ctx.round`` (``ctx.open_data`` says whether the public gets the file: filter accordingly);
  ``applies=lambda ctx: ...`` leaves it out where it has nothing to say (``changes`` when no next
  version exists). Nothing else changes: the CSV, XLSX and JSON writers, ``datapackage.json``,
  the README, the *Datenwörterbuch* sheet and the ``/runden/<id>/daten`` page all read ``TABLES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..accounts.models import DISTRICTS, User
from ..comments.models import HIDE_REASONS, STANCES, Comment
from ..comments.models import STATES as COMMENT_STATES
from ..pseudonyms import ballot_pseudonym, pseudonymizer
from ..ratings.models import CHANNELS, VALUES, Ballot, Rating, RoundParticipant
from ..results.services import round_results
from ..rounds.models import QUESTIONS, InvitationCode, Round
from ..rounds.services import scope_items
from ..strategy.models import ITEM_KINDS, StrategyItem

BERLIN = ZoneInfo("Europe/Berlin")
BATCH = 10_000  # rows fetched per round trip
TYPES = ("integer", "number", "string", "datetime", "date", "boolean")
PARTICIPANT_CHANNELS = ("online", *CHANNELS)
GROUPS = ("all", "verified")
MODES = ("online", "offline")
SUPPRESS_BELOW = 5  # district cells with fewer participants are left empty
Z_95 = 1.959963984540054
# Comments in the files: the public sees only visible ones; the administration also those
# waiting for a moderator and those hidden (with the reason). Deleted ones were taken back by
# their authors and are in no file.
OPEN_COMMENT_STATES = ("visible",)
ADMIN_COMMENT_STATES = ("visible", "pending", "hidden")


@dataclass
class ExportContext:
    db: Session
    round: Round
    open_data: bool
    exported_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @cached_property
    def pseudonym(self) -> Callable[[int], str]:
        """user id -> pseudonym of this round (HMAC), remembered for the many rows of one person."""
        return lru_cache(maxsize=65536)(pseudonymizer(self.round.id))

    @cached_property
    def participant(self) -> Callable[[str], str]:
        """``_participant_key`` -> pseudonym: the HMAC of an account id (its key derived once per
        round), a ballot's name as it is; remembered, as a person's ~52 ratings come together."""
        pseudonym = pseudonymizer(self.round.id)
        prefix = ballot_pseudonym("")

        def participant(key: str) -> str:
            return key if key.startswith(prefix) else pseudonym(int(key))

        return lru_cache(maxsize=65536)(participant)

    @property
    def comment_states(self) -> tuple[str, ...]:
        return OPEN_COMMENT_STATES if self.open_data else ADMIN_COMMENT_STATES

    @cached_property
    def consolidation_public(self) -> bool:
        """Outcomes and decided proposals are public once the round is published."""
        from ..permissions import can_see_outcomes

        return can_see_outcomes(None, self.round)

    @property
    def hides_consolidation(self) -> bool:
        """Open data before publication holds no outcomes and no proposals."""
        return self.open_data and not self.consolidation_public

    _analysis: Callable[[], dict | None] | None = field(default=None, init=False, repr=False)

    @cached_property
    def shows_analysis(self) -> bool:
        from ..permissions import can_see_analysis

        return not self.open_data or can_see_analysis(None, self.round)

    def start_analysis(self) -> None:
        """Start computing the analysis parameters (in a child process, see ``exports.analysis``)
        so that they are ready when the tables are written."""
        if self._analysis is None and self.shows_analysis:
            from .analysis import start

            self._analysis = start(self.db, self.round)

    @cached_property
    def analysis(self) -> dict | None:
        """The parameters of the round's analysis (seed, k, library versions …) for the Info
        sheet, the README and datapackage.json; None where the public may not see the analysis
        (or it could not be computed)."""
        if not self.shows_analysis:
            return None
        self.start_analysis()
        assert self._analysis is not None
        return self._analysis()

    @cached_property
    def next_version(self):
        """The strategy version composed from this round's proposals (open data: only once
        published), or None."""
        from .consolidation import next_version

        return next_version(self)


@dataclass(frozen=True)
class Column:
    name: str  # English snake_case: open data, JSON, datapackage
    type: str  # one of TYPES (Frictionless Table Schema types)
    title_de: str  # German column title (Excel variants, Datenwörterbuch)
    title_en: str
    description_de: str
    description_en: str
    unit: str | None = None
    values: tuple | None = None  # allowed values
    # SQL tables: the expression (or a tuple of expressions) that gives the value (a time: its
    # timestamp column, read as text by ``utc``) ...
    sql: Callable[[ExportContext], Any] | None = None
    # ... and, where the value is computed in Python, a function (built once per export) that
    # takes the SQL value(s) and returns the column's value.
    convert: Callable[[ExportContext], Callable[..., Any]] | None = None
    admin_only: bool = False  # left out of open data
    # Text the platform makes itself (keys, pseudonyms) never starts like a formula: the CSV
    # writers skip the guard (as for columns whose allowed values are listed).
    safe: bool = False
    number_format: str | None = None  # XLSX display format

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type


@dataclass(frozen=True)
class Table:
    name: str  # English snake_case; also the file name
    title_de: str
    title_en: str
    description_de: str
    description_en: str
    columns: tuple[Column, ...]
    query: Callable[[ExportContext, list], sa.Select] | None = None
    generate: Callable[[ExportContext], Iterator[tuple]] | None = None
    note_de: str = ""
    note_en: str = ""
    applies: Callable[[ExportContext], bool] = lambda ctx: True
    # Read through the DB-API cursor (``cursor_blocks``); CSV lines made by the database
    # (``database_csv``): for big tables of integers and text.
    raw: bool = False

    def columns_for(self, ctx: ExportContext) -> list[Column]:
        return [c for c in self.columns if not (c.admin_only and ctx.open_data)]

    def rows(self, ctx: ExportContext, formats: dict[int, Callable[[Any], Any]] | None = None) -> Iterator[list]:
        """The rows, one list each in the order of ``columns_for(ctx)`` (see ``batches``)."""
        for batch in self.batches(ctx, formats):
            for row in batch:
                yield list(row)

    def batches(self, ctx: ExportContext, formats: dict[int, Callable[[Any], Any]] | None = None) -> Iterator[Iterable]:
        """The rows in batches of up to ``BATCH`` (iterables, to be read once), each row a sequence in the order of
        ``columns_for(ctx)``; never the whole table.

        ``formats`` maps column positions to a function applied to values that are not None (a
        writer's formatting, done in the same pass). SQL rows are handled a batch at a time,
        column by column: ``map`` runs a column's conversion at C speed and columns without one
        cost nothing per row, which a Python loop over rows and cells could not match.
        """
        columns = self.columns_for(ctx)
        formats = formats or {}
        if self.generate is not None:
            keep = [i for i, c in enumerate(self.columns) if c in columns]
            batch: list[list] = []
            for raw in self.generate(ctx):
                row = [raw[i] for i in keep]
                for i, format_ in formats.items():
                    if row[i] is not None:
                        row[i] = format_(row[i])
                batch.append(row)
                if len(batch) == BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
            return
        expressions: list = []
        # Per column: where its SQL values start, how many there are, and the function (built
        # once per export) that makes the column's value of them.
        plan: list[tuple[int, int, Callable[..., Any] | None]] = []
        for column in columns:
            sql = column.sql(ctx)
            if column.type == "datetime":
                sql = utc(ctx, sql)
            parts = list(sql) if isinstance(sql, tuple) else [sql]
            start = len(expressions)
            expressions.extend(part.label(f"c{start + i}") for i, part in enumerate(parts))
            convert = column.convert(ctx) if column.convert else None
            if convert is None and len(parts) > 1:
                raise ValueError("a column of several SQL values needs a convert function")
            plan.append((start, len(parts), convert))
        statement = self.query(ctx, expressions)
        blocks = cursor_blocks(ctx, statement, self.name) if self.raw else _result_blocks(ctx, statement)
        for block in blocks:
            sql_columns = list(zip(*block, strict=True))
            values: list[Sequence] = []
            for i, (start, width, convert) in enumerate(plan):
                column_values: Sequence = sql_columns[start]
                if convert is not None:
                    column_values = list(map(convert, *sql_columns[start:start + width]))
                format_ = formats.get(i)
                if format_ is not None:
                    column_values = _formatted(format_, column_values)
                values.append(column_values)
            # Rows made as the writer takes them (each tuple freed before the next is made).
            yield zip(*values, strict=True)


def _formatted(format_: Callable[[Any], Any], values: Sequence) -> list:
    """``format_`` of each value, None kept (the check runs in C; ``map`` too where no None)."""
    if None in values:
        return [None if value is None else format_(value) for value in values]
    return list(map(format_, values))


def _result_blocks(ctx: ExportContext, statement: sa.Select) -> Iterator[Sequence]:
    """Rows through SQLAlchemy Core (its types decode JSON, booleans …); on PostgreSQL
    ``yield_per`` reads them through a server-side cursor."""
    result = ctx.db.connection().execute(statement.execution_options(yield_per=BATCH))
    yield from result.partitions()


def cursor_blocks(ctx: ExportContext, statement: sa.Select, name: str) -> Iterator[Sequence]:
    """Rows straight from the DB-API cursor, as the driver's tuples: no Row objects and no
    per-value result processing, which would take longer than the rest of the export. For
    tables whose values are integers and text (times as text: ``utc``). On PostgreSQL a named
    (server-side) cursor sends ``BATCH`` rows per round trip, planned for reading every row
    (``cursor_tuple_fraction`` 1, for this transaction: the default plans for the first tenth,
    which took half as long again); SQLite steps through its result. The statement's few parameters
    (ids, states, separators) are rendered into the SQL by SQLAlchemy."""
    connection = ctx.db.connection()
    driver = connection.connection.driver_connection
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.exec_driver_sql("SELECT set_config('cursor_tuple_fraction', '1', true)")
    cursor = driver.cursor(name=f"export_{name}") if postgresql else driver.cursor()
    try:
        cursor.execute(sql)
        while block := cursor.fetchmany(BATCH):
            yield block
    finally:
        cursor.close()


def of_round(ctx: ExportContext, column) -> Any:
    """``column == round id``. On SQLite "+ 0" keeps the planner off the round indexes: one pass
    over the table in storage order is four times faster than visiting 1,000,000 rows by index.
    PostgreSQL plans this from its statistics."""
    if ctx.db.get_bind().dialect.name == "sqlite":
        return column + 0 == ctx.round.id
    return column == ctx.round.id


def utc(ctx: ExportContext, column) -> Any:
    """A timestamp as ISO 8601 text in UTC, ``YYYY-MM-DDTHH:MM:SS+00:00``, made by the database:
    the open-data formats take it as it is, the others turn it into Berlin time by slicing text
    (``writers._excel_datetime``) — far cheaper than a datetime object per value. SQLite keeps
    naive UTC as text ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if ctx.db.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"', type_=sa.String)
    return sa.func.substr(column, 1, 10, type_=sa.String) + "T" + sa.func.substr(column, 12, 8) + "+00:00"


def plain(column) -> Any:
    """An enum column as its stored text, without per-row checking."""
    return sa.type_coerce(column, sa.String())


def _participant_key(ctx: ExportContext) -> Any:
    """The rating's participant as one text: the account id, or the ballot's pseudonym
    (``ballot:`` and its printed id), so that one cached function names both."""
    return sa.func.coalesce(sa.cast(Rating.user_id, sa.String), sa.literal(ballot_pseudonym("")) + Ballot.code)


# --- results -------------------------------------------------------------------------------------

def wilson(successes: int, total: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """Wilson score interval of a share (successes / total); None without answers."""
    if not total:
        return None, None
    p = successes / total
    denominator = 1 + z * z / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _results_rows(ctx: ExportContext) -> Iterator[tuple]:
    items = scope_items(ctx.db, ctx.round)
    per_group = {
        "all": round_results(ctx.db, ctx.round),
        "verified": round_results(ctx.db, ctx.round, verified_only=True),
    }
    from ..results.services import QuestionResult

    for item in items:
        for question in ctx.round.questions:
            for group in GROUPS:
                result = per_group[group].get(item.id, {}).get(question) or QuestionResult(question)
                low, high = wilson(result.counts[4] + result.counts[5], result.answered)
                yield (
                    item.key, item.kind, item.title_de, question, group, result.n,
                    *(result.counts[value] for value in VALUES),
                    _rounded(result.mean), result.median, _rounded(result.share_agree),
                    _rounded(low), _rounded(high),
                )


def _count_column(value: int) -> Column:
    label_de = "keine Angabe" if value == 0 else f"Wert {value}"
    label_en = "no answer" if value == 0 else f"value {value}"
    return Column(
        f"n_{value}", "integer", f"Anzahl {label_de}", f"Count {label_en}",
        f"Anzahl der Bewertungen mit {label_de}" + (" (0)." if value == 0 else "."),
        f"Number of ratings with {label_en}" + (" (0)." if value == 0 else "."), unit="ratings",
    )


ITEM_KEY = Column(
    "item_key", "string", "Element", "Item key",
    "Dauerhafter Schlüssel des Strategie-Elements (gleich über Strategieversionen hinweg).",
    "Stable key of the strategy item (the same across strategy versions).",
    sql=lambda ctx: StrategyItem.key, safe=True,  # [a-z0-9-/] (strategy.services.KEY_RE)
)
QUESTION = Column(
    "question", "string", "Frage", "Question",
    "agreement = Zustimmung, importance = Wichtigkeit.", "agreement or importance.", values=QUESTIONS,
    sql=lambda ctx: plain(Rating.question),
)

RESULTS = Table(
    "results", "Ergebnisse", "Results",
    "Verteilung, Mittelwert, Median und Zustimmungsanteil je Element und Frage, für alle "
    "Teilnehmenden (group = all) und nur für verifizierte mit Einladungscode (group = verified).",
    "Distribution, mean, median and share who agree per item and question, for all participants "
    "(group = all) and for verified participants with an invitation code only (group = verified).",
    columns=(
        ITEM_KEY,
        Column("item_kind", "string", "Art", "Item kind",
               "vision, mission (Leitbild), coordinate (Leitkoordinate), field (Handlungsfeld), "
               "target (Zielbild).",
               "vision, mission, coordinate (guiding coordinate), field (field of action), target (target picture).",
               values=ITEM_KINDS),
        Column("item_title", "string", "Titel", "Item title", "Deutscher Titel des Elements.",
               "German title of the item."),
        Column("question", "string", "Frage", "Question", QUESTION.description_de, QUESTION.description_en,
               values=QUESTIONS),
        Column("group", "string", "Gruppe", "Group",
               "all = alle Teilnehmenden (online und offline), verified = nur verifizierte (Einladungscode).",
               "all = every participant (online and offline), verified = verified participants only "
               "(invitation code).", values=GROUPS),
        Column("n", "integer", "Anzahl", "Ratings",
               "Anzahl der Bewertungen, „keine Angabe“ eingeschlossen; n = n_0 + … + n_5.",
               "Number of ratings, “no answer” included; n = n_0 + … + n_5.", unit="ratings"),
        *(_count_column(value) for value in VALUES),
        Column("mean", "number", "Mittelwert", "Mean",
               "Mittelwert der Antworten 1–5 (ohne „keine Angabe“); leer ohne Antworten.",
               "Mean of the answers 1–5 (without “no answer”); empty without answers.",
               unit="scale 1-5", number_format="0.00"),
        Column("median", "number", "Median", "Median", "Median der Antworten 1–5.", "Median of the answers 1–5.",
               unit="scale 1-5", number_format="0.0"),
        Column("share_agree", "number", "Anteil Zustimmung", "Share agree",
               "Anteil der Antworten 4 und 5 an den Antworten 1–5 (bei Wichtigkeit: „wichtig“), 0 bis 1.",
               "Share of the answers 4 and 5 among the answers 1–5 (for importance: “important”), 0 to 1.",
               unit="share 0-1", number_format="0.0%"),
        Column("ci_low", "number", "Konfidenz unten", "CI low",
               "Untere Grenze des 95-%-Konfidenzintervalls (Wilson) von share_agree.",
               "Lower bound of the 95 % confidence interval (Wilson) of share_agree.",
               unit="share 0-1", number_format="0.0%"),
        Column("ci_high", "number", "Konfidenz oben", "CI high",
               "Obere Grenze des 95-%-Konfidenzintervalls (Wilson) von share_agree.",
               "Upper bound of the 95 % confidence interval (Wilson) of share_agree.",
               unit="share 0-1", number_format="0.0%"),
    ),
    generate=_results_rows,
)


# --- ratings -------------------------------------------------------------------------------------

def _ratings_query(ctx: ExportContext, columns: list) -> sa.Select:
    return (
        sa.select(*columns)
        .select_from(Rating)
        .join(StrategyItem, StrategyItem.id == Rating.item_id)
        .outerjoin(Ballot, Ballot.id == Rating.ballot_id)
        .outerjoin(InvitationCode, sa.and_(InvitationCode.round_id == Rating.round_id,
                                           InvitationCode.redeemed_by_id == Rating.user_id))
        .where(of_round(ctx, Rating.round_id))
        .order_by(Rating.id)
    )


PARTICIPANT_DE = ("Pseudonym der Person in dieser Runde: online ein HMAC der Konto-Id mit einem Schlüssel "
                  "je Runde (nicht über Runden verknüpfbar), offline „ballot:“ und die Nummer des Fragebogens.")
PARTICIPANT_EN = ("Pseudonym of the participant in this round: online an HMAC of the account id under a key "
                  "per round (cannot be linked across rounds), offline “ballot:” and the printed ballot id.")

RATINGS = Table(
    "ratings", "Bewertungen", "Ratings",
    "Eine Zeile je Bewertung (Person × Element × Frage), pseudonym.",
    "One row per rating (participant × item × question), pseudonymous.",
    columns=(
        Column("participant", "string", "Teilnehmende Person", "Participant", PARTICIPANT_DE, PARTICIPANT_EN,
               sql=_participant_key, convert=lambda ctx: ctx.participant, safe=True),
        Column("channel", "string", "Weg", "Channel",
               "online, paper (Papierfragebogen), workshop, phone (Telefon).",
               "online, paper (questionnaire), workshop, phone.", values=PARTICIPANT_CHANNELS,
               sql=lambda ctx: sa.func.coalesce(Ballot.channel, "online", type_=sa.String)),
        Column("verified", "boolean", "Verifiziert", "Verified",
               "Die Person hat in dieser Runde einen Einladungscode eingelöst.",
               "The participant redeemed an invitation code in this round.",
               sql=lambda ctx: InvitationCode.id.is_not(None)),
        ITEM_KEY,
        QUESTION,
        Column("value", "integer", "Wert", "Value",
               "0 = keine Angabe; 1 = stimme gar nicht zu / gar nicht wichtig … 5 = stimme voll zu / sehr wichtig.",
               "0 = no answer; 1 = strongly disagree / not important at all … 5 = strongly agree / very important.",
               unit="scale 1-5", values=VALUES, sql=lambda ctx: Rating.value),
        Column("rated_at", "datetime", "Zeitpunkt", "Rated at",
               "Wann der Wert zuletzt gesetzt wurde (offline: Zeitpunkt der Erfassung).",
               "When the value was last set (offline: when the ballot was entered).",
               sql=lambda ctx: Rating.updated_at),
    ),
    query=_ratings_query,
    raw=True,
)


# --- comments ------------------------------------------------------------------------------------

from .consolidation import CHANGES, COMMENT_CONSOLIDATION_COLUMNS, EVIDENCE, PROPOSALS  # noqa: E402


def _comments_query(ctx: ExportContext, columns: list) -> sa.Select:
    return (
        sa.select(*columns)
        .select_from(Comment)
        .join(StrategyItem, StrategyItem.id == Comment.item_id)
        .where(Comment.round_id == ctx.round.id, Comment.state.in_(ctx.comment_states))
        .order_by(Comment.id)
    )


COMMENTS = Table(
    "comments", "Kommentare", "Comments",
    "Die Beiträge der Diskussion je Element. Offene Daten: nur öffentlich sichtbare Beiträge.",
    "The discussion's comments per item. Open data: only comments visible to the public.",
    columns=(
        Column("comment_id", "integer", "Kommentar-Nr.", "Comment id", "Nummer des Kommentars.",
               "Id of the comment.", sql=lambda ctx: Comment.id),
        Column("parent_id", "integer", "Antwort auf", "Parent id",
               "Nummer des Kommentars, auf den geantwortet wird; leer bei Kommentaren ohne Bezug. Der "
               "Kommentar kann fehlen, wenn er ausgeblendet oder gelöscht ist.",
               "Id of the comment replied to; empty for top-level comments. It may be missing from the "
               "file when hidden or deleted.", sql=lambda ctx: Comment.parent_id),
        ITEM_KEY,
        Column("stance", "string", "Haltung", "Stance",
               "support = Zustimmung, criticism = Kritik, suggestion = Vorschlag, question = Frage.",
               "support, criticism, suggestion, question.", values=STANCES, sql=lambda ctx: Comment.stance),
        Column("text", "string", "Text", "Text", "Der Text, wie geschrieben (Markdown-Teilmenge).",
               "The text as written (a subset of Markdown).", sql=lambda ctx: Comment.body),
        Column("created_at", "datetime", "Geschrieben", "Created at", "Wann der Kommentar geschrieben wurde.",
               "When the comment was written.", sql=lambda ctx: Comment.created_at),
        Column("edited_at", "datetime", "Bearbeitet", "Edited at", "Letzte Bearbeitung; leer, wenn nie bearbeitet.",
               "Last edit; empty if never edited.", sql=lambda ctx: Comment.edited_at),
        Column("participant", "string", "Teilnehmende Person", "Participant",
               PARTICIPANT_DE + " Dasselbe Pseudonym wie in ratings.",
               PARTICIPANT_EN + " The same pseudonym as in ratings.",
               sql=lambda ctx: Comment.author_id, convert=lambda ctx: ctx.pseudonym, safe=True),
        Column("channel", "string", "Weg", "Channel", "Kommentare werden online geschrieben.",
               "Comments are written online.", values=PARTICIPANT_CHANNELS,
               sql=lambda ctx: sa.literal("online", sa.String)),
        Column("official", "boolean", "Antwort der Stadt", "Official",
               "Als Antwort der Stadt gekennzeichnet.", "Marked as a reply of the city.",
               sql=lambda ctx: Comment.is_official),
        Column("helpful_count", "integer", "Hilfreich", "Helpful count",
               "Wie viele Personen den Kommentar hilfreich fanden.", "How many people found the comment helpful.",
               unit="people", sql=lambda ctx: Comment.helpful_count),
        Column("state", "string", "Status", "State",
               "visible = öffentlich; pending = wartet auf Moderation; hidden = von der Moderation ausgeblendet.",
               "visible = public; pending = waiting for a moderator; hidden = hidden by the moderation.",
               values=tuple(s for s in COMMENT_STATES if s in ADMIN_COMMENT_STATES), sql=lambda ctx: Comment.state),
        Column("moderation_reason", "string", "Moderationsgrund", "Moderation reason",
               "Grund der letzten Moderationsentscheidung (nur im Export der Verwaltung).",
               "Reason of the last moderation decision (only in the administration's export).",
               values=HIDE_REASONS, admin_only=True, sql=lambda ctx: Comment.moderation_reason),
        *COMMENT_CONSOLIDATION_COLUMNS,
    ),
    query=_comments_query,
)


# --- participation over time -----------------------------------------------------------------------

def _hour_bucket(db: Session, column) -> Any:
    """The UTC hour of a timestamp as 'YYYY-MM-DD HH' text (Berlin days are whole UTC hours)."""
    if db.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24")
    # SQLite keeps naive UTC as 'YYYY-MM-DD HH:MM:SS…' text; its first 13 characters are the hour.
    return sa.func.substr(column, 1, 13)


def _berlin_day(hour: str) -> date:
    return datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(BERLIN).date()


def _participation_rows(ctx: ExportContext) -> Iterator[tuple]:
    db = ctx.db
    hour = _hour_bucket(db, Rating.created_at).label("hour")
    ratings: dict[tuple[date, str], int] = {}
    newcomers: dict[tuple[date, str], int] = {}
    day_of: dict[str, date] = {}  # UTC hour -> Berlin day
    # One pass over the round's ratings: their number per participant and UTC hour, each
    # participant's hours in order, so the first row of a participant is the first rating.
    query = (
        sa.select(Rating.user_id, Rating.ballot_id, hour, sa.func.count())
        .where(of_round(ctx, Rating.round_id))
        .group_by(Rating.user_id, Rating.ballot_id, hour)
        .order_by(Rating.user_id, Rating.ballot_id, hour)
        .execution_options(yield_per=BATCH)
    )
    previous = None
    for user_id, ballot_id, bucket, count in db.execute(query):
        day = day_of.get(bucket)
        if day is None:
            day = day_of[bucket] = _berlin_day(bucket)
        key = (day, "online" if ballot_id is None else "offline")
        ratings[key] = ratings.get(key, 0) + count
        if (user_id, ballot_id) != previous:
            previous = (user_id, ballot_id)
            newcomers[key] = newcomers.get(key, 0) + 1
    days = {day for day, _kind in ratings}
    if not days:
        return
    day, last = min(days), max(days)
    total = dict.fromkeys(MODES, 0)
    while day <= last:
        for kind in MODES:
            new = newcomers.get((day, kind), 0)
            total[kind] += new
            yield day, kind, ratings.get((day, kind), 0), new, total[kind]
        day += timedelta(days=1)


PARTICIPATION = Table(
    "participation", "Beteiligung", "Participation",
    "Bewertungen und neue Teilnehmende je Tag (Europe/Berlin), online und offline.",
    "Ratings and new participants per day (Europe/Berlin), online and offline.",
    columns=(
        Column("date", "date", "Tag", "Date", "Kalendertag in Münster (Europe/Berlin).",
               "Calendar day in Münster (Europe/Berlin)."),
        Column("mode", "string", "Weg", "Mode", "online oder offline (Papier, Workshop, Telefon).",
               "online or offline (paper, workshop, phone).", values=MODES),
        Column("ratings", "integer", "Bewertungen", "Ratings",
               "An diesem Tag abgegebene Bewertungen (noch bestehende; offline: an diesem Tag erfasst).",
               "Ratings given on that day (those still standing; offline: entered on that day).",
               unit="ratings"),
        Column("new_participants", "integer", "Neue Teilnehmende", "New participants",
               "Personen, die an diesem Tag ihre erste Bewertung abgaben.",
               "Participants who gave their first rating on that day.", unit="people"),
        Column("participants_total", "integer", "Teilnehmende gesamt", "Participants total",
               "Teilnehmende bis einschließlich dieses Tages.", "Participants up to and including that day.",
               unit="people"),
    ),
    generate=_participation_rows,
)


# --- districts -------------------------------------------------------------------------------------

DISTRICT_NAMES = {"mitte": "Mitte", "nord": "Nord", "ost": "Ost", "west": "West", "suedost": "Südost",
                  "hiltrup": "Hiltrup", None: "keine Angabe"}
NOT_GIVEN = "not_given"


def suppress(counts: dict[Any, int]) -> dict[Any, int | None]:
    """Cells under SUPPRESS_BELOW become None; if that hides a single cell, the smallest other one
    goes too, so it cannot be worked out from the total."""
    shown = {key: (None if count < SUPPRESS_BELOW else count) for key, count in counts.items()}
    hidden = [key for key, value in shown.items() if value is None]
    if len(hidden) == 1:
        rest = [key for key, value in shown.items() if value is not None]
        if rest:
            shown[min(rest, key=lambda key: counts[key])] = None
    return shown


def district_counts(db: Session, round_: Round) -> dict[str | None, int]:
    """Participants per district (None: not given), accounts and offline ballots together."""
    counts: dict[str | None, int] = dict.fromkeys((*DISTRICTS, None), 0)
    # Who rated online is kept as ratings are written (``round_participant``, rows stay at 0
    # after a withdrawal): O(participants), where reading a million ratings took 0.8 s. A ballot
    # counts if it holds a rating (looked up in the ballot index of ``rating``).
    online = (sa.select(User.district, sa.func.count())
              .join(RoundParticipant, RoundParticipant.user_id == User.id)
              .where(RoundParticipant.round_id == round_.id, RoundParticipant.ratings > 0)
              .group_by(User.district))
    offline = (sa.select(Ballot.district, sa.func.count())
               .where(Ballot.round_id == round_.id,
                      sa.exists().where(Rating.ballot_id == Ballot.id, Rating.round_id == round_.id))
               .group_by(Ballot.district))
    for query in (online, offline):
        for district, count in db.execute(query):
            counts[district] = counts.get(district, 0) + count
    return counts


def _district_rows(ctx: ExportContext) -> Iterator[tuple]:
    shown = suppress(district_counts(ctx.db, ctx.round))
    for district, value in shown.items():
        yield district or NOT_GIVEN, DISTRICT_NAMES[district], value, value is None


DISTRICTS_TABLE = Table(
    "districts", "Stadtbezirke", "Districts",
    "Teilnehmende je Stadtbezirk (freiwillige Angabe; online aus dem Profil, offline vom Fragebogen).",
    "Participants per district (voluntary; online from the profile, offline from the ballot).",
    columns=(
        Column("district", "string", "Stadtbezirk", "District", "Schlüssel des Stadtbezirks; not_given = keine Angabe.",
               "Key of the district; not_given = not stated.", values=(*DISTRICTS, NOT_GIVEN)),
        Column("district_name", "string", "Name", "District name", "Name des Stadtbezirks.", "Name of the district."),
        Column("participants", "integer", "Teilnehmende", "Participants",
               f"Teilnehmende; leer, wenn weniger als {SUPPRESS_BELOW} (Geheimhaltung).",
               f"Participants; empty when fewer than {SUPPRESS_BELOW} (suppressed).", unit="people"),
        Column("suppressed", "boolean", "Unterdrückt", "Suppressed",
               f"Zahl unterdrückt: weniger als {SUPPRESS_BELOW}, oder die zweite Zelle, damit sich eine einzelne "
               "unterdrückte nicht aus der Summe errechnen lässt.",
               f"Number suppressed: fewer than {SUPPRESS_BELOW}, or the second cell, so that a single "
               "suppressed one cannot be worked out from the total."),
    ),
    generate=_district_rows,
    note_de=f"Zellen mit weniger als {SUPPRESS_BELOW} Teilnehmenden sind leer.",
    note_en=f"Cells with fewer than {SUPPRESS_BELOW} participants are empty.",
)


# Every export writes these, in this order.
TABLES: list[Table] = [RESULTS, RATINGS, COMMENTS, PARTICIPATION, DISTRICTS_TABLE, PROPOSALS, EVIDENCE, CHANGES]


def tables_for(ctx: ExportContext) -> list[Table]:
    return [table for table in TABLES if table.applies(ctx)]
