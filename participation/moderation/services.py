"""Moderation use cases and the audit log. Every decision is recorded with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User
from ..db import utcnow
from ..mail import services as mail
from ..service_errors import ServiceError
from ..urls import public_url
from .models import AuditEntry, UserBlock

FOR_GOOD = datetime(9999, 12, 31, tzinfo=UTC)


class ModerationError(ServiceError):
    """A moderation step refused (see ``ServiceError``)."""


def audit(db: Session, actor: User | None, action: str, object_type: str, object_id: int | None,
          reason: str | None = None, **details: object) -> AuditEntry:
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None), action=action, object_type=object_type, object_id=object_id,
        reason=reason, details=details or None, created_at=utcnow(),
    )
    db.add(entry)
    db.flush()
    return entry


# --- comments ---------------------------------------------------------------------------------

def _resolve_reports(db: Session, comment, moderator: User) -> None:
    from ..comments.models import Comment, Report

    db.execute(sa.update(Report).where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
               .values(resolved_at=utcnow(), resolved_by_id=moderator.id))
    db.execute(sa.update(Comment).where(Comment.id == comment.id).values(report_count=0))
    comment.report_count = 0


def _reply_count(db: Session, comment, delta: int) -> None:
    from ..comments.models import Comment

    if comment.parent_id is not None:
        db.execute(sa.update(Comment).where(Comment.id == comment.parent_id)
                   .values(reply_count=Comment.reply_count + delta))


def hide_automatically(db: Session, comment) -> None:
    """Enough people reported it: hidden until a moderator looks (state pending).

    A conditional UPDATE, so two reports arriving at the same moment hide it (and count it off
    its thread, and write the audit entry) once.
    """
    from ..comments.models import Comment

    hidden = db.execute(sa.update(Comment).where(Comment.id == comment.id, Comment.state == "visible")
                        .values(state="pending")).rowcount
    if not hidden:
        return
    _reply_count(db, comment, -1)
    db.flush()
    audit(db, None, "comment.auto_hidden", "comment", comment.id, None, reports=comment.report_count)


def approve(db: Session, comment, moderator: User, note: str | None = None) -> None:
    """Pending (pre-moderation or reported) → visible; open reports are resolved."""
    if comment.state not in ("pending", "visible"):
        raise ModerationError("wrong_state", _("Only waiting or visible comments can be approved."))
    if comment.state == "pending":
        _reply_count(db, comment, +1)
    comment.state = "visible"
    comment.moderated_at = utcnow()
    comment.moderated_by_id = moderator.id
    _resolve_reports(db, comment, moderator)
    db.flush()
    audit(db, moderator, "comment.approved", "comment", comment.id, note)


def hide(db: Session, comment, moderator: User, reason: str, note: str | None) -> None:
    """Hide with a public reason; the author is told by e-mail how to object."""
    from ..comments.models import HIDE_REASONS

    if reason not in HIDE_REASONS:
        raise ModerationError("unknown_reason", _("Please choose a reason."))
    if comment.state in ("hidden", "deleted"):
        raise ModerationError("wrong_state", _("This comment is not shown anyway."))
    if comment.state == "visible":
        _reply_count(db, comment, -1)
    comment.state = "hidden"
    comment.moderation_reason = reason
    comment.moderation_note = (note or "").strip() or None
    comment.moderated_at = utcnow()
    comment.moderated_by_id = moderator.id
    _resolve_reports(db, comment, moderator)
    db.flush()
    audit(db, moderator, "comment.hidden", "comment", comment.id, reason, note=comment.moderation_note)
    author = db.get(User, comment.author_id)
    if author is not None and author.email and not author.is_deleted:
        from ..comments.labels import REASON_LABELS

        mail.queue(
            db, author.email, "comment_hidden", author.language, user_id=author.id,
            user=author, comment=comment, reason_key=reason, reason_labels=REASON_LABELS,
            note=comment.moderation_note,
            link=public_url("rounds.item", round_id=comment.round_id, key=_item_key(db, comment),
                            _anchor=f"beitrag-{comment.id}"),
            netiquette=public_url("pages.show", slug="netiquette"),
        )


def _item_key(db: Session, comment) -> str:
    from ..strategy.models import StrategyItem

    return db.scalar(sa.select(StrategyItem.key).where(StrategyItem.id == comment.item_id))


def restore(db: Session, comment, moderator: User, note: str | None = None) -> None:
    if comment.state != "hidden":
        raise ModerationError("wrong_state", _("Only hidden comments can be restored."))
    comment.state = "visible"
    comment.moderation_reason = None
    comment.moderation_note = None  # the hiding note would otherwise outlive the decision
    comment.moderated_at = utcnow()
    comment.moderated_by_id = moderator.id
    _reply_count(db, comment, +1)
    db.flush()
    audit(db, moderator, "comment.restored", "comment", comment.id, note)


def set_official(db: Session, comment, moderator: User, official: bool) -> None:
    """Mark a comment as the city's official reply ("Antwort der Stadt"), or unmark it."""
    if comment.state == "deleted":
        raise ModerationError("wrong_state", _("This comment has been deleted."))
    if official:
        author = db.get(User, comment.author_id)
        # Only the city's own people speak for the city: a resident's comment is never its answer.
        if author is None or author.role not in ("moderator", "admin"):
            raise ModerationError("not_staff", _("Only comments by moderators or administrators can be "
                                                 "marked as a reply of the city."))
    if comment.is_official == official:
        return
    comment.is_official = official
    db.flush()
    audit(db, moderator, "comment.official" if official else "comment.unofficial", "comment", comment.id)


