"""What ``/api/v1`` accepts and answers, as pydantic models.

Request models validate every JSON body (``endpoint.py``); the OpenAPI document's schemas are
generated from these same classes (``openapi.py``), so the two cannot drift. Request models are
strict (no "5" for 5, no true for 1) and refuse unknown keys. ``value_errors`` names, per field,
the stable code and the message of a well-typed value outside what the schema allows (answered
422; ``"field:error_type"`` for one kind of error only); a wrong type or shape is ``invalid_json``
(400).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..comments.models import BODY_MAX, HIDE_REASONS, REPORT_REASONS, REPORT_TEXT_MAX, STANCES, STATES
from ..comments.services import SORTS
from ..proposals.models import OUTCOMES
from ..rounds.models import PARTICIPATION, QUESTIONS, RESULTS_VISIBILITY
from ..rounds.models import STATES as ROUND_STATES
from ..strategy.models import ITEM_KINDS, VERSION_STATES

ID_MAX = 2**63 - 1  # the largest id the database driver can look up
# No NUL (PostgreSQL text cannot hold U+0000) and no other control character but tab and line
# breaks: the rule of ``participation.text`` for every text a JSON body brings.
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# The same code and message as a form field with a control character (``participation.text``).
CONTROL_REFUSED = ("control_characters", _l("The text contains invisible control characters. Please remove them."))


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(description: str = "") -> Any:
    """A key that is sometimes left out (never null) in an answer."""
    return Field(default=None, description=description or None, json_schema_extra=_no_default)


Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]


def _integral(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer; so do we (3.5, "3" and true stay refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(_integral)]


class Answer(BaseModel):
    """Base of the answer models: they document, the views build the dicts."""

    model_config = ConfigDict(extra="forbid")


class Input(BaseModel):
    """Base of the request models."""

    model_config = ConfigDict(extra="forbid", strict=True)
    value_errors: ClassVar[dict[str, tuple[str, Any]]] = {}


# --- errors -----------------------------------------------------------------------------------

class ErrorDetail(Answer):
    code: str = Field(description="Stable, for programs.")
    message: str = Field(description="In the user's language.")


class Error(Answer):
    error: ErrorDetail


# --- strategy ---------------------------------------------------------------------------------

class LocalizedText(Answer):
    """German text and its English translation (German when not translated)."""

    de: str
    en: str


class OptionalLocalizedText(Answer):
    """German text and its English translation (German when not translated), or none."""

    de: str | None
    en: str | None


class Item(Answer):
    key: str = Field(description="Stable across versions, e.g. mobilitaet-verkehr/zielbild-2")
    kind: Literal[ITEM_KINDS]
    position: int = Field(ge=0)
    example: bool = Field(description="Example content, not adopted text.")
    title: LocalizedText
    summary: OptionalLocalizedText
    body: OptionalLocalizedText
    url: Uri
    targets: list[Item] = optional("Only for fields: their target pictures.")


class StrategyVersion(Answer):
    version: str = Field(examples=["1.0"])
    state: Literal[VERSION_STATES]
    title: LocalizedText
    adopted_on: date | None
    published_at: datetime | None
    url: Uri
    vision: Item | None
    mission: Item | None
    coordinates: list[Item]
    fields: list[Item]


# --- rounds, results, ratings -----------------------------------------------------------------

class RoundSummary(Answer):
    id: int
    title: LocalizedText
    description: OptionalLocalizedText
    state: Literal[ROUND_STATES]
    version: str = Field(description="Number of the strategy version the round asks about.")
    opens_at: datetime
    closes_at: datetime
    questions: list[Literal[QUESTIONS]]
    results_visibility: Literal[RESULTS_VISIBILITY]
    participation: Literal[PARTICIPATION] = Field(
        description="accounts: any confirmed account; codes: only with a redeemed invitation code.")
    url: Uri


class RoundItem(Answer):
    key: str
    kind: Literal["coordinate", "target"]
    title: LocalizedText
    field: str | None = Field(description="Key of the target's field.")
    url: Uri


class Round(RoundSummary):
    """A round with the items in scope, in reading order."""

    items: list[RoundItem]


class RoundList(Answer):
    rounds: list[RoundSummary] = Field(description="Newest first")


Count = Annotated[int, Field(ge=0)]


class Counts(Answer):
    """Ratings per value; 0 is "no answer"."""

    zero: Count = Field(alias="0")
    one: Count = Field(alias="1")
    two: Count = Field(alias="2")
    three: Count = Field(alias="3")
    four: Count = Field(alias="4")
    five: Count = Field(alias="5")


class QuestionResult(Answer):
    """n counts every rating including 'no answer' (value 0); mean, median and share_agree
    (share of 4 and 5) are over the answers 1–5 only and null without any."""

    n: Count
    counts: Counts
    mean: float | None
    median: float | None
    share_agree: float | None


class ItemQuestions(Answer):
    agreement: QuestionResult
    importance: QuestionResult = optional("Only when the round asks it.")


class ItemResult(Answer):
    key: str
    questions: ItemQuestions


class ParticipantsByChannel(Answer):
    online: Count = Field(description="Accounts that rated something.")
    offline: Count = Field(description="Paper, workshop and phone ballots.")


class RoundResults(Answer):
    round: int
    verified_only: bool
    channel: Literal["online", "offline"] | None = Field(description="The channel asked for; null: both.")
    participants: Count
    participants_by_channel: ParticipantsByChannel
    items: list[ItemResult]


class MyRating(Answer):
    key: str
    question: Literal[QUESTIONS]
    value: int = Field(ge=0, le=5)


class MyRatings(Answer):
    round: int
    verified: bool = Field(description="Whether the participant redeemed an invitation code.")
    ratings: list[MyRating]


class RatingInput(Input):
    question: Literal[QUESTIONS]
    value: JsonInt | None = Field(ge=0, le=5,
                                  description="1–5 on the scale, 0 for 'no answer', null to withdraw the rating.")

    value_errors: ClassVar = {
        "question": ("unknown_question", _l("This round does not ask this question.")),
        "value": ("value_out_of_range", _l("Choose a value from 1 to 5, or “no answer”.")),
    }


class StoredRating(Answer):
    round: int
    key: str
    question: Literal[QUESTIONS]
    value: int | None = Field(ge=0, le=5)
    message: str = Field(description="Confirmation in the user's language.")


# --- the discussion ---------------------------------------------------------------------------

class CommentOutcome(Answer):
    """What became of a comment in the consolidation."""

    code: Literal[OUTCOMES]
    explanation: str | None
    proposal: int | None = Field(description="The proposal whose decision gave it.")
    explicit: bool = Field(description="Set by a moderator (not derived from a decision).")
    version: str | None = optional("The strategy version that took the proposal up, once published.")


class Comment(Answer):
    """A comment or reply. Hidden and deleted comments keep their place in the thread but carry
    no text (body_html is empty); hidden ones give the moderation's reason."""

    id: int
    parent_id: int | None = Field(description="null for a top-level comment.")
    stance: Literal[STANCES] | None = Field(description="null for an answer of the city given without a stance.")
    state: Literal[STATES] = Field(description="pending: waits for a moderator; only its author sees it.")
    body_html: str = Field(description="Sanitised HTML, rendered once when the comment was saved.")
    author: str | None = Field(
        description="Display name ('Deleted account' once anonymised); null for deleted comments.")
    author_deleted: bool
    created_at: datetime
    edited_at: datetime | None
    helpful_count: Count
    reply_count: Count = Field(description="Visible replies.")
    is_official: bool = Field(description="An official reply of the city.")
    moderation_reason: Literal[HIDE_REASONS] | None = Field(
        description="Why a moderator hid the comment (only for hidden ones).")
    marked_helpful: bool = Field(description="Whether the caller marked it as helpful.")
    outcome: CommentOutcome | None = Field(
        description="What became of it in the consolidation; null for the public until the round is published.")


