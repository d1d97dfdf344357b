"""Results of a round, computed in SQL: one GROUP BY query gives every count.

Per item and question: n (all ratings, "no answer" included), the count per value, and —
over the answers 1–5 only — mean, median and the share who agree (4 or 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..query import Choice
from ..ratings.models import NO_ANSWER, VALUES, Rating
from ..rounds.models import InvitationCode, Round

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


def round_results(
    db: Session, round_: Round, verified_only: bool = False, item_id: int | None = None
) -> dict[int, dict[str, QuestionResult]]:
    """{item id: {question: result}} for the whole round (or one item), in one query."""
    round_column: sa.ColumnElement = Rating.round_id
    if verified_only and db.get_bind().dialect.name == "sqlite":
        # Without table statistics SQLite would scan every rating of the round and probe the
        # codes; "+ 0" keeps it off that index, so it starts from the (fewer) redeemed codes
        # and finds their ratings by user. PostgreSQL plans this from its statistics.
        round_column = Rating.round_id + 0
    query = (
        sa.select(Rating.item_id, Rating.question, Rating.value, sa.func.count())
        .where(round_column == round_.id)
        .group_by(Rating.item_id, Rating.question, Rating.value)
    )
    if item_id is not None:
        query = query.where(Rating.item_id == item_id)
    if verified_only:
        query = query.join(InvitationCode, sa.and_(
            InvitationCode.redeemed_by_id == Rating.user_id, InvitationCode.round_id == round_.id))
    results: dict[int, dict[str, QuestionResult]] = {}
    for item, question, value, count in db.execute(query):
        per_item = results.setdefault(item, {})
        per_item.setdefault(question, QuestionResult(question)).counts[value] = count
    return results


def participant_count(db: Session, round_: Round, verified_only: bool = False) -> int:
    if verified_only:
        # Verified participants who rated something: a code per person and round.
        query = sa.select(sa.func.count()).select_from(InvitationCode).where(
            InvitationCode.round_id == round_.id,
            sa.exists().where(Rating.round_id == round_.id, Rating.user_id == InvitationCode.redeemed_by_id),
        )
    else:
        query = sa.select(sa.func.count(sa.distinct(Rating.user_id))).where(Rating.round_id == round_.id)
    return db.scalar(query) or 0
