"""One rating per participant, item and question — enforced by the database.

A participant is either an account (``user_id``) or an offline ballot (``ballot_id``): a paper
questionnaire, a workshop sheet or a phone interview, imported by the administration. Exactly one
of the two is set (a CHECK constraint); the unique constraints hold for each kind.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import AGE_BRACKETS, DISTRICTS
from ..db import Base, UTCDateTime, enum_column, utcnow
from ..rounds.models import QUESTIONS

NO_ANSWER = 0  # "keine Angabe"
VALUES = (0, 1, 2, 3, 4, 5)
# How an offline participant answered; online participants have accounts.
CHANNELS = ("paper", "workshop", "phone")


class Ballot(Base):
    """One offline participant of one round, known by the ballot id printed on the form."""

    __tablename__ = "ballot"
    __table_args__ = (sa.UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    # The id on the paper form (unique within the round); it is the participant's pseudonym.
    code: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(enum_column(CHANNELS, "ballot_channel"))
    district: Mapped[str | None] = mapped_column(enum_column(DISTRICTS, "ballot_district"))
    age_bracket: Mapped[str | None] = mapped_column(enum_column(AGE_BRACKETS, "ballot_age_bracket"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (
        # Also the index for everything asked per round (and per round and item).
        sa.UniqueConstraint("round_id", "item_id", "user_id", "question"),
        sa.CheckConstraint("value BETWEEN 0 AND 5", name="value_in_scale"),
        sa.CheckConstraint("(user_id IS NULL) <> (ballot_id IS NULL)", name="one_participant"),
        # Every index costs upkeep on each rating stored (a ballot import writes 100,000s at once),
        # so there are only three per row: the key, the account's unique key above, and one of the
        # two partial indexes below. The ballot's unique key leads with the ballot, so it also
        # serves deleting a ballot's ratings (no separate ballot_id index). Results are read from
        # the tallies, so no index serves grouping the ratings any more.
        sa.Index("uq_rating_ballot", "ballot_id", "round_id", "item_id", "question", unique=True,
                 postgresql_where=sa.text("ballot_id IS NOT NULL"), sqlite_where=sa.text("ballot_id IS NOT NULL")),
        sa.Index("ix_rating_user_id", "user_id",
                 postgresql_where=sa.text("user_id IS NOT NULL"), sqlite_where=sa.text("user_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"))
    # The account stays (anonymised) when a person deletes it, so results do not change.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    ballot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ballot.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(enum_column(QUESTIONS, "rating_question"))
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- tallies: results in O(items) ------------------------------------------------------------
# Kept in the same transaction as every rating change (see tallies.py), so results read a few
# dozen rows whatever the number of ratings. ``participation ratings verify-tallies`` recomputes
# them from the ratings.

TALLY_CHANNELS = ("online", "offline")  # online: accounts; offline: ballots (paper, workshop, phone)


class RatingTally(Base):
    """How many participants gave one value to one question about one item, per channel."""

    __tablename__ = "rating_tally"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("strategy_item.id"), primary_key=True)
    question: Mapped[str] = mapped_column(enum_column(QUESTIONS, "rating_tally_question"), primary_key=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(enum_column(TALLY_CHANNELS, "rating_tally_channel"), primary_key=True)
    n: Mapped[int] = mapped_column(server_default="0")
    # Of them, participants who redeemed an invitation code for the round.
    n_verified: Mapped[int] = mapped_column(server_default="0")


class ParticipationTally(Base):
    """How many participants rated anything in a round, per channel."""

    __tablename__ = "participation_tally"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(enum_column(TALLY_CHANNELS, "participation_tally_channel"),
                                         primary_key=True)
    participants: Mapped[int] = mapped_column(server_default="0")
    verified: Mapped[int] = mapped_column(server_default="0")


class RoundParticipant(Base):
    """How many ratings an account holds in a round: tells the first rating and the last withdrawal.

    A row lock on it serialises one person's simultaneous first ratings, so the participant
    count cannot be raised twice. Rows stay at 0 after a withdrawal.
    """

    __tablename__ = "round_participant"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    ratings: Mapped[int] = mapped_column(server_default="0")
