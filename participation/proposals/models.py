"""Proposals for the next strategy version, the comments they cite, and comment outcomes.

Proposed texts are kept per field and language (``title_de`` … ``body_en``), like the items
they change, so the next version can be composed from accepted proposals field by field.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, enum_column, utcnow
from ..strategy.models import StrategyItem, localized

KINDS = ("amend", "add", "remove", "keep")
STATES = ("draft", "in_review", "changes_requested", "recommended", "accepted", "accepted_modified",
          "rejected", "deferred", "withdrawn")
DECIDED = ("accepted", "accepted_modified", "rejected", "deferred")
PLACE_KINDS = ("target", "coordinate")  # what a proposal of kind "add" adds
OUTCOMES = ("incorporated", "partly", "not_adopted", "out_of_scope", "duplicate", "noted")
TEXT_FIELDS = ("title", "summary", "body")


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        # Only "add" proposes something new; everything else is about an existing item.
        sa.CheckConstraint("(kind = 'add') = (item_id IS NULL)", name="item_unless_add"),
        sa.CheckConstraint("kind <> 'add' OR place_kind IS NOT NULL", name="add_has_place"),
        sa.Index("ix_proposal_round_state", "round_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(enum_column(KINDS, "proposal_kind"))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategy_item.id"), index=True)
    # Where an added item goes: a target picture under a field, or a guiding coordinate.
    place_kind: Mapped[str | None] = mapped_column(enum_column(PLACE_KINDS, "proposal_place_kind"))
    place_parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategy_item.id"))
    place_position: Mapped[int | None] = mapped_column()
    title_de: Mapped[str | None] = mapped_column(sa.String(300))
    title_en: Mapped[str | None] = mapped_column(sa.String(300))
    summary_de: Mapped[str | None] = mapped_column(sa.Text)
    summary_en: Mapped[str | None] = mapped_column(sa.Text)
    body_de: Mapped[str | None] = mapped_column(sa.Text)
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    rationale_de: Mapped[str] = mapped_column(sa.Text)
    rationale_en: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(enum_column(STATES, "proposal_state"), default="draft",
                                       server_default="draft")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    review_note: Mapped[str | None] = mapped_column(sa.Text)  # what to change, from the reviewer
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)  # public
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Set by the admin when two accepted proposals change the same item: the other one wins and
    # composing the next version skips this one.
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id", ondelete="SET NULL"))
    # The item's rating figures when the proposal went to review (frozen).
    evidence: Mapped[dict | None] = mapped_column(sa.JSON)
    snapshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[StrategyItem | None] = relationship(foreign_keys=[item_id])
    place_parent: Mapped[StrategyItem | None] = relationship(foreign_keys=[place_parent_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    superseded_by: Mapped[Proposal | None] = relationship(remote_side=[id], foreign_keys=[superseded_by_id])
    links: Mapped[list[ProposalComment]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalComment.comment_id")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.kind} {self.state}>"

    @property
    def comment_ids(self) -> list[int]:
        return [link.comment_id for link in self.links]

    @property
    def is_decided(self) -> bool:
        return self.state in DECIDED

    @property
    def title(self) -> str:
        return localized(self, "title") if self.title_de else ""

    @property
    def rationale(self) -> str:
        return localized(self, "rationale")

    def text(self, field: str, language: str) -> str:
        """The proposed text of one field in one language ('' where none is given)."""
        return getattr(self, f"{field}_{language}") or ""


class ProposalComment(Base):
    """A comment a proposal cites as its source."""

    __tablename__ = "proposal_comment"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True)

    proposal: Mapped[Proposal] = relationship(back_populates="links")


class CommentOutcome(Base):
    """What became of a comment: one per comment; none means it is still open.

    ``explicit`` rows were set by a moderator and win; the others are derived from the decision
    of a proposal that cites the comment (``proposal_id``).
    """

    __tablename__ = "comment_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[str] = mapped_column(enum_column(OUTCOMES, "comment_outcome_code"))
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    explicit: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id", ondelete="SET NULL"))
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
