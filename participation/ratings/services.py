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
from ..db import upsert_insert, utcnow
from ..rounds.models import Round
from ..rounds.services import RoundError, is_verified
from ..strategy.models import StrategyItem
from . import tallies
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
    verified = tallies.lock_participant(db, round_.id, participant)
    mine = (Rating.round_id == round_.id, Rating.item_id == item.id, Rating.user_id == participant.id,
            Rating.question == question)
    if value is None:
        old = db.execute(sa.delete(Rating).where(*mine).returning(Rating.value)).scalar_one_or_none()
        tallies.rating_changed(db, round_.id, item.id, participant.id, question, old, None, verified)
        return StoredRating(question, None)
    if isinstance(value, bool) or not isinstance(value, int) or value not in VALUES:
        raise RoundError("value_out_of_range", _("Choose a value from 1 to 5, or “no answer”."))
    now = utcnow()
    insert = upsert_insert(db)
    # The tallies need the value replaced: lock the row and read it, or insert it. When a
    # simultaneous submission inserted it first, the next attempt finds (and locks) its row.
    for _attempt in range(3):
        old = db.scalar(sa.select(Rating.value).where(*mine).with_for_update())
        if old is not None:
            db.execute(sa.update(Rating).where(*mine).values(value=value, updated_at=now))
            break
        inserted = db.scalar(insert(Rating).values(
            round_id=round_.id, item_id=item.id, user_id=participant.id, question=question,
            value=value, created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["round_id", "item_id", "user_id", "question"])
            .returning(Rating.id))
        if inserted is not None:
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
