"""Accounts: residents, moderators and admins."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, enum_column, utcnow

ROLES = ("resident", "moderator", "admin")
# Münster's six Stadtbezirke; stored as keys, shown translated.
DISTRICTS = ("mitte", "nord", "ost", "west", "suedost", "hiltrup")
LANGUAGES = ("de", "en")
# Optional, voluntary age bracket (representativeness, step 9); stored as keys, shown translated.
AGE_BRACKETS = ("16-24", "25-39", "40-59", "60+")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the account is deleted: the row stays so contributions keep an (anonymous) author.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(60))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(
        enum_column(ROLES, "user_role"), default="resident", server_default="resident"
    )
    language: Mapped[str] = mapped_column(
        enum_column(LANGUAGES, "user_language"), default="de", server_default="de"
    )
    district: Mapped[str | None] = mapped_column(enum_column(DISTRICTS, "user_district"))
    age_bracket: Mapped[str | None] = mapped_column(enum_column(AGE_BRACKETS, "user_age_bracket"))
    # Opt-in: one mail whenever a new strategy version is published (off by default).
    notify_strategy_updates: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Rotated on password change and log-out everywhere: sessions carrying the old value end.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by a moderator's block (a far-future date for good); blocked people read but cannot write.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    def get_id(self) -> str:
        # Flask-Login keeps this in the session; a changed token logs the session out.
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.confirmed_at is not None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def is_blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now
