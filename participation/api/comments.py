"""The discussion in the JSON API: read an item's comments, write, mark helpful, report.

The same services and rules as the forms; a ``CommentError`` becomes
``{"error": {"code", "message"}}`` with its status.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, permissions
from ..comments.discussion import author_name, checked_cursor, get_comment, read_args, shows_body, visible_to
from ..comments.models import Comment
from ..comments.services import (
    CommentError,
    post_comment,
    report_comment,
    set_helpful,
    thread_page,
)
from ..errors import json_error
from ..extensions import comment_limit, helpful_limit, report_limit
from ..proposals.services import public_outcomes
from ..rounds.models import Round
from ..rounds.services import get_round, scope_item
from .rounds import _require_login, _visible_round
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


def _error(error: CommentError):
    db.session().rollback()
    return json_error(error.status, error.code, error.message)


def _payload(*required: str) -> dict | None:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or any(name not in payload for name in required):
        return None
    return payload


def _item_not_in_round():
    return json_error(404, "item_not_in_round", _("This item is not part of the round."))


@bp.get("/rounds/<int:round_id>/items/<path:key>/comments")
def list_comments(round_id: int, key: str):
    round_ = _visible_round(round_id)
    session = db.session()
    item = scope_item(session, round_, key)
    if item is None:
        return _item_not_in_round()
    sort, stance, cursor = read_args(request.args)
    viewer = current_user if current_user.is_authenticated else None
    try:
        checked_cursor(cursor, sort)
        page = thread_page(session, round_, item, viewer, sort=sort, stance=stance, cursor=cursor)
    except CommentError as error:
        return _error(error)
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


@bp.post("/rounds/<int:round_id>/items/<path:key>/comments")
@comment_limit
def create_comment(round_id: int, key: str):
    round_ = _visible_round(round_id)
    if (problem := _require_login()) is not None:
        return problem
    payload = _payload("body", "stance")
    parent_id = payload.get("parent_id") if payload else None
    if (payload is None or not isinstance(payload["body"], str) or not isinstance(payload["stance"], str)
            or (parent_id is not None and (isinstance(parent_id, bool) or not isinstance(parent_id, int)))):
        return json_error(400, "invalid_json", _("Send JSON with “body”, “stance” and, for a reply, “parent_id”."))
    session = db.session()
    item = scope_item(session, round_, key)
    try:
        comment = post_comment(session, round_, item, current_user, payload["body"], payload["stance"],
                               parent_id=parent_id)
    except CommentError as error:
        return _error(error)
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


@bp.route("/comments/<int:comment_id>/helpful", methods=["POST", "DELETE"])
@helpful_limit
def comment_helpful(comment_id: int):
    """POST marks the comment as helpful, DELETE takes the mark back; both are idempotent."""
    if (problem := _require_login()) is not None:
        return problem
    found = _comment(comment_id)
    if found is None:
        return _comment_not_found()
    comment, round_ = found
    marking = request.method == "POST"
    session = db.session()
    try:
        count = set_helpful(session, comment, current_user, round_, marking)
    except CommentError as error:
        return _error(error)
    session.commit()
    return jsonify({"comment_id": comment.id, "helpful_count": count, "marked": marking})


@bp.post("/comments/<int:comment_id>/reports")
@report_limit
def create_report(comment_id: int):
    if (problem := _require_login()) is not None:
        return problem
    payload = _payload("reason")
    text = payload.get("text") if payload else None
    if payload is None or not isinstance(payload["reason"], str) or not isinstance(text, str | None):
        return json_error(400, "invalid_json", _("Send JSON with “reason” and, if you like, “text”."))
    found = _comment(comment_id)
    if found is None:
        return _comment_not_found()
    comment, round_ = found
    session = db.session()
    try:
        report = report_comment(session, comment, current_user, payload["reason"], text, round_)
    except CommentError as error:
        return _error(error)
    session.commit()
    return jsonify({
        "id": report.id, "comment_id": comment.id, "reason": report.reason,
        "message": _("Thank you for your report. A moderator will look at the comment."),
    }), 201

