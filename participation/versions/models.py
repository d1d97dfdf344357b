"""What made each change of a strategy version: proposals and editorial changes.

A composed version records, per item key, the change requests that shaped it
(``VersionChange``). Edits the administration makes by hand in a draft are
``EditorialChange`` rows with a reason, and each also gets a ``VersionChange`` row, so one
table answers "why is this item different from the version before?".
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, enum_column, utcnow
from ..proposals.models import CommentOutcome, Proposal
from ..strategy.models import StrategyVersion

CHANGE_KINDS = ("amend", "add", "remove", "keep", "editorial")


class EditorialChange(Base):
    """One save in the draft editor: who, when, why, and the fields before and after."""

    __tablename__ = "editorial_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("strategy_version.id", ondelete="CASCADE"), index=True
    )
    item_key: Mapped[str] = mapped_column(sa.String(120))
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    # {"title_de": "...", ...}: only the fields this save changed.
    before: Mapped[dict] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship()

    @property
    def fields(self) -> list[str]:
        return sorted(self.after)


class VersionChange(Base):
    """One source of one item's change in a version: a proposal or an editorial change."""

    __tablename__ = "version_change"
    __table_args__ = (
        sa.CheckConstraint(
            "(proposal_id IS NULL) <> (editorial_change_id IS NULL)", name="one_source"
        ),
        sa.Index("ix_version_change_version_key", "version_id", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_version.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(enum_column(CHANGE_KINDS, "version_change_kind"))
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    editorial_change_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("editorial_change.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[StrategyVersion] = relationship()
    editorial_change: Mapped[EditorialChange | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()


# A comment's outcome names the first published version its proposal went into ("übernommen in
# Version 2.0"), loaded in the same query as the outcome (a correlated subquery), so pages
# listing many comments stay at one query.
CommentOutcome.version = column_property(
    sa.select(StrategyVersion.number)
    .join(VersionChange, VersionChange.version_id == StrategyVersion.id)
    .where(VersionChange.proposal_id == CommentOutcome.proposal_id, StrategyVersion.state == "published")
    .order_by(StrategyVersion.published_at, StrategyVersion.id).limit(1)
    .correlate_except(VersionChange, StrategyVersion).scalar_subquery()
)


from . import guard as _guard  # noqa: E402,F401  (registers the listener with the models)