class CommentThread(Comment):
    """A top-level comment with its first replies (oldest first)."""

    replies: list[Comment]


class CommentPage(Answer):
    round: int
    key: str
    sort: Literal[SORTS]
    stance: Literal[STANCES] | None
    comments: list[CommentThread]
    next_cursor: str | None = Field(
        description="Pass as cursor (with the same sort and stance) for the next page; null on the last.")


class CommentInput(Input):
    body: str = Field(min_length=1, max_length=BODY_MAX, pattern=PLAIN_TEXT,
                      description="Markdown subset: paragraphs, emphasis, lists, links.")
    stance: Literal[STANCES]
    # Unbounded: an id that cannot exist is answered like one that does not (404 parent_not_found).
    parent_id: JsonInt | None = Field(default=None, description="The top-level comment replied to.")

    value_errors: ClassVar = {
        "body": ("empty_body", _l("Please write something.")),
        "body:string_too_long": ("body_too_long", _l("Use at most %(num)d characters.", num=BODY_MAX)),
        "body:string_pattern_mismatch": CONTROL_REFUSED,
        "stance": ("unknown_stance", _l("Choose whether you agree, criticise, suggest or ask.")),
    }


class HelpfulState(Answer):
    comment_id: int
    helpful_count: Count
    marked: bool = Field(description="Whether the caller's mark is set now.")


class ReportInput(Input):
    reason: Literal[REPORT_REASONS]
    text: str | None = Field(default=None, max_length=REPORT_TEXT_MAX, pattern=PLAIN_TEXT,
                             description="Required for reason other.")

    value_errors: ClassVar = {
        "reason": ("unknown_reason", _l("Please choose a reason.")),
        "text": ("text_too_long", _l("Use at most %(num)d characters.", num=REPORT_TEXT_MAX)),
        "text:string_pattern_mismatch": CONTROL_REFUSED,
    }


class StoredReport(Answer):
    id: int
    comment_id: int
    reason: Literal[REPORT_REASONS]
    message: str = Field(description="Confirmation in the user's language.")
