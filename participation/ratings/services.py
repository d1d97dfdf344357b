"""Rating: one row per participant, item and question.

Two submissions at the same moment cannot create two rows or fail on the unique constraint:
the row is locked and changed, or inserted with ON CONFLICT DO NOTHING and, when a simultaneous
submission won, locked and changed on the next attempt. The old value goes to the tallies
(``tallies.py``), which are written in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from .. import permissions
from ..accounts.models import User
from ..db import UTCDateTime, utcnow
from ..rounds.models import Round
from ..rounds.services import RoundError, is_verified
from ..strategy.models import StrategyItem
from . import tallies
from .models import VALUES, Rating


@dataclass
class StoredRating:
    question: str
    value: int | None  # None: withdrawn / not rated



def check_can_rate(db: Session, round_: Round, item: StrategyItem | None, user: User, question: str,
                   verified: bool | None = None) -> None:
    """Raise RoundError with the reason why this rating is not accepted.

    ``verified``: whether the participant redeemed a code for the round, when the caller knows
    it already (``rate`` reads it with the lock on the account); else it is read here.
    """
    if question not in ("agreement", "importance") or question not in round_.questions:
        raise RoundError("unknown_question", _("This round does not ask this question."))
    if item is None:
        raise RoundError("item_not_in_round", _("This item is not part of the round."))
    if round_.state != "open":
        raise RoundError("round_not_open", _("This round is not open for ratings."))
    if getattr(user, "is_authenticated", False) and user.is_blocked(utcnow()):
        raise RoundError("blocked", _("Your account is blocked: you can read, but not take part for now."))
    if round_.participation != "codes":
        verified = False
    elif verified is None:
        verified = is_verified(db, user, round_)
    if not permissions.can_rate(user, round_, verified=verified):
        raise RoundError("not_eligible", _("You cannot take part in this round."))


# The statements of a rating, built once (the SQL is compiled once per process and dialect; only
# the values change). On PostgreSQL one statement stores the rating and returns the value it
# replaced: the row is locked (FOR UPDATE, so the value read is the latest committed one) and
# changed, or inserted when there is none. When a simultaneous submission inserted it first, the
# INSERT does nothing and the next attempt finds (and locks) its row.
_MINE = sa.and_(Rating.round_id == sa.bindparam("b_round_id"), Rating.item_id == sa.bindparam("b_item_id"),
                Rating.user_id == sa.bindparam("b_user_id"), Rating.question == sa.bindparam("b_question"))
_STORE_POSTGRESQL = sa.text("""
    WITH old AS (
        SELECT id, value FROM rating
        WHERE round_id = :b_round_id AND item_id = :b_item_id AND user_id = :b_user_id AND question = :b_question
        FOR UPDATE
    ), changed AS (
        UPDATE rating SET value = :b_value, updated_at = :now FROM old WHERE rating.id = old.id
        RETURNING old.value
    ), inserted AS (
        INSERT INTO rating (round_id, item_id, user_id, question, value, created_at, updated_at)
        SELECT :b_round_id, :b_item_id, :b_user_id, :b_question, :b_value, :now, :now
        WHERE NOT EXISTS (SELECT FROM old)
        ON CONFLICT (round_id, item_id, user_id, question) DO NOTHING
        RETURNING id
    )
    SELECT (SELECT value FROM changed), EXISTS (SELECT FROM inserted)