# --- blocks -------------------------------------------------------------------------------------

def block(db: Session, user: User, moderator: User, until: datetime | None, reason: str) -> UserBlock:
    """Block for a time (until) or for good (None). Blocked people read but cannot write or rate."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("reason_required", _("Please give a reason."))
    if user.id == moderator.id:
        raise ModerationError("self", _("You cannot block yourself."))
    if user.role in ("moderator", "admin"):
        raise ModerationError("staff", _("Moderators and administrators cannot be blocked."))
    if until is not None and until <= utcnow():
        raise ModerationError("until_in_past", _("The end of the block must lie in the future."))
    entry = UserBlock(user_id=user.id, until=until, reason=reason, created_by_id=moderator.id, created_at=utcnow())
    db.add(entry)
    user.blocked_until = until or FOR_GOOD
    db.flush()
    audit(db, moderator, "user.blocked", "user", user.id, reason,
          until=until.isoformat() if until else None)
    return entry


def unblock(db: Session, user: User, moderator: User, reason: str | None = None) -> None:
    if not user.is_blocked(utcnow()):
        raise ModerationError("not_blocked", _("This account is not blocked."))
    db.execute(sa.update(UserBlock).where(UserBlock.user_id == user.id, UserBlock.lifted_at.is_(None))
               .values(lifted_at=utcnow()))
    user.blocked_until = None
    db.flush()
    audit(db, moderator, "user.unblocked", "user", user.id, (reason or "").strip() or None)


# --- the queue, the log, the transparency page ----------------------------------------------------

QUEUE_PAGE = 25


def queue(db: Session, round_id: int | None = None, item_id: int | None = None, reason: str | None = None,
          page: int = 1, item_key: str | None = None):
    """Comments that need a moderator: waiting for approval or with open reports, oldest first.

    ``item_key`` filters by the stable key, so without a round it finds the item in every version.
    """
    from ..comments.models import Comment, Report
    from ..strategy.models import StrategyItem

    query = (
        sa.select(Comment)
        .where(sa.or_(Comment.state == "pending", sa.and_(Comment.report_count > 0, Comment.state == "visible")))
        .options(selectinload(Comment.author))
    )
    if round_id:
        query = query.where(Comment.round_id == round_id)
    if item_id:
        query = query.where(Comment.item_id == item_id)
    if item_key:
        query = query.where(Comment.item_id.in_(sa.select(StrategyItem.id).where(StrategyItem.key == item_key)))
    if reason:
        query = query.where(sa.exists().where(Report.comment_id == Comment.id, Report.reason == reason,
                                             Report.resolved_at.is_(None)))
    total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    comments = list(db.scalars(query.order_by(Comment.created_at, Comment.id)
                               .offset((max(page, 1) - 1) * QUEUE_PAGE).limit(QUEUE_PAGE)))
    reports: dict[int, list] = {}
    if comments:
        for report in db.scalars(sa.select(Report).where(Report.comment_id.in_([c.id for c in comments]),
                                                        Report.resolved_at.is_(None))
                                 .order_by(Report.created_at).options(selectinload(Report.reporter))):
            reports.setdefault(report.comment_id, []).append(report)
    return comments, reports, total


@dataclass
class CommentContext:
    """What a list of comments shows besides the comments: their rounds, items and earlier wordings."""

    rounds: dict[int, object]
    items: dict[int, object]
    revisions: dict[int, list]


def comment_context(db: Session, comments: list) -> CommentContext:
    """Three queries for any number of comments (no query per comment)."""
    from ..comments.models import CommentRevision
    from ..rounds.models import Round
    from ..strategy.models import StrategyItem

    if not comments:
        return CommentContext({}, {}, {})
    rounds = {r.id: r for r in db.scalars(sa.select(Round).where(Round.id.in_(list({c.round_id for c in comments}))))}
    items = {i.id: i for i in db.scalars(sa.select(StrategyItem)
                                         .where(StrategyItem.id.in_(list({c.item_id for c in comments}))))}
    revisions: dict[int, list] = {}
    for revision in db.scalars(sa.select(CommentRevision)
                               .where(CommentRevision.comment_id.in_([c.id for c in comments]))
                               .order_by(CommentRevision.created_at, CommentRevision.id)):
        revisions.setdefault(revision.comment_id, []).append(revision)
    return CommentContext(rounds, items, revisions)


def reports_of(db: Session, comment_id: int) -> list:
    """Every report of a comment, open and resolved, oldest first."""
    from ..comments.models import Report

    return list(db.scalars(sa.select(Report).where(Report.comment_id == comment_id)
                           .order_by(Report.created_at, Report.id).options(selectinload(Report.reporter))))


def audit_of(db: Session, object_type: str, object_id: int) -> list[AuditEntry]:
    """The decisions about one comment or account, oldest first."""
    return list(db.scalars(sa.select(AuditEntry)
                           .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
                           .order_by(AuditEntry.created_at, AuditEntry.id).options(selectinload(AuditEntry.actor))))


def blocks_of(db: Session, user_id: int) -> list[UserBlock]:
    """An account's blocks, newest first."""
    return list(db.scalars(sa.select(UserBlock).where(UserBlock.user_id == user_id)
                           .order_by(UserBlock.created_at.desc(), UserBlock.id.desc())))


