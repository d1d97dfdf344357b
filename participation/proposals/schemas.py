"""The consolidation in the JSON API, as pydantic models: the request bodies, validated by
``endpoint()`` before the view runs, and the answers. The OpenAPI document is generated from these
same classes (``participation/api/openapi.py``), so validation and documentation cannot drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..api.models import (
    CONTROL_REFUSED,
    ID_MAX,
    PLAIN_TEXT,
    Answer,
    CommentOutcome,
    Input,
    JsonInt,
    LocalizedText,
    OptionalLocalizedText,
    QuestionResult,
    optional,
)
from ..comments.models import STANCES
from ..comments.models import STATES as COMMENT_STATES
from ..rounds.models import QUESTIONS
from .models import KINDS, OUTCOMES, PLACE_KINDS, STATES

Kind = Literal[KINDS]  # type: ignore[valid-type]
State = Literal[STATES]  # type: ignore[valid-type]
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
PlaceKind = Literal[PLACE_KINDS]  # type: ignore[valid-type]


# --- requests ---------------------------------------------------------------------------------

def _text(description: str = "") -> object:
    return Field(None, pattern=PLAIN_TEXT, description=description or None)


class ProposalText(Input):
    de: str | None = _text()
    en: str | None = _text()


class ProposalRationale(Input):
    de: str | None = _text()
    en: str | None = _text()


class ProposalPlace(Input):
    """Where an added item goes: a target picture under a field, or a guiding coordinate."""

    kind: PlaceKind
    parent: str | None = Field(None, pattern=PLAIN_TEXT,
                               description="key of the field of action (for a target picture)")
    position: JsonInt | None = Field(None, ge=1, le=1000)


class ProposalIn(Input):
    kind: Kind
    item: str | None = Field(None, pattern=PLAIN_TEXT, description="key of the item (null for kind add)")
    place: ProposalPlace | None = None
    title: ProposalText | None = None
    summary: ProposalText | None = None
    body: ProposalText | None = None
    rationale: ProposalRationale
    comments: list[Annotated[JsonInt, Field(ge=1, le=ID_MAX)]] = Field(default_factory=list, max_length=500)

    value_errors: ClassVar = {
        "kind": ("unknown_kind", _l("Choose what the proposal does: amend, add, remove or keep.")),
        "place": ("invalid_place", _l("The position is a number from 1 to 1000.")),
        "comments": ("unknown_comments", _l("Choose comments from the list.")),
        **{name: CONTROL_REFUSED for name in ("item", "title", "summary", "body", "rationale")},
    }


class TransitionIn(Input):
    to: State
    reason: str | None = _text()
    # accepted_modified: the administration's version of the text
    title: ProposalText | None = None
    summary: ProposalText | None = None
    body: ProposalText | None = None

    value_errors: ClassVar = {
        "to": ("unknown_state", _l("There is no such state of a proposal.")),
        **{name: CONTROL_REFUSED for name in ("reason", "title", "summary", "body")},
    }


class OutcomeIn(Input):
    outcome: Outcome | None = Field(..., description="null hands the comment back to the proposals' decisions")
    explanation: str | None = _text()

    value_errors: ClassVar = {
        "outcome": ("unknown_outcome", _l("Please choose an outcome.")),
        "explanation": CONTROL_REFUSED,
    }


def texts_of(model: ProposalIn | TransitionIn) -> dict[str, dict[str, str | None]]:
    return {name: getattr(model, name).model_dump() for name in ("title", "summary", "body")
            if getattr(model, name) is not None}


# --- answers ----------------------------------------------------------------------------------

class Place(Answer):
    kind: PlaceKind
    parent: str | None
    position: int | None


class CurrentTexts(Answer):
    """The item's text as it stands (English falls back to German)."""

    title: LocalizedText
    summary: OptionalLocalizedText
    body: OptionalLocalizedText


class Evidence(Answer):
    """The item's rating figures when the proposal was submitted (live before), per question."""

    ratings: dict[Literal[QUESTIONS], QuestionResult] | None  # type: ignore[valid-type]
    ratings_verified: dict[Literal[QUESTIONS], QuestionResult] | None  # type: ignore[valid-type]
    analysis: dict[str, Any] | None = Field(description=(
        "The item's consensus and division figures from the round's analysis when submitted: share_agree, ci, "
        "consensus, divisive, divided, uncertain, share_uncertain, groups; null without an analysis."))
    snapshot_at: datetime | None


class Decision(Answer):
    state: State
    reason: str | None
    decided_at: datetime | None


class Proposal(Answer):
    id: int
    round: int
    kind: Kind
    state: State
    item: str | None = Field(description="Key of the item; null for additions.")
    place: Place | None = Field(description="Only for additions.")
    title: OptionalLocalizedText
    summary: OptionalLocalizedText
    body: OptionalLocalizedText
    current: CurrentTexts | None = Field(description="null for additions.")
    rationale: OptionalLocalizedText
    author: str | None = Field(description="Display name.")
    comments: list[int] = Field(description="Ids of the cited comments.")
    evidence: Evidence
    decision: Decision | None
    created_at: datetime
    updated_at: datetime
    url: str = Field(json_schema_extra={"format": "uri"})
    reviewer: str | None = optional("Only for moderators and administrators.")
    review_note: str | None = optional("Only for moderators and administrators.")


class ProposalEnvelope(Answer):
    proposal: Proposal


class ProposalList(Answer):
    round: int
    proposals: list[Proposal]


class OutcomeAnswer(Answer):
    comment_id: int
    outcome: CommentOutcome | None


class MyComment(Answer):
    id: int
    round: int
    item: str
    parent_id: int | None
    stance: Literal[STANCES]  # type: ignore[valid-type]
    state: Literal[COMMENT_STATES]  # type: ignore[valid-type]
    created_at: datetime
    url: str = Field(json_schema_extra={"format": "uri"})
    outcome: CommentOutcome | None = Field(description="null until the round's outcomes are public.")


class MyComments(Answer):
    comments: list[MyComment]
