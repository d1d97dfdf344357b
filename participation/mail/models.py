"""The outbox: mail is written in the same transaction as the change that causes it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, enum_column, utcnow

MAIL_STATES = ("queued", "sent", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    # Which user this concerns, so deleting an account can delete its mail too.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(
        enum_column(MAIL_STATES, "mail_state"), default="queued", server_default="queued"
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.state}>"
