"""One rating per participant, item and question — enforced by the database.

A participant is either an account (``user_id``) or an offline ballot (``ballot_id``): a paper
questionnaire, a workshop sheet or a phone interview, imported by the administration. Exactly one
of the two is set (a CHECK constraint); the unique constraints hold for each kind.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import AGE_BRACKETS, DISTRICTS
from ..db import Base, UTCDateTime, enum_column, utcnow
from ..rounds.models import QUESTIONS

NO_ANSWER = 0  # "keine Angabe"
VALUES = (0, 1, 2, 3, 4, 5)
# How an offline participant answered; online participants have accounts.
CHANNELS = ("paper", "workshop", "phone")


class Ballot(Base):
    """One offline participant of one round, known by the ballot id printed on the form."""

    __tablename__ = "ballot"
    __table_args__ = (sa.UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    # The id on the paper form (unique within the round); it is the participant's pseudonym.
    code: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(enum_column(CHANNELS, "ballot_channel"))
    district: Mapped[str | None] = mapped_column(enum_column(DISTRICTS, "ballot_district"))
    age_bracket: Mapped[str | None] = mapped_column(enum_column(AGE_BRACKETS, "ballot_age_bracket"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "item_id", "user_id", "question"),
        sa.UniqueConstraint("round_id", "item_id", "ballot_id", "question"),
        sa.CheckConstraint("value BETWEEN 0 AND 5", name="value_in_scale"),
        sa.CheckConstraint("(user_id IS NULL) <> (ballot_id IS NULL)", name="one_participant"),
        # Results are grouped by round, item and question.
        sa.Index("ix_rating_results", "round_id", "item_id", "question", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"))
    # The account stays (anonymised) when a person deletes it, so results do not change.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    ballot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(enum_column(QUESTIONS, "rating_question"))
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
