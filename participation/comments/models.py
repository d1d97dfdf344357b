"""Comments on the items of a round: one moderation state plus separate reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, enum_column, utcnow

STANCES = ("support", "criticism", "suggestion", "question")
# visible: public; pending: waits for a moderator (pre-moderation, or too many reports);
# hidden: removed by a moderator, with a public reason; deleted: by its author.
STATES = ("visible", "pending", "hidden", "deleted")
REPORT_REASONS = ("insult", "spam", "misinformation", "privacy", "other")
# Why a moderator hides a comment (shown to everyone) — the report reasons plus off-topic.
HIDE_REASONS = ("insult", "spam", "misinformation", "privacy", "off_topic", "other")
BODY_MAX = 3000
REPORT_TEXT_MAX = 1000


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (
        # The discussion of one item, newest or most helpful first, one index each.
        sa.Index("ix_comment_thread_new", "round_id", "item_id", "parent_id", "created_at", "id"),
        sa.Index("ix_comment_thread_helpful", "round_id", "item_id", "parent_id", "helpful_count", "id"),
        sa.Index("ix_comment_queue", "state", "report_count"),
        # Top-level pages: "parent_id IS NULL" is no equality, so the indexes above cannot serve
        # their ORDER BY; these partial ones can.
        sa.Index("ix_comment_top_new", "round_id", "item_id", "created_at", "id",
                 postgresql_where=sa.text("parent_id IS NULL"), sqlite_where=sa.text("parent_id IS NULL")),
        sa.Index("ix_comment_top_helpful", "round_id", "item_id", "helpful_count", "id",
                 postgresql_where=sa.text("parent_id IS NULL"), sqlite_where=sa.text("parent_id IS NULL")),
        # The same filtered by stance: otherwise a rare stance walks the item's whole discussion.
        sa.Index("ix_comment_top_stance_new", "round_id", "item_id", "stance", "created_at", "id",
                 postgresql_where=sa.text("parent_id IS NULL"), sqlite_where=sa.text("parent_id IS NULL")),
        sa.Index("ix_comment_top_stance_helpful", "round_id", "item_id", "stance", "helpful_count", "id",
                 postgresql_where=sa.text("parent_id IS NULL"), sqlite_where=sa.text("parent_id IS NULL")),
        sa.CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    # None only for an official reply of the city, which need not take a stance.
    stance: Mapped[str | None] = mapped_column(enum_column(STANCES, "comment_stance"), nullable=True)
    body: Mapped[str] = mapped_column(sa.Text)  # what the author wrote (Markdown subset)
    body_html: Mapped[str] = mapped_column(sa.Text)  # rendered and sanitised once, on save
    state: Mapped[str] = mapped_column(
        enum_column(STATES, "comment_state"), default="visible", server_default="visible"
    )
    is_official: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counters kept by single UPDATE statements, so a page never counts per comment.
    helpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    report_count: Mapped[int] = mapped_column(default=0, server_default="0")  # open reports
    # The last moderation decision, shown with hidden comments.
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    moderation_reason: Mapped[str | None] = mapped_column(enum_column(HIDE_REASONS, "hide_reason"))
    moderation_note: Mapped[str | None] = mapped_column(sa.Text)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.state}>"


class CommentRevision(Base):
    """An earlier wording of an edited comment, kept for moderators."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpfulMark(Base):
    __tablename__ = "helpful_mark"
    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (sa.UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(enum_column(REPORT_REASONS, "report_reason"))
    text: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
