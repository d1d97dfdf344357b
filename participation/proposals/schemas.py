"""Request bodies of the consolidation API, validated by pydantic.

The same models describe the endpoints in the OpenAPI document (``model_json_schema``), so
validation and documentation cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from .models import KINDS, OUTCOMES, PLACE_KINDS, STATES

Kind = Literal[KINDS]  # type: ignore[valid-type]
State = Literal[STATES]  # type: ignore[valid-type]
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
PlaceKind = Literal[PLACE_KINDS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProposalText(_Strict):
    de: str | None = None
    en: str | None = None


class ProposalRationale(_Strict):
    de: str | None = None
    en: str | None = None


class ProposalPlace(_Strict):
    """Where an added item goes: a target picture under a field, or a guiding coordinate."""

    kind: PlaceKind
    parent: str | None = Field(None, description="key of the field of action (for a target picture)")
    position: StrictInt | None = Field(None, ge=1, le=1000)


class ProposalIn(_Strict):
    kind: Kind
    item: str | None = Field(None, description="key of the item (null for kind add)")
    place: ProposalPlace | None = None
    title: ProposalText | None = None
    summary: ProposalText | None = None
    body: ProposalText | None = None
    rationale: ProposalRationale
    comments: list[StrictInt] = Field(default_factory=list, max_length=500)


class TransitionIn(_Strict):
    to: State
    reason: str | None = None
    # accepted_modified: the administration's version of the text
    title: ProposalText | None = None
    summary: ProposalText | None = None
    body: ProposalText | None = None


class OutcomeIn(_Strict):
    outcome: Outcome | None = Field(..., description="null hands the comment back to the proposals' decisions")
    explanation: str | None = None


def texts_of(model: ProposalIn | TransitionIn) -> dict[str, dict[str, str | None]]:
    return {name: getattr(model, name).model_dump() for name in ("title", "summary", "body")
            if getattr(model, name) is not None}


def schemas() -> dict[str, dict]:
    """JSON Schemas of the request bodies, for the OpenAPI document."""
    return {model.__name__: model.model_json_schema(ref_template="#/components/schemas/{model}")
            for model in (ProposalIn, TransitionIn, OutcomeIn)}
