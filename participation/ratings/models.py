"""One rating per participant, item and question — enforced by the database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, enum_column, utcnow
from ..rounds.models import QUESTIONS

NO_ANSWER = 0  # "keine Angabe"
VALUES = (0, 1, 2, 3, 4, 5)


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "item_id", "user_id", "question"),
        sa.CheckConstraint("value BETWEEN 0 AND 5", name="value_in_scale"),
        # Results are grouped by round, item and question.
        sa.Index("ix_rating_results", "round_id", "item_id", "question", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"))
    # The account stays (anonymised) when a person deletes it, so results do not change.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    question: Mapped[str] = mapped_column(enum_column(QUESTIONS, "rating_question"))
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