def comments_by(db: Session, user_id: int, limit: int = 20) -> list:
    """An account's latest comments in every state, newest first."""
    from ..comments.models import Comment

    return list(db.scalars(sa.select(Comment).where(Comment.author_id == user_id)
                           .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))


def audit_actors(db: Session) -> list[User]:
    """The people who appear in the audit log, for its filter."""
    return list(db.scalars(sa.select(User).where(User.id.in_(
        sa.select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)).distinct()
    )).order_by(User.display_name, User.id)))


def log_entries(db: Session, action: str | None = None, actor_id: int | None = None,
                object_type: str | None = None, page: int = 1, page_size: int = 50, automatic: bool = False):
    """The audit log, newest first; ``automatic`` keeps only what the system did by itself."""
    query = sa.select(AuditEntry).options(selectinload(AuditEntry.actor))
    if action:
        query = query.where(AuditEntry.action == action)
    if automatic:
        query = query.where(AuditEntry.actor_id.is_(None))
    elif actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    entries = list(db.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                              .offset((max(page, 1) - 1) * page_size).limit(page_size)))
    return entries, total


@dataclass
class Transparency:
    total: int
    visible: int
    hidden: int
    pending: int
    hidden_by_reason: dict[str, int]


def transparency(db: Session, round_id: int) -> Transparency:
    from ..comments.models import Comment

    by_state = dict(db.execute(sa.select(Comment.state, sa.func.count()).where(Comment.round_id == round_id)
                               .group_by(Comment.state)).all())
    by_reason = dict(db.execute(
        sa.select(Comment.moderation_reason, sa.func.count())
        .where(Comment.round_id == round_id, Comment.state == "hidden").group_by(Comment.moderation_reason)
    ).all())
    return Transparency(
        total=sum(by_state.values()), visible=by_state.get("visible", 0), hidden=by_state.get("hidden", 0),
        pending=by_state.get("pending", 0), hidden_by_reason=by_reason,
    )
