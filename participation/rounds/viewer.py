"""What is one's own on an item page, read in one statement: the page itself is shared.

The item page for logged-in people is rendered once per viewer class (``page_cache.shared_page``);
per request only this is read: the viewer's ratings in the round and whether they redeemed a code
(as ``ratings.services.ratings_and_verification``), their helpful marks and reports on the
item's comments, and whether a comment of theirs on the item waits for approval (then the
page is theirs alone and rendered for them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..comments.models import Comment, HelpfulMark, Report
from ..ratings.models import Rating
from .models import InvitationCode

# Markers in the question column; rating questions are never named so.
_VERIFIED, _HELPFUL, _REPORT, _PENDING = "verified", "helpful", "report", "pending"


@dataclass(frozen=True)
class ViewerState:
    mine: dict[int, dict[str, int]]  # item id → question → value, for the whole round
    verified: bool
    marked: frozenset[int]  # comments of the item marked as helpful
    reported: frozenset[int]  # comments of the item reported
    pending: bool  # a comment of theirs on this item waits for approval


def _on_item(comment_id: sa.ColumnElement) -> sa.ColumnElement:
    return comment_id.in_(sa.select(Comment.id).where(
        Comment.round_id == sa.bindparam("round_id"), Comment.item_id == sa.bindparam("item_id")))


@functools.cache
def _statement() -> sa.CompoundSelect:
    """Built once, with bound parameters: building it anew costs more than running it. Marks and
    reports are read for the whole item (a person's are few), so the statement does not depend on
    which comments the shared page shows."""
    viewer, round_id = sa.bindparam("viewer_id"), sa.bindparam("round_id")
    return sa.union_all(
        sa.select(Rating.item_id, sa.type_coerce(Rating.question, sa.String), Rating.value)
        .where(Rating.round_id == round_id, Rating.user_id == viewer),
        sa.select(sa.literal(0), sa.literal(_VERIFIED), sa.literal(1))
        .where(InvitationCode.round_id == round_id, InvitationCode.redeemed_by_id == viewer),
        sa.select(Comment.id, sa.literal(_PENDING), sa.literal(0))
        .where(Comment.round_id == round_id, Comment.item_id == sa.bindparam("item_id"),
               Comment.author_id == viewer, Comment.state == "pending"),
        sa.select(HelpfulMark.comment_id, sa.literal(_HELPFUL), sa.literal(0))
        .where(HelpfulMark.user_id == viewer, _on_item(HelpfulMark.comment_id)),
        sa.select(Report.comment_id, sa.literal(_REPORT), sa.literal(0))
        .where(Report.reporter_id == viewer, _on_item(Report.comment_id)),
    )


def viewer_state(db: Session, viewer_id: int, round_id: int, item_id: int) -> ViewerState:
    mine: dict[int, dict[str, int]] = {}
    marked: set[int] = set()
    reported: set[int] = set()
    verified = pending = False
    rows = db.execute(_statement(), {"viewer_id": viewer_id, "round_id": round_id, "item_id": item_id})
    for ident, question, value in rows:
        if question == _VERIFIED:
            verified = True
        elif question == _PENDING:
            pending = True
        elif question == _HELPFUL:
            marked.add(ident)
        elif question == _REPORT:
            reported.add(ident)
        else:
            mine.setdefault(ident, {})[question] = value
    return ViewerState(mine, verified, frozenset(marked), frozenset(reported), pending)
