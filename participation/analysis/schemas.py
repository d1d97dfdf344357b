"""The analysis of a round in the JSON API, as pydantic answer models (``participation/api/analysis.py``
declares the endpoints with ``endpoint()``; the OpenAPI document is generated from these classes).
What each figure means: README, section Analysis."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..accounts.models import AGE_BRACKETS, DISTRICTS
from ..api.models import Answer, optional

Share = float | None


class ConsensusThresholds(Answer):
    overall: float
    every_group: float


class AnalysisParameters(Answer):
    """What went into the computation, with the library versions."""

    k: int | None = Field(description="Number of opinion groups found; null without a grouping.")
    seed: int
    n_init: int
    components: int
    k_range: list[int]
    min_ratings: int
    min_group_size: int
    silhouette_sample: int
    fit_sample: int
    agree_values: list[int]
    consensus: ConsensusThresholds
    uncertain: float
    divided: float
    distinguishing_z: float
    interval: str
    versions: dict[str, str]
    min_cell: int = Field(description="Cells with fewer people are never shown.")
    question: Literal["agreement"]


class DistinguishingItem(Answer):
    key: str
    share_agree: Share
    others: Share
    z: float


class OpinionGroup(Answer):
    id: int
    size: int = Field(ge=0)
    distinguishing: list[DistinguishingItem]


class ItemAnalysis(Answer):
    key: str
    n: int = Field(ge=0, description="Ratings including 'no answer'.")
    answered: int = Field(ge=0, description="Answers 1–5.")
    share_agree: Share
    ci: tuple[float | None, float | None] | None = Field(description="Wilson 95 % interval of share_agree.")
    consensus: bool
    divisive: Share = Field(description="Largest difference of share agree between groups.")
    divided: bool
    uncertain: bool
    share_uncertain: Share
    groups: dict[str, Share] = Field(description="Share agree per group id.")
    weighted_share_agree: Share


class PopulationSource(Answer):
    source: str
    year: int | None
    verified: bool


class DistrictRow(Answer):
    district: Literal[DISTRICTS]  # type: ignore[valid-type]
    participants: int | None = Field(description="null: fewer than 5 (or hidden so that it cannot be worked out).")
    sample_share: Share
    population_share: Share


class AgeBracketRow(Answer):
    age_bracket: Literal[AGE_BRACKETS]  # type: ignore[valid-type]
    participants: int | None = Field(description="null: fewer than 5 (or hidden so that it cannot be worked out).")
    sample_share: Share
    population_share: Share


class Weighting(Answer):
    """Post-stratification by district, when at least two districts have enough participants."""

    applied: bool
    by: Literal["district"] = optional("Only when applied.")
    participants: int = Field(ge=0)
    districts: list[str]
    weights: dict[str, float] = optional("Only when applied: the weight per district.")


class RoundAnalysis(Answer):
    """Opinion groups, consensus, division and representativeness of a round (agreement ratings)."""

    round: int
    verified_only: bool
    participants: int = Field(ge=0, description="Accounts and offline ballots with a rating.")
    included: int = Field(ge=0, description="Participants with enough ratings for the grouping.")
    ungrouped: int = Field(ge=0)
    silhouette: float | None
    parameters: AnalysisParameters
    groups: list[OpinionGroup]
    items: list[ItemAnalysis]
    population: PopulationSource
    districts: list[DistrictRow]
    district_not_stated: int | None
    age_brackets: list[AgeBracketRow]
    weighting: Weighting


class GroupMember(Answer):
    participant: str = Field(description="Round pseudonym (accounts) or the ballot's id (offline ballots).")
    group: int | None


class AnalysisMembership(Answer):
    round: int
    participants: list[GroupMember]
