"""Reading the discussion for pages and the API: an item's page of comments, the replies of
one thread, and what is shown of a comment and its author."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User
from ..query import Choice, Text
from ..rounds.models import Round
from ..strategy.models import StrategyItem
from .forms import ReplyForm
from .models import STANCES, Comment, HelpfulMark
from .services import PUBLIC_STATES, SORTS, CommentError, CommentPage, decode_cursor, thread_page

REPLY_PAGE_SIZE = 50  # on the thread page, which pages through all replies of one comment
ID_LIMIT = 2**63  # ids from URLs beyond 64 bits cannot be looked up (the driver would fail)
COLUMN_LIMIT = 2**31  # what an Integer column holds


def get_comment(db: Session, comment_id: int) -> Comment | None:
    return db.get(Comment, comment_id) if 0 < comment_id < ID_LIMIT else None


def author_name(user: User | None) -> str:
    """The display name, or "Deleted account" once the account is gone (anonymised)."""
    if user is None or user.is_deleted or not user.display_name:
        return _("Deleted account")
    return user.display_name


def visible_to(comment: Comment, viewer: Any) -> bool:
    """Public comments (hidden and deleted ones as a notice), and one's own waiting ones."""
    if comment.state in PUBLIC_STATES:
        return True
    return comment.state == "pending" and getattr(viewer, "id", None) == comment.author_id


def shows_body(comment: Comment) -> bool:
    """Hidden and deleted comments show a notice instead of what was written."""
    return comment.state in ("visible", "pending")


def checked_cursor(cursor: str | None, sort: str) -> list | None:
    """``services.decode_cursor``, also refusing what it lets through and the database cannot
    take: a time without zone (the UTC column refuses naive times) and numbers beyond 32 bits."""
    position = decode_cursor(cursor, sort)
    if position is None:
        return None
    key, last_id = position
    # Ids and counts are 32-bit columns: PostgreSQL refuses larger numbers in a row comparison.
    too_big = any(isinstance(value, int) and not -COLUMN_LIMIT <= value < COLUMN_LIMIT for value in (key, last_id))
    if too_big or (isinstance(key, datetime) and key.tzinfo is None):
        raise CommentError("bad_cursor", _("This page link is not valid."), 400)
    return position


SORT = Choice("sort", SORTS, "newest", "Order of the top-level comments")
STANCE = Choice("stance", STANCES, None, "Only comments of this stance")
CURSOR = Text("cursor", "next_cursor of the previous page")


def read_args(args: Any, blank_is_default: bool = True) -> tuple[str, str | None, str | None]:
    """sort, stance and cursor from a query string; a value outside its set is a ``QueryError`` (400)."""
    sort = SORT.read(args, blank_is_default)
    return sort or "newest", STANCE.read(args, blank_is_default), CURSOR.read(args)


def _viewer(user: Any) -> User | None:
    return user if getattr(user, "is_authenticated", False) else None


@dataclass
class Discussion:
    """One page of an item's discussion, as the item page shows it."""

    round: Round
    item: StrategyItem
    page: CommentPage
    sort: str
    stance: str | None
    cursor: str | None
    cursor_error: str | None
    form: Any  # the comment form, refilled with its errors after a failed attempt
    reply_form: Any  # ONE reply form per page, shown under the comment chosen by ?antwort=<id>
    reply_to: int | None = None  # that comment, if it is on this page and open for replies
    reported: frozenset[int] = frozenset()  # comments on this page the viewer has reported

    def url(self, anchor: str = "diskussion", **changes: str | None) -> str:
        """This discussion with other sort, stance or cursor (the defaults are left out)."""
        args = {"sort": self.sort, "stance": self.stance, "cursor": None, **changes}
        if args["sort"] == "newest":
            args["sort"] = None
        query = {name: value for name, value in args.items() if value}
        url = url_for("rounds.item", round_id=self.round.id, key=self.item.key, **query)
        return f"{url}#{anchor}" if anchor else url

    @property
    def here(self) -> str:
        """The page as it is now, to come back to after marking a comment as helpful."""
        return self.url(anchor="", cursor=self.cursor)

    def reply_url(self, comment_id: int) -> str:
        """This page with the reply form under one comment (works without JavaScript)."""
        return self.url(anchor="antwort", cursor=self.cursor, antwort=str(comment_id))


def reported_by(db: Session, viewer: Any, comment_ids: list[int]) -> frozenset[int]:
    """Which of these comments the viewer has reported already (one query)."""
    from .models import Report

    viewer_id = getattr(_viewer(viewer), "id", None)
    if not viewer_id or not comment_ids:
        return frozenset()
    return frozenset(db.scalars(sa.select(Report.comment_id).where(
        Report.reporter_id == viewer_id, Report.comment_id.in_(comment_ids))))


def _reply_target(args: Any, page: CommentPage) -> int | None:
    """``?antwort=<id>``: a comment of this page that takes replies, else None."""
    wanted = args.get("antwort", "")
    if not wanted.isdigit():
        return None
    return next((c.id for c in page.comments if str(c.id) == wanted and c.state == "visible"), None)


def discussion(db: Session, round_: Round, item: StrategyItem, viewer: Any, args: Any, form: Any) -> Discussion:
    sort, stance, cursor = read_args(args)
    cursor_error = None
    try:
        checked_cursor(cursor, sort)
        page = thread_page(db, round_, item, _viewer(viewer), sort=sort, stance=stance, cursor=cursor)
    except CommentError as error:  # a broken page link: show the first page and say so
        cursor_error, cursor = error.message, None
        page = thread_page(db, round_, item, _viewer(viewer), sort=sort, stance=stance)
    return Discussion(round_, item, page, sort, stance, cursor, cursor_error, form, ReplyForm(),
                      _reply_target(args, page), page.reported)


@dataclass
class ReplyPage:
    replies: list[Comment]
    next_cursor: str | None
    marked: set[int]


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def reply_page(db: Session, parent: Comment, viewer: Any, cursor: str | None = None,
               page_size: int = REPLY_PAGE_SIZE) -> ReplyPage:
    """All replies of one comment, oldest first, a page at a time (keyset, like the item page)."""
    viewer_id = getattr(_viewer(viewer), "id", None)
    visible = Comment.state.in_(PUBLIC_STATES)
    if viewer_id:
        visible = sa.or_(visible, sa.and_(Comment.state == "pending", Comment.author_id == viewer_id))
    query = (
        sa.select(Comment).where(Comment.parent_id == parent.id, visible)
        .options(selectinload(Comment.author))
    )
    position = checked_cursor(cursor, "oldest")
    if position:
        query = query.where(sa.tuple_(Comment.created_at, Comment.id) > tuple(position))
    rows = list(db.scalars(query.order_by(Comment.created_at, Comment.id).limit(page_size + 1)))
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = _encode([rows[-1].created_at.isoformat(), rows[-1].id])
    marked: set[int] = set()
    if viewer_id:
        ids = [parent.id] + [reply.id for reply in rows]
        marked = set(db.scalars(sa.select(HelpfulMark.comment_id)
                                .where(HelpfulMark.user_id == viewer_id, HelpfulMark.comment_id.in_(ids))))
    return ReplyPage(rows, next_cursor, marked)
