"""Results of a round, read from its tallies (``ratings/tallies.py``): a few dozen rows.

Per item and question: n (all ratings, "no answer" included), the count per value, and —
over the answers 1–5 only — mean, median and the share who agree (4 or 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..query import Choice
from ..ratings import tallies
from ..ratings.models import NO_ANSWER, VALUES, ParticipationTally, RatingTally
from ..rounds.models import Round

# ?verified=1 on the results page and in the API: only participants who redeemed a code.
VERIFIED = Choice("verified", ("0", "1"), "0", "1: only participants who redeemed an invitation code")


@dataclass
class QuestionResult:
    question: str
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(VALUES, 0))

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def answered(self) -> int:
        """Ratings on the scale, without "no answer"."""
        return self.n - self.counts[NO_ANSWER]

    @property
    def mean(self) -> float | None:
        if not self.answered:
            return None
        return sum(value * count for value, count in self.counts.items() if value) / self.answered

    @property
    def median(self) -> float | None:
        answered = self.answered
        if not answered:
            return None

        def nth(position: int) -> int:  # 0-based position in the sorted answers
            seen = 0
            for value in range(1, 6):
                seen += self.counts[value]
                if position < seen:
                    return value
            raise AssertionError("position beyond the answers")

        middle = answered // 2
        if answered % 2:
            return float(nth(middle))
        return (nth(middle - 1) + nth(middle)) / 2

    @property
    def share_agree(self) -> float | None:
        """Share of 4 and 5 among the answers on the scale (for importance: "important")."""
        if not self.answered:
            return None
        return (self.counts[4] + self.counts[5]) / self.answered

    def share(self, value: int) -> float:
        return self.counts[value] / self.n if self.n else 0.0

    def as_json(self) -> dict:
        return {
            "n": self.n,
            "counts": {str(value): self.counts[value] for value in VALUES},
            "mean": round(self.mean, 4) if self.mean is not None else None,
            "median": self.median,
            "share_agree": round(self.share_agree, 4) if self.share_agree is not None else None,
        }


CHANNELS = ("online", "offline")  # online: accounts; offline: paper, workshop and phone ballots
# ?channel= in the results API: one channel only (absent: both).
CHANNEL = Choice("channel", CHANNELS, None, "online: accounts; offline: paper, workshop and phone ballots")


def round_results(
    db: Session, round_: Round, verified_only: bool = False, item_id: int | None = None,
    channel: str | None = None,
) -> dict[int, dict[str, QuestionResult]]:
    """{item id: {question: result}} for the whole round (or one item), from its tallies.

    ``channel`` keeps only online (accounts) or offline (ballots) participants; None: both.
    """
    tallies.apply_pending(db)
    count = RatingTally.n_verified if verified_only else RatingTally.n
    query = (
        sa.select(RatingTally.item_id, RatingTally.question, RatingTally.value, sa.func.sum(count))
        .where(RatingTally.round_id == round_.id)
        .group_by(RatingTally.item_id, RatingTally.question, RatingTally.value)
    )
    if item_id is not None:
        query = query.where(RatingTally.item_id == item_id)
    if channel is not None:
        query = query.where(RatingTally.channel == channel)
    results: dict[int, dict[str, QuestionResult]] = {}
    for item, question, value, n in db.execute(query):
        if n:
            per_item = results.setdefault(item, {})
            per_item.setdefault(question, QuestionResult(question)).counts[value] = int(n)
    return results


def participant_count(db: Session, round_: Round, verified_only: bool = False, channel: str | None = None) -> int:
    """Participants who rated anything in the round (verified: who redeemed a code)."""
    return sum(participation(db, round_, channel, verified_only=verified_only).values())


def participation(db: Session, round_: Round, channel: str | None = None,
                  verified_only: bool = False) -> dict[str, int]:
    """{channel: participants} of the round, both channels unless one is given."""
    tallies.apply_pending(db)
    column = ParticipationTally.verified if verified_only else ParticipationTally.participants
    query = sa.select(ParticipationTally.channel, column).where(ParticipationTally.round_id == round_.id)
    if channel is not None:
        query = query.where(ParticipationTally.channel == channel)
    found = dict.fromkeys((channel,) if channel else CHANNELS, 0)
    found.update({name: int(n) for name, n in db.execute(query)})
    return found
