"""A strategy version is a tree of items with keys that stay stable across versions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, enum_column, utcnow

VERSION_STATES = ("draft", "published")
ITEM_KINDS = ("vision", "mission", "coordinate", "field", "target")


def localized(obj: object, field: str, locale: str | None = None) -> str:
    """The text in the current language; German when the translation is missing."""
    lang = locale or str(get_locale() or "de")
    value = getattr(obj, f"{field}_{lang}", None) if lang != "de" else None
    return value or getattr(obj, f"{field}_de") or ""


class StrategyVersion(Base):
    __tablename__ = "strategy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    state: Mapped[str] = mapped_column(enum_column(VERSION_STATES, "version_state"), default="draft")
    title_de: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    # Introductions shown above the list of coordinates and of fields.
    coordinates_intro_de: Mapped[str | None] = mapped_column(sa.Text)
    coordinates_intro_en: Mapped[str | None] = mapped_column(sa.Text)
    fields_intro_de: Mapped[str | None] = mapped_column(sa.Text)
    fields_intro_en: Mapped[str | None] = mapped_column(sa.Text)
    adopted_on: Mapped[date | None] = mapped_column(sa.Date)
    # The council's decision adopting this version, e.g. "V/0123/2027" (with adopted_on).
    council_reference: Mapped[str | None] = mapped_column(sa.String(200))
    # The published version this one was composed from (None for imported versions).
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategy_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    based_on: Mapped[StrategyVersion | None] = relationship(remote_side=[id])
    items: Mapped[list[StrategyItem]] = relationship(
        back_populates="version", order_by="StrategyItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<StrategyVersion {self.number} {self.state}>"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def coordinates_intro(self) -> str:
        return localized(self, "coordinates_intro")

    @property
    def fields_intro(self) -> str:
        return localized(self, "fields_intro")


class StrategyItem(Base):
    __tablename__ = "strategy_item"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "key"),
        # A target picture always belongs to a field; nothing else has a parent.
        sa.CheckConstraint(
            "(kind = 'target' AND parent_id IS NOT NULL) OR (kind <> 'target' AND parent_id IS NULL)",
            name="target_has_parent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("strategy_version.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("strategy_item.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(enum_column(ITEM_KINDS, "item_kind"))
    position: Mapped[int] = mapped_column(default=0)
    # Example content stands in where the city has not given the adopted text yet.
    is_example: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    title_de: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str | None] = mapped_column(sa.String(300))
    summary_de: Mapped[str | None] = mapped_column(sa.Text)
    summary_en: Mapped[str | None] = mapped_column(sa.Text)
    body_de: Mapped[str | None] = mapped_column(sa.Text)
    body_en: Mapped[str | None] = mapped_column(sa.Text)

    version: Mapped[StrategyVersion] = relationship(back_populates="items")
    parent: Mapped[StrategyItem | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[StrategyItem]] = relationship(
        back_populates="parent", order_by="StrategyItem.position"
    )

    def __repr__(self) -> str:
        return f"<StrategyItem {self.key} ({self.kind})>"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    @property
    def body(self) -> str:
        return localized(self, "body")

    def is_translated(self, field: str, lang: str) -> bool:
        return lang == "de" or bool(getattr(self, f"{field}_{lang}", None))
