"""Discussion use cases. Plain functions: they take the actor, flush, never commit.

Counters (helpful, replies, open reports) change by single UPDATE statements, so concurrent
marks never lose a count and pages never count per comment.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from .. import permissions
from ..accounts.models import User
from ..db import upsert_insert, utcnow
from ..moderation.services import hide_automatically
from ..rounds.models import Round
from ..rounds.services import is_verified
from ..sanitize import render_comment
from ..service_errors import ServiceError
from ..strategy.models import StrategyItem
from ..text import TextError, clean_text
from .models import (
    BODY_MAX,
    REPORT_REASONS,
    REPORT_TEXT_MAX,
    STANCES,
    Comment,
    CommentRevision,
    HelpfulMark,
    Report,
)

PAGE_SIZE = 20
REPLIES_SHOWN = 20  # per thread on the item page; the thread page pages through the rest
SORTS = ("newest", "oldest", "helpful")
PUBLIC_STATES = ("visible", "hidden", "deleted")  # hidden and deleted show as a notice


class CommentError(ServiceError):
    """A use case of the discussion refused (see ``ServiceError``)."""


# --- writing --------------------------------------------------------------------------------

def _clean(text: str) -> str:
    try:
        return clean_text(text)
    except TextError as error:
        raise CommentError(error.code, error.message) from None


def check_body(body: object) -> str:
    """The rules for a comment's text alone, so a form can show them beside the stance's."""
    return _clean_body(body)


def _clean_body(body: object) -> str:
    if body is not None and not isinstance(body, str):
        raise CommentError("invalid_body", _("Please write something."))
    body = _clean(body or "")
    if not body:
        raise CommentError("empty_body", _("Please write something."))
    if len(body) > BODY_MAX:
        raise CommentError("body_too_long", _("Use at most %(num)d characters.", num=BODY_MAX))
    return body


def post_comment(
    db: Session, round_: Round, item: StrategyItem | None, author: User, body: str, stance: str,
    parent_id: int | None = None, official: bool = False,
) -> Comment:
    """A comment or reply; ``official``: the city's answer, by its own people, with or without a stance."""
    if item is None:
        raise CommentError("item_not_in_round", _("This item is not part of the round."), 404)
    verified = round_.participation == "codes" and is_verified(db, author, round_)
    if not permissions.can_comment(author, round_, verified=verified):
        raise comment_refusal(round_)
    if official and not permissions.can_answer_officially(author):
        raise CommentError("not_staff", _("Only moderators and administrators answer for the city."), 403)
    if stance not in STANCES and not (official and not stance):
        raise CommentError("unknown_stance", _("Choose whether you agree, criticise, suggest or ask."))
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id) if isinstance(parent_id, int) and 0 < parent_id < 2**63 else None
        if parent is None or parent.state not in PUBLIC_STATES:
            raise CommentError("parent_not_found", _("The comment you reply to no longer exists."), 404)
        if parent.round_id != round_.id or parent.item_id != item.id:
            raise CommentError("parent_elsewhere", _("You can only reply to a comment on the same item."))
        if parent.parent_id is not None:
            raise CommentError("reply_too_deep", _("Replies to replies are not possible; reply to the comment above."))
        if parent.state != "visible":
            raise CommentError("parent_not_found", _("The comment you reply to no longer exists."), 404)
    # One author's posts are serialised (a row lock on PostgreSQL; SQLite's writers queue
    # anyway), so a twin sent in parallel sees this one and is refused below.
    db.execute(sa.select(User.id).where(User.id == author.id).with_for_update())
    last = db.scalars(
        sa.select(Comment.body).where(Comment.author_id == author.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(1)
    ).first()
    if last is not None and last == body:
        raise CommentError("duplicate", _("You have just posted exactly this text."))
    comment = Comment(
        round_id=round_.id, item_id=item.id, author_id=author.id, parent_id=parent_id if parent else None,
        stance=stance or None, body=body, body_html=render_comment(body), is_official=official,
        state="pending" if round_.moderation == "pre" and not official else "visible", created_at=utcnow(),
    )
    db.add(comment)
    db.flush()
    if parent is not None and comment.state == "visible":
        _count(db, parent.id, "reply_count", +1)
    if official:
        from ..moderation.services import audit

        audit(db, author, "comment.official", "comment", comment.id)
    return comment


def comment_refusal(round_: Round) -> CommentError:
    """Why nobody (or this person) can write here: the message for forms and the API alike."""
    if round_.state != "open":
        return CommentError("round_not_open", _("This round is not open for comments."), 403)
    return CommentError("not_allowed", _("You cannot write comments at the moment."), 403)


def _count(db: Session, comment_id: int, column: str, delta: int) -> None:
    counter = getattr(Comment, column)
    db.execute(sa.update(Comment).where(Comment.id == comment_id).values({column: counter + delta}))


def edit_comment(db: Session, comment: Comment, author: User, body: str, round_: Round) -> Comment:
    if not permissions.can_edit_comment(author, comment, round_):
        raise CommentError("not_allowed", _("You can no longer change this comment."), 403)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    _keep_revision(db, comment)
    comment.body = body
    comment.body_html = render_comment(body)
    comment.edited_at = utcnow()
    if round_.moderation == "pre" and comment.state == "visible":
        # Under pre-moderation a changed text needs approval again.
        comment.state = "pending"
        if comment.parent_id is not None:
            _count(db, comment.parent_id, "reply_count", -1)
    db.flush()
    return comment


def _keep_revision(db: Session, comment: Comment) -> None:
    """The wording as it was, with the time it was written, for moderators."""
    db.add(CommentRevision(comment_id=comment.id, body=comment.body,
                           created_at=comment.edited_at or comment.created_at))


def delete_comment(db: Session, comment: Comment, author: User) -> Comment:
    """The author's own deletion: the comment shows as deleted, replies stay."""
    if not permissions.can_delete_comment(author, comment):
        raise CommentError("not_allowed", _("You cannot delete this comment."), 403)
    if comment.state == "visible" and comment.parent_id is not None:
        _count(db, comment.parent_id, "reply_count", -1)
    _keep_revision(db, comment)
    comment.state = "deleted"
    comment.body = ""
    comment.body_html = ""
    db.flush()
    return comment


def set_helpful(db: Session, comment: Comment, user: User, round_: Round, helpful: bool) -> int:
    """Mark or unmark; answers the new count. Twice is the same as once."""
    if not permissions.can_mark_helpful(user, comment, round_):
        raise CommentError("not_allowed", _("You cannot mark this comment as helpful."), 403)
    if helpful:
        insert = upsert_insert(db)
        inserted = db.execute(
            insert(HelpfulMark).values(comment_id=comment.id, user_id=user.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["comment_id", "user_id"])
            .returning(HelpfulMark.id)
        ).scalar()  # RETURNING, not rowcount: drivers differ in what they count here
        if inserted is not None:
            _count(db, comment.id, "helpful_count", +1)
    else:
        deleted = db.execute(
            sa.delete(HelpfulMark).where(HelpfulMark.comment_id == comment.id, HelpfulMark.user_id == user.id)
            .returning(HelpfulMark.id)
        ).scalar()
        if deleted is not None:
            _count(db, comment.id, "helpful_count", -1)
    return db.scalar(sa.select(Comment.helpful_count).where(Comment.id == comment.id))



def report_comment(db: Session, comment: Comment, reporter: User, reason: str, text: str | None,
                   round_: Round) -> Report:
    if comment.author_id == reporter.id:
        raise CommentError("own_comment", _("You cannot report your own comment."))
    if not permissions.can_report(reporter, comment):
        raise CommentError("not_allowed", _("You cannot report this comment."), 403)
    if not isinstance(reason, str) or reason not in REPORT_REASONS:
        raise CommentError("unknown_reason", _("Please choose a reason."))
    if text is not None and not isinstance(text, str):
        raise CommentError("text_invalid", _("Please describe the problem."))
    text = _clean(text or "") or None
    if reason == "other" and not text:
        raise CommentError("text_required", _("Please describe the problem."))
    if text and len(text) > REPORT_TEXT_MAX:
        raise CommentError("text_too_long", _("Use at most %(num)d characters.", num=REPORT_TEXT_MAX))
    # One statement that cannot race: a parallel second report meets the unique constraint.
    insert = upsert_insert(db)
    report_id = db.execute(
        insert(Report).values(comment_id=comment.id, reporter_id=reporter.id, reason=reason, text=text,
                              created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["comment_id", "reporter_id"])
        .returning(Report.id)
    ).scalar()
    if report_id is None:
        raise CommentError("already_reported", _("You have already reported this comment."))
    report = db.get(Report, report_id)
    _count(db, comment.id, "report_count", +1)
    db.refresh(comment, ["report_count", "state"])
    if comment.state == "visible" and comment.report_count >= round_.report_threshold:
        hide_automatically(db, comment)
    return report


# --- reading ----------------------------------------------------------------------------------

@dataclass
class CommentPage:
    comments: list[Comment]
    replies: dict[int, list[Comment]]
    next_cursor: str | None
    marked: set[int]  # ids the viewer has marked as helpful
    reported: frozenset[int] = frozenset()  # ids the viewer has reported


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" thousands deep
        raise CommentError("bad_cursor", _("This page link is not valid."), 400) from None
    if not (isinstance(values, list) and len(values) == 2 and isinstance(values[1], int)):
        raise CommentError("bad_cursor", _("This page link is not valid."), 400)
    if not 0 <= values[1] < 2**63 or (sort == "helpful" and not (
            isinstance(values[0], int) and 0 <= values[0] < 2**63)):
        raise CommentError("bad_cursor", _("This page link is not valid."), 400)
    if sort != "helpful":
        try:
            values[0] = datetime.fromisoformat(values[0])
        except (TypeError, ValueError):
            raise CommentError("bad_cursor", _("This page link is not valid."), 400) from None
        if values[0].tzinfo is None:
            raise CommentError("bad_cursor", _("This page link is not valid."), 400)
        try:  # year 1 at UTC+14 or year 9999 at UTC-14 do not exist in UTC
            values[0] = values[0].astimezone(UTC)
        except OverflowError:
            raise CommentError("bad_cursor", _("This page link is not valid."), 400) from None
    return values


def thread_page(
    db: Session, round_: Round, item: StrategyItem, viewer: User | None, sort: str = "newest",
    stance: str | None = None, cursor: str | None = None, page_size: int = PAGE_SIZE,
) -> CommentPage:
    """One page of top-level comments with their replies: three queries, however many exist."""
    if sort not in SORTS:
        sort = "newest"
    viewer_id = getattr(viewer, "id", None)
    visible_to_viewer = Comment.state.in_(PUBLIC_STATES)
    if viewer_id:
        own_pending = sa.and_(Comment.state == "pending", Comment.author_id == viewer_id)
        visible_to_viewer = sa.or_(visible_to_viewer, own_pending)
    query = (
        sa.select(Comment)
        .where(Comment.round_id == round_.id, Comment.item_id == item.id, Comment.parent_id.is_(None),
               visible_to_viewer)
        .options(joinedload(Comment.author))
    )
    if stance in STANCES:
        query = query.where(Comment.stance == stance)
    position = decode_cursor(cursor, sort)
    if sort == "helpful":
        order = (Comment.helpful_count.desc(), Comment.id.desc())
        if position:
            query = query.where(sa.tuple_(Comment.helpful_count, Comment.id) < tuple(position))
    elif sort == "oldest":
        order = (Comment.created_at.asc(), Comment.id.asc())
        if position:
            query = query.where(sa.tuple_(Comment.created_at, Comment.id) > tuple(position))
    else:
        order = (Comment.created_at.desc(), Comment.id.desc())
        if position:
            query = query.where(sa.tuple_(Comment.created_at, Comment.id) < tuple(position))
    rows = list(db.scalars(query.order_by(*order).limit(page_size + 1)))
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        key = last.helpful_count if sort == "helpful" else last.created_at.isoformat()
        next_cursor = _encode([key, last.id])
    replies = _replies(db, round_.id, item.id, [c.id for c in rows], viewer_id)
    ids = [c.id for c in rows] + [r.id for rs in replies.values() for r in rs]
    marked: set[int] = set()
    reported: set[int] = set()
    if viewer_id and ids:
        # The viewer's helpful marks and reports on this page in one statement.
        marks = sa.union_all(
            sa.select(HelpfulMark.comment_id, sa.literal("helpful").label("kind"))
            .where(HelpfulMark.user_id == viewer_id, HelpfulMark.comment_id.in_(ids)),
            sa.select(Report.comment_id, sa.literal("report").label("kind"))
            .where(Report.reporter_id == viewer_id, Report.comment_id.in_(ids)),
        )
        for comment_id, kind in db.execute(marks):
            (marked if kind == "helpful" else reported).add(comment_id)
    return CommentPage(rows, replies, next_cursor, marked, frozenset(reported))


def _replies(db: Session, round_id: int, item_id: int, parent_ids: list[int],
             viewer_id: int | None) -> dict[int, list[Comment]]:
    """The first replies of each thread, oldest first, in one query (window function).

    Round and item are named although the parents imply them: so the thread index
    (round, item, parent, created_at, id) serves the query — on its own, SQLite took the
    state index and walked every visible comment of every item.
    """
    if not parent_ids:
        return {}
    visible = Comment.state.in_(PUBLIC_STATES)
    if viewer_id:
        visible = sa.or_(visible, sa.and_(Comment.state == "pending", Comment.author_id == viewer_id))
    numbered = (
        sa.select(Comment.id, sa.func.row_number().over(
            partition_by=Comment.parent_id, order_by=(Comment.created_at, Comment.id)).label("n"))
        .where(Comment.round_id == round_id, Comment.item_id == item_id, Comment.parent_id.in_(parent_ids), visible)
        .subquery()
    )
    rows = db.scalars(
        sa.select(Comment).join(numbered, numbered.c.id == Comment.id)
        .where(numbered.c.n <= REPLIES_SHOWN)
        .order_by(Comment.created_at, Comment.id)
        .options(joinedload(Comment.author))
    )
    out: dict[int, list[Comment]] = {}
    for reply in rows:
        out.setdefault(reply.parent_id, []).append(reply)
    return out


def get_comment(db: Session, comment_id: int) -> Comment | None:
    return db.get(Comment, comment_id)




# --- "download my data" ------------------------------------------------------------------------

def export_comments(db: Session, user: User) -> tuple[str, list[dict]]:
    """Every comment with its earlier wordings (two queries)."""
    rows = list(db.execute(
        sa.select(Comment, StrategyItem.key).join(StrategyItem, StrategyItem.id == Comment.item_id)
        .where(Comment.author_id == user.id).order_by(Comment.created_at, Comment.id)
    ))
    earlier: dict[int, list[dict]] = {}
    for revision in db.scalars(
        sa.select(CommentRevision).join(Comment, Comment.id == CommentRevision.comment_id)
        .where(Comment.author_id == user.id).order_by(CommentRevision.created_at, CommentRevision.id)
    ):
        earlier.setdefault(revision.comment_id, []).append(
            {"body": revision.body, "replaced_at": revision.created_at.isoformat()})
    return "comments", [
        {"id": c.id, "round": c.round_id, "item": key, "reply_to": c.parent_id, "stance": c.stance,
         "body": c.body, "state": c.state, "created_at": c.created_at.isoformat(),
         "edited_at": c.edited_at.isoformat() if c.edited_at else None,
         "earlier_versions": earlier.get(c.id, [])}
        for c, key in rows
    ]


def export_reports_and_marks(db: Session, user: User) -> tuple[str, dict]:
    reports = db.scalars(sa.select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at))
    marks = db.scalars(sa.select(HelpfulMark.comment_id).where(HelpfulMark.user_id == user.id))
    return "discussion", {
        "reports": [{"comment": r.comment_id, "reason": r.reason, "text": r.text,
                     "created_at": r.created_at.isoformat()} for r in reports],
        "helpful_marks": sorted(marks),
    }


def _register_export() -> None:
    from ..accounts.services import EXPORT_SECTIONS

    for section in (export_comments, export_reports_and_marks):
        if section not in EXPORT_SECTIONS:
            EXPORT_SECTIONS.append(section)


_register_export()
