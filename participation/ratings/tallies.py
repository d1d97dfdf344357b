"""Tallies: results in O(items), kept in the same transaction as every rating change.

``rating_tally`` holds, per round, item, question, value and channel (online: accounts;
offline: ballots), how many participants gave that value (``n``) and how many of them redeemed
an invitation code (``n_verified``). ``participation_tally`` holds the participants per round
and channel. Results read a few dozen rows, whatever the number of ratings.

Concurrency: a counter is only ever changed by one statement that adds to it
(``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``), never read, changed in Python and
written back. The changes of a transaction are collected in the session and written just before
it commits (or before anyone reads the tallies in that transaction), in one fixed order — tally
rows sorted by key, then participant rows, then round totals — so two transactions can never
wait for each other's counter rows in a circle (no deadlocks under storms of changes).

Whether a participant counts as verified is read after taking a lock on their account row
(``FOR KEY SHARE``): redeeming a code takes ``FOR UPDATE`` on it, so a rating is counted as
verified exactly when it was stored after the redemption committed, and the redemption moves
every earlier rating into ``n_verified`` itself.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..db import upsert_insert
from ..rounds.models import InvitationCode
from .models import ParticipationTally, Rating, RatingTally, RoundParticipant

_PENDING = "rating_tallies_pending"
_TOUCHED = "rating_tallies_touched"
# Per round, how often this process committed a change to its tallies (cache.py keys on it).
_generations: dict[int, int] = {}


def generation(round_id: int) -> int:
    return _generations.get(round_id, 0)


def _touched(db: Session, *round_ids: int) -> None:
    db.info.setdefault(_TOUCHED, set()).update(round_ids)


@dataclass
class _Pending:
    # (round, item, question, value) -> [Δn, Δn_verified]; online ratings only
    cells: dict[tuple[int, int, str, int], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # (round, user) -> [Δratings, verified, newly verified]
    people: dict[tuple[int, int], list] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.cells or self.people)


def _pending(db: Session) -> _Pending:
    pending = db.info.get(_PENDING)
    if pending is None:
        pending = db.info[_PENDING] = _Pending()
    return pending


# --- recording changes ---------------------------------------------------------------------------

_LOCK = (sa.select(User.id).where(User.id == sa.bindparam("user_id"))
         .with_for_update(read=True, key_share=True))
# Read in a statement of its own after the lock: a statement's snapshot is taken when it starts,
# so an EXISTS in the locking statement would miss a redemption it waited for.
_VERIFIED = sa.select(sa.exists().where(InvitationCode.round_id == sa.bindparam("round_id"),
                                        InvitationCode.redeemed_by_id == sa.bindparam("user_id")))


def lock_participant(db: Session, round_id: int, user: User) -> bool:
    """Lock the account against a simultaneous code redemption; is the participant verified?"""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"user_id": user.id})
    return bool(connection.execute(_VERIFIED, {"round_id": round_id, "user_id": user.id}).scalar())


def rating_changed(db: Session, round_id: int, item_id: int, user_id: int, question: str,
                   old: int | None, new: int | None, verified: bool) -> None:
    """Record that one online rating went from ``old`` to ``new`` (None: absent)."""
    if old == new:
        return
    pending = _pending(db)
    for value, delta in ((old, -1), (new, 1)):
        if value is not None:
            cell = pending.cells[(round_id, item_id, question, value)]
            cell[0] += delta
            cell[1] += delta if verified else 0
    person = pending.people.setdefault((round_id, user_id), [0, verified, False])
    person[0] += (new is not None) - (old is not None)
    person[1] = verified


def participant_verified(db: Session, round_id: int, user_id: int) -> None:
    """A participant redeemed a code: their earlier ratings in the round now count as verified.

    Call after the code is claimed, in the same transaction.
    """
    if db.get_bind().dialect.name == "postgresql":
        # Waits for the participant's rating transactions under way; later ones wait for us.
        db.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    apply_pending(db)
    insert = upsert_insert(db)
    mine = (
        sa.select(Rating.round_id, Rating.item_id, Rating.question, Rating.value, sa.literal("online"),
                  sa.literal(0), sa.func.count())
        .where(Rating.round_id == round_id, Rating.user_id == user_id)
        .group_by(Rating.round_id, Rating.item_id, Rating.question, Rating.value)
        .order_by(Rating.round_id, Rating.item_id, Rating.question, Rating.value)
    )
    statement = insert(RatingTally).from_select(
        ["round_id", "item_id", "question", "value", "channel", "n", "n_verified"], mine)
    db.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "item_id", "question", "value", "channel"],
        set_={"n_verified": RatingTally.n_verified + statement.excluded.n_verified},
    ))
    _touched(db, round_id)
    person = _pending(db).people.setdefault((round_id, user_id), [0, True, True])
    person[1] = person[2] = True


# --- writing them ----------------------------------------------------------------------------------

_CELL_COLUMNS = ("round_id", "item_id", "question", "value", "channel", "n", "n_verified")


@functools.cache
def _cells_upsert(dialect: str):
    """``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` for one tally row (values:
    ``_CELL_COLUMNS``), built once per dialect so that its SQL is compiled once. Several rows go
    as one executemany, in the order given (a multi-row VALUES would be compiled anew each time:
    SQLAlchemy does not cache those)."""
    statement = _insert_for(dialect)(RatingTally)
    return statement.on_conflict_do_update(
        index_elements=["round_id", "item_id", "question", "value", "channel"],
        set_={"n": RatingTally.n + statement.excluded.n,
              "n_verified": RatingTally.n_verified + statement.excluded.n_verified},
    )


@functools.cache
def _participant_upsert(dialect: str):
    statement = _insert_for(dialect)(RoundParticipant)  # values: round_id, user_id, ratings
    return statement.on_conflict_do_update(
        index_elements=["round_id", "user_id"],
        set_={"ratings": RoundParticipant.ratings + statement.excluded.ratings},
    ).returning(RoundParticipant.ratings)


@functools.cache
def _totals_upsert(dialect: str):
    statement = _insert_for(dialect)(ParticipationTally)  # values: round_id, channel, participants, verified
    return statement.on_conflict_do_update(
        index_elements=["round_id", "channel"],
        set_={"participants": ParticipationTally.participants + statement.excluded.participants,
              "verified": ParticipationTally.verified + statement.excluded.verified},
    )


def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def apply_pending(db: Session) -> None:
    """Write the collected changes (before commit, and before reading tallies in a transaction)."""
    pending = db.info.pop(_PENDING, None)
    if not pending:
        return
    _touched(db, *{key[0] for key in pending.cells}, *{key[0] for key in pending.people})
    connection = db.connection()
    dialect = connection.dialect.name
    cells = [dict(zip(_CELL_COLUMNS, (r, i, q, v, "online", dn, dv), strict=True))
             for (r, i, q, v), (dn, dv) in sorted(pending.cells.items()) if dn or dv]
    if cells:
        connection.execute(_cells_upsert(dialect), cells)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (round_id, user_id), (delta, verified, newly_verified) in sorted(pending.people.items()):
        if not delta and not newly_verified:
            continue
        now = connection.execute(_participant_upsert(dialect),
                                 {"round_id": round_id, "user_id": user_id, "ratings": delta}).scalar_one()
        before = now - delta
        joined = int(before == 0 and now > 0) - int(before > 0 and now == 0)
        totals[round_id][0] += joined
        if newly_verified:
            totals[round_id][1] += int(now > 0)
        elif verified:
            totals[round_id][1] += joined
    for round_id, (joined, verified_joined) in sorted(totals.items()):
        if joined or verified_joined:
            connection.execute(_totals_upsert(dialect), {"round_id": round_id, "channel": "online",
                                                         "participants": joined, "verified": verified_joined})


@event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    apply_pending(db)


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    for round_id in db.info.pop(_TOUCHED, ()):
        _generations[round_id] = _generations.get(round_id, 0) + 1


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db: Session, _previous) -> None:
    db.info.pop(_PENDING, None)
    db.info.pop(_TOUCHED, None)


# --- offline ballots: changed by an import, recounted by rebuild() -------------------------------

def recount_offline(db: Session, round_id: int) -> None:
    """Recount the round's offline tallies from its ballots' ratings (``rebuild``)."""
    _touched(db, round_id)
    db.execute(sa.delete(RatingTally).where(RatingTally.round_id == round_id, RatingTally.channel == "offline"))
    db.execute(sa.insert(RatingTally).from_select(
        ["round_id", "item_id", "question", "value", "channel", "n", "n_verified"],
        sa.select(Rating.round_id, Rating.item_id, Rating.question, Rating.value, sa.literal("offline"),
                  sa.func.count(), sa.literal(0))
        .where(Rating.round_id == round_id, Rating.ballot_id.is_not(None))
        .group_by(Rating.round_id, Rating.item_id, Rating.question, Rating.value),
    ))
    participants = db.scalar(sa.select(sa.func.count(sa.distinct(Rating.ballot_id)))
                             .where(Rating.round_id == round_id, Rating.ballot_id.is_not(None))) or 0
    insert = upsert_insert(db)
    statement = insert(ParticipationTally).values(round_id=round_id, channel="offline",
                                                  participants=participants, verified=0)
    db.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "channel"], set_={"participants": participants, "verified": 0}))


def offline_changed(db: Session, round_id: int, cells: dict[tuple[int, str, int], int], participants: int) -> None:
    """Add an import's changes to the round's offline tallies: (item, question, value) → Δn.

    Only imports change offline ratings, one per round at a time (they lock the round), so the
    deltas of the touched ballots are exact without recounting the round's other ballots.
    """
    _touched(db, round_id)
    insert = upsert_insert(db)
    rows = [{"round_id": round_id, "item_id": i, "question": q, "value": v, "channel": "offline", "n": n,
             "n_verified": 0} for (i, q, v), n in sorted(cells.items()) if n]
    if rows:
        statement = insert(RatingTally).values(rows)
        db.execute(statement.on_conflict_do_update(
            index_elements=["round_id", "item_id", "question", "value", "channel"],
            set_={"n": RatingTally.n + statement.excluded.n}))
    statement = insert(ParticipationTally).values(round_id=round_id, channel="offline",
                                                  participants=participants, verified=0)
    db.execute(statement.on_conflict_do_update(
        index_elements=["round_id", "channel"],
        set_={"participants": ParticipationTally.participants + statement.excluded.participants}))


# --- the consistency check -------------------------------------------------------------------------

@dataclass
class Difference:
    table: str
    key: tuple
    stored: tuple
    expected: tuple

    def __str__(self) -> str:
        return f"{self.table} {self.key}: stored {self.stored}, expected {self.expected}"


def _expected(db: Session, round_id: int | None):
    where = [] if round_id is None else [Rating.round_id == round_id]
    channel = sa.case((Rating.ballot_id.is_(None), "online"), else_="offline")
    code = sa.orm.aliased(InvitationCode)
    cells = {
        (r, i, q, v, c): (n, nv)
        for r, i, q, v, c, n, nv in db.execute(
            sa.select(Rating.round_id, Rating.item_id, Rating.question, Rating.value, channel,
                      sa.func.count(), sa.func.count(code.id))
            .outerjoin(code, sa.and_(code.round_id == Rating.round_id, code.redeemed_by_id == Rating.user_id))
            .where(*where)
            .group_by(Rating.round_id, Rating.item_id, Rating.question, Rating.value, channel))
    }
    people = {
        (r, u): (n,)
        for r, u, n in db.execute(
            sa.select(Rating.round_id, Rating.user_id, sa.func.count())
            .where(Rating.user_id.is_not(None), *where).group_by(Rating.round_id, Rating.user_id))
    }
    totals: dict[tuple, tuple[int, int]] = {}
    for r, _user, verified in db.execute(
        sa.select(Rating.round_id, Rating.user_id, sa.func.count(code.id))
        .outerjoin(code, sa.and_(code.round_id == Rating.round_id, code.redeemed_by_id == Rating.user_id))
        .where(Rating.user_id.is_not(None), *where).group_by(Rating.round_id, Rating.user_id)
    ):
        p, v = totals.get((r, "online"), (0, 0))
        totals[(r, "online")] = (p + 1, v + int(verified > 0))
    for r, n in db.execute(
        sa.select(Rating.round_id, sa.func.count(sa.distinct(Rating.ballot_id)))
        .where(Rating.ballot_id.is_not(None), *where).group_by(Rating.round_id)
    ):
        totals[(r, "offline")] = (n, 0)
    return cells, people, totals


def _stored(db: Session, round_id: int | None):
    def where(model):
        return [] if round_id is None else [model.round_id == round_id]

    cells = {(r, i, q, v, c): (n, nv) for r, i, q, v, c, n, nv in db.execute(
        sa.select(RatingTally.round_id, RatingTally.item_id, RatingTally.question, RatingTally.value,
                  RatingTally.channel, RatingTally.n, RatingTally.n_verified).where(*where(RatingTally)))}
    people = {(r, u): (n,) for r, u, n in db.execute(
        sa.select(RoundParticipant.round_id, RoundParticipant.user_id, RoundParticipant.ratings)
        .where(*where(RoundParticipant)))}
    totals = {(r, c): (p, v) for r, c, p, v in db.execute(
        sa.select(ParticipationTally.round_id, ParticipationTally.channel, ParticipationTally.participants,
                  ParticipationTally.verified).where(*where(ParticipationTally)))}
    return cells, people, totals


TABLES = (
    (RatingTally, ("round_id", "item_id", "question", "value", "channel"), ("n", "n_verified")),
    (RoundParticipant, ("round_id", "user_id"), ("ratings",)),
    (ParticipationTally, ("round_id", "channel"), ("participants", "verified")),
)


def verify(db: Session, round_id: int | None = None, repair: bool = False) -> list[Difference]:
    """Recompute every tally from the ratings; list the differences, and fix them on ``repair``.

    Run it when no ratings are being written (it reads in several statements).
    """
    apply_pending(db)
    differences = []
    for (model, keys, values), expected, stored in zip(TABLES, _expected(db, round_id), _stored(db, round_id),
                                                       strict=True):
        zero = (0,) * len(values)
        for key in sorted(set(expected) | set(stored), key=repr):
            want, have = expected.get(key, zero), stored.get(key, zero)
            if want != have:
                differences.append(Difference(model.__tablename__, key, have, want))
                if repair:
                    _touched(db, key[0])
                    row = dict(zip(keys, key, strict=True)) | dict(zip(values, want, strict=True))
                    statement = upsert_insert(db)(model).values(row)
                    db.execute(statement.on_conflict_do_update(
                        index_elements=list(keys), set_=dict(zip(values, want, strict=True))))
    return differences


def rebuild(db: Session, round_id: int) -> None:
    """Recount every tally of a round set-wise (after ratings were written around the services).

    Takes a lock on the round's tallies for the rest of the transaction; run it when the round
    is quiet (bulk loads, benchmarks).
    """
    apply_pending(db)
    _touched(db, round_id)
    code = sa.orm.aliased(InvitationCode)
    verified = sa.and_(code.round_id == Rating.round_id, code.redeemed_by_id == Rating.user_id)
    for model in (RatingTally, RoundParticipant):
        db.execute(sa.delete(model).where(model.round_id == round_id))
    db.execute(sa.delete(ParticipationTally).where(ParticipationTally.round_id == round_id,
                                                   ParticipationTally.channel == "online"))
    db.execute(sa.insert(RatingTally).from_select(
        ["round_id", "item_id", "question", "value", "channel", "n", "n_verified"],
        sa.select(Rating.round_id, Rating.item_id, Rating.question, Rating.value, sa.literal("online"),
                  sa.func.count(), sa.func.count(code.id))
        .outerjoin(code, verified)
        .where(Rating.round_id == round_id, Rating.user_id.is_not(None))
        .group_by(Rating.round_id, Rating.item_id, Rating.question, Rating.value),
    ))
    db.execute(sa.insert(RoundParticipant).from_select(
        ["round_id", "user_id", "ratings"],
        sa.select(Rating.round_id, Rating.user_id, sa.func.count())
        .where(Rating.round_id == round_id, Rating.user_id.is_not(None))
        .group_by(Rating.round_id, Rating.user_id),
    ))
    participant_code = sa.orm.aliased(InvitationCode)
    db.execute(sa.insert(ParticipationTally).from_select(
        ["round_id", "channel", "participants", "verified"],
        sa.select(RoundParticipant.round_id, sa.literal("online"), sa.func.count(), sa.func.count(participant_code.id))
        .outerjoin(participant_code, sa.and_(participant_code.round_id == RoundParticipant.round_id,
                                             participant_code.redeemed_by_id == RoundParticipant.user_id))
        .where(RoundParticipant.round_id == round_id)
        .group_by(RoundParticipant.round_id),
    ))
    recount_offline(db, round_id)
