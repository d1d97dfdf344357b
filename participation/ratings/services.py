"""Rating: one row per participant, item and question, written as an upsert.

Two submissions at the same moment cannot create two rows or fail on the unique constraint:
the database resolves the conflict (INSERT … ON CONFLICT DO UPDATE on PostgreSQL and SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from .. import permissions
from ..accounts.models import User
from ..db import upsert_insert, utcnow
from ..rounds.models import Round
from ..rounds.services import RoundError, is_verified
from ..strategy.models import StrategyItem
from .models import VALUES, Rating


@dataclass
class StoredRating:
    question: str
    value: int | None  # None: withdrawn / not rated



def check_can_rate(db: Session, round_: Round, item: StrategyItem | None, user: User, question: str) -> None:
    """Raise RoundError with the reason why this rating is not accepted."""
    if question not in ("agreement", "importance") or question not in round_.questions:
        raise RoundError("unknown_question", _("This round does not ask this question."))
    if item is None:
        raise RoundError("item_not_in_round", _("This item is not part of the round."))
    if round_.state != "open":
        raise RoundError("round_not_open", _("This round is not open for ratings."))
    if getattr(user, "is_authenticated", False) and user.is_blocked(utcnow()):
        raise RoundError("blocked", _("Your account is blocked: you can read, but not take part for now."))
    verified = is_verified(db, user, round_) if round_.participation == "codes" else False
    if not permissions.can_rate(user, round_, verified=verified):
        raise RoundError("not_eligible", _("You cannot take part in this round."))


def rate(db: Session, round_: Round, item: StrategyItem | None, participant: User, question: str,
         value: int | None) -> StoredRating:
    """Store, change (1–5, 0 = no answer) or withdraw (None) one rating."""
    check_can_rate(db, round_, item, participant, question)
    assert item is not None
    if value is None:
        db.execute(sa.delete(Rating).where(
            Rating.round_id == round_.id, Rating.item_id == item.id,
            Rating.user_id == participant.id, Rating.question == question,
        ))
        return StoredRating(question, None)
    if isinstance(value, bool) or not isinstance(value, int) or value not in VALUES:
        raise RoundError("value_out_of_range", _("Choose a value from 1 to 5, or “no answer”."))
    now = utcnow()
    insert = upsert_insert(db)
    statement = insert(Rating).values(
        round_id=round_.id, item_id=item.id, user_id=participant.id, question=question,
        value=value, created_at=now, updated_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["round_id", "item_id", "user_id", "question"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    ).returning(Rating.value)
    stored = db.execute(statement).scalar_one()
    return StoredRating(question, stored)


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
