"""Editable information pages (Impressum, Datenschutz, …); drafts ship with the code."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class Page(Base):
    """An operator's own version of an information page; without a row the draft is shown."""

    __tablename__ = "page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title_de: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    # Sanitised HTML (participation.sanitize) — cleaned when saved.
    body_de: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
