"""The discussion in the JSON API: read an item's comments, write, mark helpful, report.

The same services and rules as the forms; a ``CommentError`` becomes
``{"error": {"code", "message"}}`` with its status (``participation.errors``).
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..comments.discussion import CURSOR, SORT, STANCE, author_name, checked_cursor, get_comment, shows_body, visible_to
from ..comments.models import Comment
from ..comments.services import post_comment, report_comment, set_helpful, thread_page
from ..errors import json_error
from ..extensions import comment_limit, helpful_limit, report_limit
from ..proposals.services import public_outcomes
from ..rounds.models import Round
from ..rounds.services import get_round, scope_item
from . import models
from .common import visible_round
from .endpoint import endpoint
from .views import bp


def comment_json(comment: Comment, marked: set[int] | frozenset = frozenset(), outcomes: dict | None = None) -> dict:
    """A comment as the API shows it: hidden and deleted ones without their text."""
    from .proposals import outcome_json

    deleted = comment.state == "deleted"
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "stance": comment.stance,
        "state": comment.state,
        "body_html": comment.body_html if shows_body(comment) else "",
        "author": None if deleted else author_name(comment.author),
        "author_deleted": comment.author.is_deleted if comment.author else True,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at and not deleted else None,
        "helpful_count": comment.helpful_count,
        "reply_count": comment.reply_count,
        "is_official": comment.is_official,
        "moderation_reason": comment.moderation_reason if comment.state == "hidden" else None,
        "marked_helpful": comment.id in marked,
        "outcome": outcome_json((outcomes or {}).get(comment.id)),
    }


def _item_not_in_round():
    return json_error(404, "item_not_in_round", _("This item is not part of the round."))


@endpoint(bp, "GET", "/rounds/<int:round_id>/items/<path:key>/comments",
          "The discussion of an item: top-level comments with their first replies, paginated",
          description="Visible comments, hidden and deleted ones as notices without text, and the caller's "
                      "own comments waiting for approval. Keyset-paginated: follow next_cursor.",
          answer=models.CommentPage, query=(SORT, STANCE, CURSOR),
          errors={400: "Broken cursor (bad_cursor)",
                  404: "Unknown round, or item not in the round (item_not_in_round)"})
def list_comments(round_id: int, key: str, query: dict):
    round_ = visible_round(round_id)
    session = db.session()
    item = scope_item(session, round_, key)
    if item is None:
        return _item_not_in_round()
    sort, stance, cursor = query["sort"], query["stance"], query["cursor"]
    viewer = current_user if current_user.is_authenticated else None
    checked_cursor(cursor, sort)
    page = thread_page(session, round_, item, viewer, sort=sort, stance=stance, cursor=cursor)
    outcomes = public_outcomes(session, round_, [c.id for c in page.comments])
    return jsonify({
        "round": round_.id,
        "key": item.key,
        "sort": sort,
        "stance": stance,
        "comments": [
            {**comment_json(c, page.marked, outcomes),
             "replies": [comment_json(reply, page.marked) for reply in page.replies.get(c.id, [])]}
            for c in page.comments
        ],
        "next_cursor": page.next_cursor,
    })


@endpoint(bp, "POST", "/rounds/<int:round_id>/items/<path:key>/comments",
          "Write a comment, or reply to a top-level comment (parent_id)",
          description="Under pre-moderation the comment is stored with state pending. Rate-limited per account.",
          body=models.CommentInput, answer=models.Comment, status=201, login=True,
          errors={403: "Round not open, or blocked (round_not_open, not_allowed)",
                  404: "Unknown round or item, or the comment replied to is gone (item_not_in_round, parent_not_found)",
                  422: "empty_body, body_too_long, unknown_stance, reply_too_deep, parent_elsewhere, duplicate",
                  429: "Too many comments in a short time (rate_limited)"})
@comment_limit
def create_comment(round_id: int, key: str, body: models.CommentInput):
    round_ = visible_round(round_id)
    session = db.session()
    item = scope_item(session, round_, key)
    comment = post_comment(session, round_, item, current_user, body.body, body.stance, parent_id=body.parent_id)
    session.commit()
    return jsonify(comment_json(comment)), 201


def _comment(comment_id: int) -> tuple[Comment, Round] | None:
    """The comment and its round, if the visitor may see it and it still exists."""
    session = db.session()
    comment = get_comment(session, comment_id)
    if comment is None or comment.state == "deleted" or not visible_to(comment, current_user):
        return None
    round_ = get_round(session, comment.round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        return None
    return comment, round_


def _comment_not_found():
    return json_error(404, "comment_not_found", _("This comment no longer exists."))


HELPFUL_ERRORS = {
    403: "Not possible: one's own comment, round not open, or blocked (not_allowed)",
    404: "The comment does not exist (any more) (comment_not_found)",
    429: "Too many marks in a short time (rate_limited)",
}


@endpoint(bp, "POST", "/comments/<int:comment_id>/helpful",
          "Mark a comment as helpful (once per person; again is the same as once)",
          answer=models.HelpfulState, login=True, errors=HELPFUL_ERRORS)
@helpful_limit
def comment_helpful(comment_id: int):
    return _helpful(comment_id, marking=True)


@endpoint(bp, "DELETE", "/comments/<int:comment_id>/helpful", "Take one's helpful mark back",
          answer=models.HelpfulState, login=True, errors=HELPFUL_ERRORS)
@helpful_limit
def unmark_helpful(comment_id: int):
    return _helpful(comment_id, marking=False)


def _helpful(comment_id: int, marking: bool):
    """Both directions are idempotent."""
    found = _comment(comment_id)
    if found is None:
        return _comment_not_found()
    comment, round_ = found
    session = db.session()
    count = set_helpful(session, comment, current_user, round_, marking)
    session.commit()
    return jsonify({"comment_id": comment.id, "helpful_count": count, "marked": marking})


@endpoint(bp, "POST", "/comments/<int:comment_id>/reports",
          "Report a comment to the moderation (once per person; not one's own)",
          body=models.ReportInput, answer=models.StoredReport, status=201, login=True,
          errors={403: "Not allowed, e.g. blocked (not_allowed)",
                  404: "The comment does not exist (any more) (comment_not_found)",
                  422: "own_comment, already_reported, unknown_reason, text_required, text_too_long",
                  429: "Too many reports in a short time (rate_limited)"})
@report_limit
def create_report(comment_id: int, body: models.ReportInput):
    found = _comment(comment_id)
    if found is None:
        return _comment_not_found()
    comment, round_ = found
    session = db.session()
    report = report_comment(session, comment, current_user, body.reason, body.text, round_)
    session.commit()
    return jsonify({
        "id": report.id, "comment_id": comment.id, "reason": report.reason,
        "message": _("Thank you for your report. A moderator will look at the comment."),
    }), 201