""").bindparams(sa.bindparam("now", type_=UTCDateTime()))
_OLD = sa.select(Rating.value).where(_MINE)
_CHANGE = sa.update(Rating).where(_MINE).values(value=sa.bindparam("new_value"),
                                                 updated_at=sa.bindparam("now"))
_WITHDRAW = sa.delete(Rating).where(_MINE).returning(Rating.value)
_insert_sqlite = None


def _insert_sqlite_statement():
    global _insert_sqlite
    if _insert_sqlite is None:
        from sqlalchemy.dialects.sqlite import insert

        # values: round_id, item_id, user_id, question, value, created_at, updated_at
        _insert_sqlite = insert(Rating).on_conflict_do_nothing(
            index_elements=["round_id", "item_id", "user_id", "question"]).returning(Rating.id)
    return _insert_sqlite


def rate(db: Session, round_: Round, item: StrategyItem | None, participant: User, question: str,
         value: int | None) -> StoredRating:
    """Store, change (1–5, 0 = no answer) or withdraw (None) one rating."""
    codes = round_.participation == "codes"
    # Everything but the code first; whether one was redeemed is read below, with the lock.
    check_can_rate(db, round_, item, participant, question, verified=True)
    assert item is not None
    verified = tallies.lock_participant(db, round_.id, participant)
    if codes and not verified:
        raise RoundError("not_eligible", _("You cannot take part in this round."))
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value not in VALUES):
        raise RoundError("value_out_of_range", _("Choose a value from 1 to 5, or “no answer”."))
    connection = db.connection()
    mine = {"b_round_id": round_.id, "b_item_id": item.id, "b_user_id": participant.id, "b_question": question}
    if value is None:
        old = connection.execute(_WITHDRAW, mine).scalar_one_or_none()
        tallies.rating_changed(db, round_.id, item.id, participant.id, question, old, None, verified)
        return StoredRating(question, None)
    values = mine | {"b_value": value, "new_value": value, "now": utcnow()}
    postgresql = connection.dialect.name == "postgresql"
    for _attempt in range(3):
        if postgresql:
            old, inserted = connection.execute(_STORE_POSTGRESQL, values).one()
            if old is not None or inserted:
                break
            continue
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE).
        old = connection.execute(_OLD, mine).scalar()
        if old is not None:
            connection.execute(_CHANGE, values)
            break
        row = {"round_id": round_.id, "item_id": item.id, "user_id": participant.id, "question": question,
               "value": value, "created_at": values["now"], "updated_at": values["now"]}
        if connection.execute(_insert_sqlite_statement(), row).scalar() is not None:
            break
    else:  # pragma: no cover - three writers racing on one row, each undoing the other
        raise RoundError("conflict", _("Your rating could not be saved. Please try again."))
    tallies.rating_changed(db, round_.id, item.id, participant.id, question, old, value, verified)
    return StoredRating(question, value)


def ratings_of(db: Session, round_: Round, user: User) -> dict[int, dict[str, int]]:
    """{item id: {question: value}} of one participant in one round (one query)."""
    out: dict[int, dict[str, int]] = {}
    if not getattr(user, "id", None):
        return out
    rows = db.execute(
        sa.select(Rating.item_id, Rating.question, Rating.value)
        .where(Rating.round_id == round_.id, Rating.user_id == user.id)
    )
    for item_id, question, value in rows:
        out.setdefault(item_id, {})[question] = value
    return out


def ratings_and_verification(db: Session, round_: Round, user: User) -> tuple[dict[int, dict[str, int]], bool]:
    """ratings_of() and whether the participant redeemed a code for the round, in one statement."""
    out: dict[int, dict[str, int]] = {}
    if not getattr(user, "id", None):
        return out, False
    from ..rounds.models import InvitationCode

    mine = sa.select(Rating.item_id, Rating.question, Rating.value).where(
        Rating.round_id == round_.id, Rating.user_id == user.id)
    code = sa.select(sa.literal(0), sa.literal("verified"), sa.literal(1)).where(
        InvitationCode.round_id == round_.id, InvitationCode.redeemed_by_id == user.id)
    verified = False
    for item_id, question, value in db.execute(sa.union_all(mine, code)):
        if question == "verified":
            verified = True
        else:
            out.setdefault(item_id, {})[question] = value
    return out, verified


def export_ratings(db: Session, user: User) -> tuple[str, list[dict]]:
    """The participant's ratings, for "download my data"."""
    rows = db.execute(
        sa.select(Rating.round_id, StrategyItem.key, Rating.question, Rating.value, Rating.updated_at)
        .join(StrategyItem, StrategyItem.id == Rating.item_id)
        .where(Rating.user_id == user.id)
        .order_by(Rating.round_id, StrategyItem.key, Rating.question)
    )
    return "ratings", [
        {"round": r, "item": key, "question": q, "value": v, "updated_at": at.isoformat()}
        for r, key, q, v, at in rows
    ]


def _register_export() -> None:
    from ..accounts.services import EXPORT_SECTIONS

    if export_ratings not in EXPORT_SECTIONS:
        EXPORT_SECTIONS.append(export_ratings)


_register_export()
