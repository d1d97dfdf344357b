"""The moderation queue, decisions, blocks, the audit log and the transparency page.

Moderators and admins decide (``can_moderate``); only admins read the audit log. Every decision
is a POST form with a CSRF token that calls one service (which writes the audit entry), commits
once, says what happened and goes back where it came from. A refused decision shows the page
again with the reason next to the form (422), nothing stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import db, permissions
from ..accounts.models import User
from ..comments.labels import REASON_LABELS, STANCE_LABELS
from ..comments.models import HIDE_REASONS, REPORT_REASONS, Comment
from ..db import utcnow
from ..query import Choice
from ..rounds.models import Round
from ..rounds.services import get_round, rateable_items, rounds_for, scope_items
from ..templating import is_safe_next, local_datetime
from . import services
from .forms import (
    BLOCK_DURATIONS,
    BLOCK_LABELS,
    BlockForm,
    DecisionForm,
    HideForm,
    OfficialForm,
    RestoreForm,
    UnblockForm,
)
from .models import AuditEntry

bp = Blueprint("moderation", __name__, template_folder="templates")

AUDIT_PAGE = 50
RECENT_COMMENTS = 20
STATE_LABELS = {
    "visible": _l("Visible"),
    "pending": _l("Waiting for a moderator"),
    "hidden": _l("Hidden by the moderation"),
    "deleted": _l("Deleted by the author"),
}
ACTION_LABELS = {
    "comment.approved": _l("Comment approved"),
    "comment.hidden": _l("Comment hidden"),
    "comment.restored": _l("Comment restored"),
    "comment.auto_hidden": _l("Comment hidden after reports"),
    "comment.official": _l("Marked as reply of the city"),
    "comment.unofficial": _l("No longer reply of the city"),
    "user.blocked": _l("Account blocked"),
    "user.unblocked": _l("Account unblocked"),
    "comment.outcome": _l("Outcome of a comment set"),
    "proposal.created": _l("Proposal written"),
    "proposal.edited": _l("Proposal changed"),
    "proposal.in_review": _l("Proposal submitted for review"),
    "proposal.changes_requested": _l("Changes to a proposal requested"),
    "proposal.recommended": _l("Proposal recommended"),
    "proposal.accepted": _l("Proposal accepted"),
    "proposal.accepted_modified": _l("Proposal accepted with changes"),
    "proposal.rejected": _l("Proposal rejected"),
    "proposal.deferred": _l("Proposal deferred"),
    "proposal.withdrawn": _l("Proposal withdrawn"),
    "proposal.superseded": _l("Proposal superseded by another"),
    "round.advanced": _l("Round moved on"),
    "round.published_with_open_comments": _l("Round published despite comments without outcome"),
    "user.created": _l("Account created"),
    "user.role_changed": _l("Role changed"),
    "round.created": _l("Round created"),
    "round.edited": _l("Round edited"),
    "round.opened": _l("Round opened"),
    "round.closed": _l("Round closed"),
    "round.extended": _l("Closing time extended"),
    "round.consolidation": _l("Consolidation started"),
    "round.published": _l("Results published"),
    "round.codes_generated": _l("Invitation codes generated"),
    "version.imported": _l("Strategy version imported"),
    "version.replaced": _l("Strategy version replaced"),
    "round.exported": _l("Round exported"),
    "round.data_downloaded": _l("Open data downloaded"),
}
OBJECT_LABELS = {"comment": _l("Comment"), "user": _l("Account"), "proposal": _l("Proposal"), "round": _l("Round"),
                 "version": _l("Strategy version")}


@bp.context_processor
def _labels() -> dict:
    return {
        "state_labels": STATE_LABELS,
        "action_labels": ACTION_LABELS,
        "object_labels": OBJECT_LABELS,
        "reason_labels": REASON_LABELS,
        "stance_labels": STANCE_LABELS,
        "block_labels": BLOCK_LABELS,
        "for_good": services.FOR_GOOD,
        "audit_reason": audit_reason,
        "iso_local": _iso_local,
        "hide_reasons": HIDE_REASONS,
        "now": utcnow,
    }


def _iso_local(text: str | None) -> str:
    """A time the audit log keeps as ISO text (in ``details``), shown like every other time."""
    try:
        return local_datetime(datetime.fromisoformat(text)) if text else ""
    except ValueError:
        return text or ""


def _require_moderator() -> None:
    permissions.require(permissions.can_moderate(current_user))


def _comment_or_404(comment_id: int) -> Comment:
    # A decision locks the row (PostgreSQL), so two moderators deciding at once go one after the
    # other and the second sees the first's outcome; SQLite already serialises writing requests.
    lock = request.method == "POST"
    comment = db.session().get(Comment, comment_id, with_for_update=lock or None)
    if comment is None:
        abort(404)
    return comment


def _user_or_404(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _users_by_id(ids: set[int]) -> dict[int, User]:
    """Accounts named on a page, in one query."""
    if not ids:
        return {}
    return {u.id: u for u in db.session().scalars(sa.select(User).where(User.id.in_(sorted(ids))))}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None  # beyond any id or page


def page_links(page: int, pages: int) -> list[int | None]:
    """The first, the last and the pages around the current one; None stands for a gap."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in wanted:
        if links and number - links[-1] > 1:
            links.append(None)
        links.append(number)
    return links


