"""Consultation rounds: a strategy version (or part of it) open for ratings between two dates."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, enum_column, utcnow
from ..strategy.models import StrategyItem, StrategyVersion, localized

# What the administration has done with a round; "draft", "open" and "closed" follow from the
# dates while the stage is "scheduled" (see Round.state_at).
STAGES = ("scheduled", "consolidation", "published")
STATES = ("draft", "open", "closed", "consolidation", "published")
RESULTS_VISIBILITY = ("live", "after_close")
PARTICIPATION = ("accounts", "codes")
MODERATION = ("post", "pre")  # comments live at once, or after a moderator approved them
QUESTIONS = ("agreement", "importance")


class Round(Base):
    __tablename__ = "round"
    __table_args__ = (sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_version.id"), index=True)
    title_de: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    description_de: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(
        enum_column(STAGES, "round_stage"), default="scheduled", server_default="scheduled"
    )
    asks_importance: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    results_visibility: Mapped[str] = mapped_column(
        enum_column(RESULTS_VISIBILITY, "results_visibility"), default="after_close",
        server_default="after_close",
    )
    participation: Mapped[str] = mapped_column(
        enum_column(PARTICIPATION, "round_participation"), default="accounts", server_default="accounts"
    )
    moderation: Mapped[str] = mapped_column(
        enum_column(MODERATION, "round_moderation"), default="post", server_default="post"
    )
    # This many reports from different people hide a comment until a moderator looks at it.
    report_threshold: Mapped[int] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator ended the round before its closing date.
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[StrategyVersion] = relationship()
    scope: Mapped[list[RoundItem]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundItem.position"
    )

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.stage}>"

    def state_at(self, now: datetime) -> str:
        """draft → open → closed follow from the dates; consolidation and published are steps."""
        if self.stage != "scheduled":
            return self.stage
        if now < self.opens_at:
            return "draft"
        if now < self.closes_at:
            return "open"
        return "closed"

    @property
    def state(self) -> str:
        return self.state_at(utcnow())

    @property
    def questions(self) -> tuple[str, ...]:
        return QUESTIONS if self.asks_importance else ("agreement",)

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @classmethod
    def open_at(cls, now: datetime) -> sa.ColumnElement[bool]:
        """The same rule as state_at, as SQL, for listing open rounds."""
        return sa.and_(cls.stage == "scheduled", cls.opens_at <= now, cls.closes_at > now)


class RoundItem(Base):
    """An item of the strategy version that the round asks about."""

    __tablename__ = "round_item"
    __table_args__ = (sa.UniqueConstraint("round_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="scope")
    item: Mapped[StrategyItem] = relationship()


class InvitationCode(Base):
    """A single-use code from a letter; redeeming it marks the participant as verified."""

    __tablename__ = "invitation_code"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "redeemed_by_id"),  # one code per person and round
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
