"""Comparing strategy versions and an item's history in the JSON API, as pydantic answer models
(``participation/api/versions.py`` declares the endpoints with ``endpoint()``; the OpenAPI
document is generated from these classes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ..api.models import Answer, OptionalLocalizedText
from ..strategy.models import ITEM_KINDS, VERSION_STATES

Uri = str


class ItemTexts(Answer):
    """title, summary and body, each with de and en (null when not given)."""

    title: OptionalLocalizedText
    summary: OptionalLocalizedText
    body: OptionalLocalizedText


class EditorialChange(Answer):
    id: int
    reason: str
    fields: list[str] = Field(description="e.g. title_de, body_en")
    before: dict[str, str | None]
    after: dict[str, str | None]
    created_at: datetime


class ChangeSummary(Answer):
    changed: int = Field(ge=0)
    added: int = Field(ge=0)
    removed: int = Field(ge=0)
    unchanged: int = Field(ge=0)


class ComparedItem(Answer):
    key: str
    kind: Literal[ITEM_KINDS]  # type: ignore[valid-type]
    change: Literal["unchanged", "changed", "added", "removed"]
    before: ItemTexts | None = Field(description="null when the item is not in the older version.")
    after: ItemTexts | None = Field(description="null when the item is not in the newer version.")
    proposals: list[int] = Field(description="Ids of the proposals that made (or kept) this item.")
    editorial: list[EditorialChange]


class VersionComparison(Answer):
    from_: str = Field(alias="from")
    to: str
    summary: ChangeSummary
    url: Uri = Field(json_schema_extra={"format": "uri"})
    items: list[ComparedItem]


class HistoryStep(Answer):
    version: str
    state: Literal[VERSION_STATES]  # type: ignore[valid-type]
    published_at: datetime | None
    change: Literal["first", "unchanged", "changed", "added", "removed"]
    texts: ItemTexts | None
    proposals: list[int]
    editorial: list[EditorialChange]


class RoundLink(Answer):
    id: int
    url: Uri = Field(json_schema_extra={"format": "uri"})


class ItemHistory(Answer):
    """The item's texts per version, oldest first, what changed and why, and the rounds that asked about it."""

    key: str
    url: Uri = Field(json_schema_extra={"format": "uri"})
    versions: list[HistoryStep]
    rounds: list[RoundLink]