def _pages(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def _back(form: DecisionForm, default: str) -> str:
    return form.next.data if is_safe_next(form.next.data) else default


def _may_be_official(comment: Comment) -> bool:
    """The city's reply comes from its own people; a mark can always be taken back."""
    return comment.state != "deleted" and (
        comment.is_official or (comment.author is not None and comment.author.role in ("moderator", "admin"))
    )


# --- the queue -----------------------------------------------------------------------------------

@bp.get("/moderation")
@login_required
def queue():
    _require_moderator()
    session = db.session()
    rounds = rounds_for(session, include_drafts=True)
    chosen_round = next((r for r in rounds if r.id == _int_arg("round")), None)
    item_key = (request.args.get("item") or "").strip()[:120] or None
    reason = Choice("reason", REPORT_REASONS).read(request.args, blank_is_default=True)
    filters = {"round": chosen_round.id if chosen_round else None, "item": item_key, "reason": reason}

    page = _int_arg("page") or 1
    comments, reports, total = services.queue(session, round_id=filters["round"], item_key=item_key,
                                              reason=reason, page=page)
    pages = _pages(total, services.QUEUE_PAGE)
    if page > pages:  # an old link after decisions shortened the queue: show its last page
        page = pages
        comments, reports, total = services.queue(session, round_id=filters["round"], item_key=item_key,
                                                  reason=reason, page=page)
    return render_template(
        "moderation/queue.html",
        comments=comments, reports=reports, total=total, context=services.comment_context(session, comments),
        rounds=rounds, chosen_round=chosen_round,
        round_items=scope_items(session, chosen_round) if chosen_round else _current_items(session),
        filters=filters, query={k: v for k, v in filters.items() if v},
        page=page, pages=pages, page_links=page_links(page, pages),
        report_reasons=REPORT_REASONS, forms=_fresh_forms(), may_be_official=_may_be_official,
    )


def _current_items(session) -> list:
    """Without a chosen round, the items of the current strategy (keys are the same in every version)."""
    from ..strategy.services import current_version

    version = current_version(session)
    return rateable_items(session, version) if version is not None else []


def _fresh_forms() -> dict:
    return {
        "decision": DecisionForm(formdata=None),
        "hide": HideForm(formdata=None),
        "restore": RestoreForm(formdata=None),
        "official": OfficialForm(formdata=None),
        "block": BlockForm(formdata=None),
        "unblock": UnblockForm(formdata=None),
    }


# --- one comment ----------------------------------------------------------------------------------

def _comment_page(comment: Comment, failed: tuple[str, DecisionForm] | None = None, error: str | None = None):
    session = db.session()
    forms = _fresh_forms()
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template(
        "moderation/comment.html",
        comment=comment, context=services.comment_context(session, [comment]),
        reports=services.reports_of(session, comment.id),
        entries=services.audit_of(session, "comment", comment.id),
        forms=forms, failed=failed[0] if failed else None, error=error,
        may_be_official=_may_be_official,
    ), 422 if failed or error else 200


@bp.get("/moderation/beitraege/<int:comment_id>")
@login_required
def comment(comment_id: int):
    _require_moderator()
    return _comment_page(_comment_or_404(comment_id))


def _decide(comment: Comment, kind: str, form: DecisionForm, act, message: str):
    """Validate, call the service, commit once and go back; or show why not (422)."""
    if not form.validate_on_submit():
        return _comment_page(comment, (kind, form))
    session = db.session()
    try:
        act(session)
    except services.ModerationError as error:
        session.rollback()
        return _comment_page(_comment_or_404(comment.id), (kind, form), error.message)
    session.commit()
    flash(message, "success")
    return redirect(_back(form, url_for("moderation.comment", comment_id=comment.id)))


@bp.post("/moderation/beitraege/<int:comment_id>/freigeben")
@login_required
def approve(comment_id: int):
    _require_moderator()
    comment = _comment_or_404(comment_id)
    message = (_("The comment is visible now.") if comment.state == "pending"
               else _("The reports have been dismissed; the comment stays visible."))
    return _decide(comment, "decision", DecisionForm(),
                   lambda session: services.approve(session, comment, current_user), message)


@bp.post("/moderation/beitraege/<int:comment_id>/ausblenden")
@login_required
def hide(comment_id: int):
    _require_moderator()
    comment = _comment_or_404(comment_id)
    form = HideForm()
    informed = comment.author is not None and bool(comment.author.email) and not comment.author.is_deleted
    message = (_("The comment has been hidden. Its author has been told why by e-mail.") if informed
               else _("The comment has been hidden."))
    return _decide(comment, "hide", form,
                   lambda session: services.hide(session, comment, current_user, form.reason.data, form.note.data),
                   message)


@bp.post("/moderation/beitraege/<int:comment_id>/wiederherstellen")
@login_required
def restore(comment_id: int):
    _require_moderator()
    comment = _comment_or_404(comment_id)
    form = RestoreForm()
    return _decide(comment, "restore", form,
                   lambda session: services.restore(session, comment, current_user, form.note.data or None),
                   _("The comment is visible again."))


@bp.post("/moderation/beitraege/<int:comment_id>/antwort-der-stadt")
@login_required
def official(comment_id: int):
    _require_moderator()
    comment = _comment_or_404(comment_id)
    form = OfficialForm()
    mark = form.official.data == "1"
    message = (_("The comment is marked as a reply of the city.") if mark
               else _("The comment is no longer marked as a reply of the city."))
    return _decide(comment, "official", form,
                   lambda session: services.set_official(session, comment, current_user, mark), message)


# --- one account -----------------------------------------------------------------------------------

def _user_page(user: User, failed: tuple[str, DecisionForm] | None = None, error: str | None = None):
    session = db.session()
    forms = _fresh_forms()
    if failed is not None:
        forms[failed[0]] = failed[1]
    blocks = services.blocks_of(session, user.id)
    comments = services.comments_by(session, user.id, RECENT_COMMENTS)
    creators = _users_by_id({b.created_by_id for b in blocks})
    return render_template(
        "moderation/user.html",
        account=user, blocked=user.is_blocked(utcnow()), blocks=blocks, creators=creators,
        comments=comments, context=services.comment_context(session, comments),
        entries=services.audit_of(session, "user", user.id),
        show_email=permissions.can_administer(current_user),
        forms=forms, failed=failed[0] if failed else None, error=error,
    ), 422 if failed or error else 200


@bp.get("/moderation/nutzer/<int:user_id>")
@login_required
def user(user_id: int):
    _require_moderator()
    return _user_page(_user_or_404(user_id))


@bp.post("/moderation/nutzer/<int:user_id>/sperren")
@login_required
def block(user_id: int):
    _require_moderator()
    person = _user_or_404(user_id)
    form = BlockForm()
    if not form.validate_on_submit():
        return _user_page(person, ("block", form))
    days = BLOCK_DURATIONS[form.duration.data]
    until = utcnow() + timedelta(days=days) if days else None
    session = db.session()
    try:
        services.block(session, person, current_user, until, form.reason.data)
    except services.ModerationError as error:
        session.rollback()
        return _user_page(_user_or_404(user_id), ("block", form), error.message)
    session.commit()
    name = person.display_name or _("Deleted account")
    if until is None:
        flash(_("%(name)s is blocked for good.", name=name), "success")
    else:
        flash(_("%(name)s is blocked until %(until)s.", name=name, until=local_datetime(until)), "success")
    return redirect(_back(form, url_for("moderation.user", user_id=user_id)))


@bp.post("/moderation/nutzer/<int:user_id>/entsperren")
@login_required
def unblock(user_id: int):
    _require_moderator()
    person = _user_or_404(user_id)
    form = UnblockForm()
    if not form.validate_on_submit():
        return _user_page(person, ("unblock", form))
    session = db.session()
    try:
        services.unblock(session, person, current_user, form.reason.data)
    except services.ModerationError as error:
        session.rollback()
        return _user_page(_user_or_404(user_id), ("unblock", form), error.message)
    session.commit()
    flash(_("%(name)s is no longer blocked.", name=person.display_name or _("Deleted account")), "success")
    return redirect(_back(form, url_for("moderation.user", user_id=user_id)))


# --- the audit log (admins) -----------------------------------------------------------------------

@bp.get("/verwaltung/protokoll")
@login_required
def audit_log():
    permissions.require(permissions.can_view_audit_log(current_user))
    session = db.session()
    action = Choice("action", tuple(ACTION_LABELS)).read(request.args, blank_is_default=True)
    object_type = Choice("object_type", tuple(OBJECT_LABELS)).read(request.args, blank_is_default=True)
    actor_arg = request.args.get("actor", "")
    automatic = actor_arg == "automatic"
    actor_id = None if automatic else _int_arg("actor")
    filters = {"action": action, "actor": "automatic" if automatic else actor_id, "object_type": object_type}

    page = _int_arg("page") or 1
    entries, total = services.log_entries(session, action, actor_id, object_type, page=page,
                                          page_size=AUDIT_PAGE, automatic=automatic)
    pages = _pages(total, AUDIT_PAGE)
    if page > pages:
        page = pages
        entries, total = services.log_entries(session, action, actor_id, object_type, page=page,
                                              page_size=AUDIT_PAGE, automatic=automatic)
    accounts = _users_by_id({e.object_id for e in entries if e.object_type == "user" and e.object_id})
    return render_template(
        "moderation/audit_log.html",
        entries=entries, total=total, accounts=accounts, actors=services.audit_actors(session),
        filters=filters, query={k: v for k, v in filters.items() if v},
        page=page, pages=pages, page_links=page_links(page, pages),
    )


def audit_reason(entry: AuditEntry) -> str:
    """The reason as people read it: the label of a hiding reason, the text otherwise."""
    if entry.action == "comment.hidden" and entry.reason in REASON_LABELS:
        return str(REASON_LABELS[entry.reason])
    return entry.reason or ""


# --- transparency (public) ---------------------------------------------------------------------------

@bp.get("/runden/<int:round_id>/transparenz")
def transparency(round_id: int):
    round_: Round | None = get_round(db.session(), round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    from ..proposals.services import publication_overrides

    return render_template("moderation/transparency.html", round=round_,
                           numbers=services.transparency(db.session(), round_.id),
                           overrides=publication_overrides(db.session(), round_))
