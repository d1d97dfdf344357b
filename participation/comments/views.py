"""The discussion of an item: list, write, reply, edit, delete, mark helpful, report.

The list itself is part of the item page (``rounds.views.render_item``); these views are the
plain forms behind it, each working without JavaScript. The rules are the services'; a
``CommentError`` is shown next to its field (422) or, for toggles, as a flash message.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import db, permissions
from ..errors import render_error
from ..extensions import comment_limit, helpful_limit, report_limit
from ..proposals.services import public_outcomes
from ..rounds.models import Round
from ..rounds.services import is_verified, scope_item
from ..rounds.views import _round_or_404, render_item
from ..strategy.models import StrategyItem
from ..templating import is_safe_next
from .discussion import author_name, get_comment, reply_page, reported_by, shows_body, visible_to
from .forms import ERROR_FIELDS, CommentForm, EditForm, ReplyForm, ReportForm
from .labels import REASON_LABELS, STANCE_LABELS
from .models import BODY_MAX, REPORT_REASONS, REPORT_TEXT_MAX, STANCES, Comment
from .services import (
    REPLIES_SHOWN,
    CommentError,
    check_body,
    comment_refusal,
    delete_comment,
    edit_comment,
    post_comment,
    report_comment,
    set_helpful,
)

bp = Blueprint("comments", __name__, template_folder="templates")


@bp.app_context_processor
def _helpers() -> dict:
    # Labels translated once per rendering, not once per comment that shows them.
    return {
        "stance_labels": {key: str(label) for key, label in STANCE_LABELS.items()},
        "stances": STANCES,
        "reason_labels": {key: str(label) for key, label in REASON_LABELS.items()},
        "report_reasons": REPORT_REASONS,
        "comment_author": author_name,
        "comment_shows_body": shows_body,
        "comment_body_max": BODY_MAX,
        "report_text_max": REPORT_TEXT_MAX,
        "replies_shown": REPLIES_SHOWN,
    }


class _Gone(Exception):
    """The comment does not exist (any more), or is not for this visitor to see."""


def _comment(round_id: int, comment_id: int) -> tuple[Round, Comment, StrategyItem]:
    round_ = _round_or_404(round_id)
    session = db.session()
    comment = get_comment(session, comment_id)
    if comment is None or comment.round_id != round_.id or not visible_to(comment, current_user):
        raise _Gone
    return round_, comment, session.get(StrategyItem, comment.item_id)


def _gone():
    return render_error(404, _("This comment no longer exists."), "comment_not_found")


def _item_url(round_: Round, item: StrategyItem, anchor: str = "diskussion") -> str:
    return url_for("rounds.item", round_id=round_.id, key=item.key) + f"#{anchor}"


def _thread_url(round_: Round, comment: Comment) -> str:
    return (url_for("comments.thread", round_id=round_.id, comment_id=comment.parent_id or comment.id)
            + f"#beitrag-{comment.id}")


def _back(default: str, anchor: str) -> str:
    """Where the visitor came from (a page of the discussion), else ``default``."""
    target = request.form.get("next")
    return f"{target}#{anchor}" if is_safe_next(target) else default


def _refused(error: CommentError, target: str):
    db.session().rollback()
    flash(error.message, "error")
    return redirect(target)


# --- writing --------------------------------------------------------------------------------

@bp.post("/runden/<int:round_id>/diskussion/<path:key>")
@login_required
@comment_limit
def write(round_id: int, key: str):
    round_ = _round_or_404(round_id)
    session = db.session()
    item = scope_item(session, round_, key)
    if item is None:
        abort(404)
    form = CommentForm()
    official = request.form.get("official") == "1"
    try:
        comment = post_comment(session, round_, item, current_user, form.body.data or "", form.stance.data or "",
                               official=official)
    except CommentError as error:
        session.rollback()
        form.official_requested = official
        if error.code in ERROR_FIELDS:
            _add_all_errors(form, error)
        else:  # e.g. the round has just closed: the page then shows no form to put it in
            flash(error.message, "error")
        return render_item(round_, key, comment_form=form, status=error.status)
    session.commit()
    _flash_posted(comment)
    return redirect(_item_url(round_, item, f"beitrag-{comment.id}"))


def _add_all_errors(form: CommentForm, error: CommentError) -> None:
    """The service stops at the first problem; the form names every problem of its fields at once."""
    form.add_error(error.code, error.message)
    if error.code == "unknown_stance":  # the text was not looked at yet
        try:
            check_body(form.body.data or "")
        except CommentError as more:
            form.add_error(more.code, more.message)


def _flash_posted(comment: Comment) -> None:
    if comment.state == "pending":
        flash(_("Thank you! Your comment will be shown once a moderator has approved it."), "success")
    else:
        flash(_("Thank you! Your comment is published."), "success")


@bp.get("/runden/<int:round_id>/beitraege/<int:comment_id>")
def thread(round_id: int, comment_id: int):
    """One comment with all its replies, a page at a time."""
    try:
        round_, comment, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    if comment.parent_id is not None:
        return redirect(url_for("comments.thread", round_id=round_id, comment_id=comment.parent_id)
                        + f"#beitrag-{comment.id}")
    cursor = request.args.get("cursor") or None
    session = db.session()
    cursor_error = None
    try:
        page = reply_page(session, comment, current_user, cursor)
    except CommentError as error:
        cursor_error, cursor = error.message, None
        page = reply_page(session, comment, current_user)
    return render_template(
        "comments/thread.html", round=round_, item=item, comment=comment, page=page, cursor=cursor,
        cursor_error=cursor_error, reply_form=ReplyForm(),
        can_comment=_can_comment(round_), outcomes=public_outcomes(session, round_, [comment.id]),
        reported=reported_by(session, current_user, [comment.id] + [r.id for r in page.replies]),
    )


def _can_comment(round_) -> bool:
    verified = round_.participation == "codes" and is_verified(db.session(), current_user, round_)
    return permissions.can_comment(current_user, round_, verified=verified)


@bp.route("/runden/<int:round_id>/beitraege/<int:comment_id>/antworten", methods=["GET", "POST"])
@login_required
@comment_limit
def reply(round_id: int, comment_id: int):
    """The reply form on a page of its own: without JavaScript, and to show its errors."""
    try:
        round_, parent, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        session = db.session()
        official = request.form.get("official") == "1"
        try:
            comment = post_comment(session, round_, item, current_user, form.body.data or "",
                                   form.stance.data or "", parent_id=parent.id, official=official)
        except CommentError as error:
            session.rollback()
            form.official_requested = official
            _add_all_errors(form, error)
            status = error.status
        else:
            session.commit()
            _flash_posted(comment)
            if parent.reply_count < REPLIES_SHOWN:  # the reply is on the page the form was on
                return redirect(_back(_thread_url(round_, comment), f"beitrag-{comment.id}"))
            return redirect(_thread_url(round_, comment))
    elif not _can_comment(round_):
        return _refused(comment_refusal(round_), _item_url(round_, item, f"beitrag-{parent.id}"))
    return render_template("comments/reply.html", round=round_, item=item, comment=parent, form=form,
                           next=request.values.get("next", "")), status


@bp.route("/runden/<int:round_id>/beitraege/<int:comment_id>/bearbeiten", methods=["GET", "POST"])
@login_required
@comment_limit
def edit(round_id: int, comment_id: int):
    try:
        round_, comment, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    if not permissions.can_edit_comment(current_user, comment, round_):
        error = CommentError("not_allowed", _("You can no longer change this comment."), 403)
        return _refused(error, _thread_url(round_, comment))
    form = EditForm(data={"body": comment.body})
    status = 200
    if request.method == "POST":
        session = db.session()
        try:
            edit_comment(session, comment, current_user, form.body.data or "", round_)
        except CommentError as error:
            session.rollback()
            form.add_error(error.code, error.message)
            status = error.status
        else:
            session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(_thread_url(round_, comment))
    return render_template("comments/edit.html", round=round_, item=item, comment=comment, form=form), status


@bp.route("/runden/<int:round_id>/beitraege/<int:comment_id>/loeschen", methods=["GET", "POST"])
@login_required
def delete(round_id: int, comment_id: int):
    """Asks first (a page of its own, so it works without JavaScript), then deletes."""
    try:
        round_, comment, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    if comment.state == "deleted":
        return _gone()
    if request.method == "POST":
        session = db.session()
        try:
            delete_comment(session, comment, current_user)
        except CommentError as error:
            return _refused(error, _thread_url(round_, comment))
        session.commit()
        flash(_("Your comment is deleted."), "success")
        return redirect(_thread_url(round_, comment))
    if not permissions.can_delete_comment(current_user, comment):
        return _refused(CommentError("not_allowed", _("You cannot delete this comment."), 403),
                        _thread_url(round_, comment))
    return render_template("comments/delete.html", round=round_, item=item, comment=comment)


@bp.post("/runden/<int:round_id>/beitraege/<int:comment_id>/hilfreich")
@login_required
@helpful_limit
def helpful(round_id: int, comment_id: int):
    """Toggle: ``helpful=1`` marks, ``helpful=0`` takes the mark back."""
    try:
        round_, comment, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    target = _back(_item_url(round_, item, f"beitrag-{comment.id}"), f"beitrag-{comment.id}")
    marking = request.form.get("helpful") != "0"
    session = db.session()
    try:
        set_helpful(session, comment, current_user, round_, marking)
    except CommentError as error:
        return _refused(error, target)
    session.commit()
    flash(_("You marked the comment as helpful.") if marking else _("You took back your “helpful”."), "success")
    return redirect(target)


@bp.route("/runden/<int:round_id>/beitraege/<int:comment_id>/melden", methods=["GET", "POST"])
@login_required
@report_limit
def report(round_id: int, comment_id: int):
    try:
        round_, comment, item = _comment(round_id, comment_id)
    except _Gone:
        return _gone()
    if comment.state == "deleted":
        return _gone()
    back = _item_url(round_, item, f"beitrag-{comment.id}")
    form = ReportForm()
    status = 200
    if request.method == "POST":
        session = db.session()
        try:
            report_comment(session, comment, current_user, form.reason.data or "", form.text.data, round_)
        except CommentError as error:
            if error.code not in ("unknown_reason", "text_required", "text_too_long"):
                return _refused(error, back)  # nothing to correct in the form
            session.rollback()
            form.add_error(error.code, error.message)
            status = error.status
        else:
            session.commit()
            flash(_("Thank you for your report. A moderator will look at the comment."), "success")
            return redirect(back)
    elif comment.author_id == current_user.id:
        return _refused(CommentError("own_comment", _("You cannot report your own comment.")), back)
    elif not permissions.can_report(current_user, comment):
        return _refused(CommentError("not_allowed", _("You cannot report this comment."), 403), back)
    return render_template("comments/report.html", round=round_, item=item, comment=comment, form=form), status
