"""The analysis of a round: its ratings from the database, the computation, a cache, and the
figures on representativeness and weighting that need to know who took part.

One streaming query reads the round's agreement ratings (accounts and offline ballots alike) into
a participants × items matrix; two small queries read the participants' districts and age
brackets. The result is kept per round in the process and computed again only when a cheap
marker query (count, newest id and sums over the round's ratings index, its scope and redeemed
codes) says something changed; that query itself runs only after this process changed the
round's ratings, or once per ``ANALYSIS_RECHECK_SECONDS`` for changes made elsewhere.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from ..accounts.models import AGE_BRACKETS, DISTRICTS, User
from ..pseudonyms import ballot_pseudonym, pseudonymizer
from ..ratings import tallies
from ..ratings.models import Ballot, Rating
from ..rounds.models import InvitationCode, Round, RoundItem
from ..rounds.services import scope_items
from ..strategy.models import StrategyItem, localized
from . import compute
from .population import Population, load

MIN_CELL = 5  # cells with fewer people are never shown
_lock = threading.Lock()


@dataclass(frozen=True)
class ItemRef:
    """What the analysis keeps of an item: plain values, safe to share between requests."""

    id: int
    key: str
    title_de: str
    title_en: str | None

    @property
    def title(self) -> str:
        return localized(self, "title")


@dataclass
class Matrix:
    """Agreement ratings of one round: ``values[p, i]`` (1–5, 0 keine Angabe, -1 not rated)."""

    values: np.ndarray
    items: list[ItemRef]
    # Per participant: an account id (> 0) or minus a ballot id (< 0).
    participants: np.ndarray
    districts: list[str | None]
    age_brackets: list[str | None]


@dataclass
class RoundAnalysis:
    round_id: int
    verified_only: bool
    matrix: Matrix
    result: compute.Analysis
    population: Population
    districts: list[dict]
    district_not_stated: int | None
    age_brackets: list[dict]
    weighting: dict
    weighted: list[float | None]  # share agree per item, weighted by district (None: no weighting)

    def item_json(self, index: int) -> dict:
        figures = self.result.items[index]
        return {
            "key": self.matrix.items[index].key,
            "n": figures.n,
            "answered": figures.answered,
            "share_agree": _round(figures.share_agree),
            "ci": [_round(figures.ci[0]), _round(figures.ci[1])] if figures.ci else None,
            "consensus": figures.consensus,
            "divisive": _round(figures.divisive),
            "divided": figures.divided,
            "uncertain": figures.uncertain,
            "share_uncertain": _round(figures.share_uncertain),
            "groups": {str(group): _round(share) for group, share in figures.groups.items()},
            "weighted_share_agree": _round(self.weighted[index]),
        }

    def as_json(self) -> dict:
        result = self.result
        keys = [item.key for item in self.matrix.items]
        parameters = compute.parameters()
        parameters.update({"k": result.k, "min_ratings": min(compute.MIN_RATINGS, len(keys)),
                           "min_cell": MIN_CELL, "question": "agreement"})
        return {
            "round": self.round_id,
            "verified_only": self.verified_only,
            "participants": result.participants,
            "included": result.included,
            "ungrouped": result.included - sum(group.size for group in result.groups),
            "silhouette": _round(result.silhouette),
            "parameters": parameters,
            "groups": [
                {
                    "id": group.id,
                    "size": group.size,
                    "distinguishing": [
                        {"key": keys[entry["index"]], "share_agree": _round(entry["share_agree"]),
                         "others": _round(entry["others"]), "z": round(entry["z"], 2)}
                        for entry in group.distinguishing
                    ],
                }
                for group in result.groups
            ],
            "items": [self.item_json(index) for index in range(len(keys))],
            "population": self.population.as_json(),
            "districts": self.districts,
            "district_not_stated": self.district_not_stated,
            "age_brackets": self.age_brackets,
            "weighting": self.weighting,
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


# --- loading ---------------------------------------------------------------------------------

def _agreement_ratings(round_: Round, verified_only: bool, dialect: str):
    round_column: sa.ColumnElement = Rating.round_id
    if dialect == "sqlite":
        # SQLite would walk the results index and fetch every row from the table by id, in
        # random order (measured: 3 s for 880,000 ratings); "+ 0" makes it read the table in
        # order instead (0.9 s). PostgreSQL chooses from its statistics.
        round_column = Rating.round_id + 0
    query = sa.select(
        sa.func.coalesce(Rating.user_id, -Rating.ballot_id), Rating.item_id, Rating.value,
    ).where(round_column == round_.id, Rating.question == "agreement")
    if verified_only:
        # Verified: an account that redeemed an invitation code of this round (ballots are not).
        query = query.join(InvitationCode, sa.and_(
            InvitationCode.redeemed_by_id == Rating.user_id, InvitationCode.round_id == round_.id))
    return query


def load_matrix(session: Session, round_: Round, verified_only: bool = False) -> Matrix:
    items = [ItemRef(item.id, item.key, item.title_de, item.title_en) for item in scope_items(session, round_)]
    column = {item.id: index for index, item in enumerate(items)}
    chunks = []
    # Read in blocks from the driver's cursor straight into numpy: three integers a row need no
    # Row objects (which cost more than the query itself for a million ratings). No
    # stream_results: SQLAlchemy would then buffer rows ahead of the cursor. On PostgreSQL the
    # driver holds the result (about 30 MB for 40,000 × 26) and converts it block by block.
    connection = session.connection()
    query = _agreement_ratings(round_, verified_only, connection.dialect.name)
    result = connection.execute(query)
    try:
        while block := result.cursor.fetchmany(50_000):
            flat = np.fromiter(itertools.chain.from_iterable(block), dtype=np.int64, count=3 * len(block))
            chunks.append(flat.reshape(-1, 3))
    finally:
        result.close()
    rows = np.concatenate(chunks) if chunks else np.zeros((0, 3), dtype=np.int64)
    in_scope = np.isin(rows[:, 1], list(column)) if len(rows) else np.zeros(0, bool)
    rows = rows[in_scope]
    participants, row_of = np.unique(rows[:, 0], return_inverse=True)
    values = np.full((len(participants), len(items)), compute.MISSING, dtype=np.int8)
    if len(rows):
        lookup = np.vectorize(column.__getitem__, otypes=[np.int64])
        values[row_of, lookup(rows[:, 1])] = rows[:, 2]

    users = {uid: (district, age) for uid, district, age in session.execute(
        sa.select(User.id, User.district, User.age_bracket).where(User.id.in_(
            sa.select(Rating.user_id).where(Rating.round_id == round_.id, Rating.user_id.is_not(None))
            .distinct().scalar_subquery())))}
    ballots = {bid: (district, age) for bid, district, age in session.execute(
        sa.select(Ballot.id, Ballot.district, Ballot.age_bracket).where(Ballot.round_id == round_.id))}
    traits = [users.get(int(p), (None, None)) if p > 0 else ballots.get(int(-p), (None, None)) for p in participants]
    return Matrix(values=values, items=items, participants=participants,
                  districts=[t[0] for t in traits], age_brackets=[t[1] for t in traits])


def _marker(session: Session, round_: Round) -> tuple:
    """Changes whenever an agreement rating of the round is added, changed or withdrawn.

    Count, newest id and two sums that any single change moves (a changed value changes the sum
    of id × value by id × difference); all read from the results index alone, without touching
    the table (0.1 s for 880,000 ratings on SQLite).
    """
    # Also the round's scope (editable in draft) and its redeemed codes (who counts as verified).
    scope = sa.select(sa.func.coalesce(sa.func.sum(RoundItem.item_id * (RoundItem.position + 1)), 0)).where(
        RoundItem.round_id == round_.id).scalar_subquery()
    codes = sa.select(sa.func.count()).select_from(InvitationCode).where(
        InvitationCode.round_id == round_.id, InvitationCode.redeemed_by_id.is_not(None)).scalar_subquery()
    return tuple(session.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(Rating.value), 0), sa.func.max(Rating.id),
        sa.func.coalesce(sa.func.sum(Rating.id * Rating.value), 0), scope, codes,
    ).where(Rating.round_id == round_.id, Rating.question == "agreement")).one())


# --- representativeness and weighting --------------------------------------------------------

def _suppressed(counts: dict[str, int]) -> dict[str, int | None]:
    """Cells of 1–4 people become None; if only one cell would go, the next smallest goes too,
    so that it cannot be worked out from the total."""
    shown: dict[str, int | None] = {key: (None if 0 < count < MIN_CELL else count) for key, count in counts.items()}
    hidden = [key for key, value in shown.items() if value is None]
    if len(hidden) == 1:
        others = sorted((count, key) for key, count in counts.items() if key not in hidden and count > 0)
        if others:
            shown[others[0][1]] = None
    return shown


def _table(traits: list[str | None], keys: tuple[str, ...], shares: dict[str, float], name: str):
    counts = {key: 0 for key in keys}
    not_stated = 0
    for trait in traits:
        if trait in counts:
            counts[trait] += 1
        else:
            not_stated += 1
    known = sum(counts.values())
    shown = _suppressed({**counts, "": not_stated})
    rows = [
        {
            name: key,
            "participants": shown[key],
            "sample_share": _round(shown[key] / known) if shown[key] is not None and known else None,
            "population_share": _round(shares.get(key)) if shares else None,
        }
        for key in keys
    ]
    return rows, shown[""], counts


def _weights(districts: list[str | None], counts: dict[str, int], population: Population):
    """Post-stratification by district: weight = population share / sample share, over the
    participants with a known district in districts of at least MIN_CELL participants."""
    usable = [key for key, count in counts.items() if count >= MIN_CELL and population.districts.get(key, 0) > 0]
    weights = np.zeros(len(districts))
    if len(usable) < 2:
        return weights, {"applied": False, "participants": 0, "districts": usable}
    population_total = sum(population.districts[key] for key in usable)
    sample_total = sum(counts[key] for key in usable)
    factor = {key: (population.districts[key] / population_total) / (counts[key] / sample_total) for key in usable}
    for index, district in enumerate(districts):
        if district in factor:
            weights[index] = factor[district]
    return weights, {
        "applied": True, "by": "district", "participants": sample_total, "districts": usable,
        "weights": {key: _round(value) for key, value in factor.items()},
    }


# --- the analysis ----------------------------------------------------------------------------

def _compute(session: Session, round_: Round, verified_only: bool, population: Population) -> RoundAnalysis:
    matrix = load_matrix(session, round_, verified_only)
    result = compute.analyse(matrix.values)
    districts, not_stated, counts = _table(matrix.districts, DISTRICTS, population.districts, "district")
    ages, _age_not_stated, _ = _table(matrix.age_brackets, AGE_BRACKETS, population.age_brackets, "age_bracket")
    weights, weighting = _weights(matrix.districts, counts, population)
    weighted = (compute.weighted_share_agree(matrix.values, weights) if weighting["applied"]
                else [None] * len(matrix.items))
    return RoundAnalysis(
        round_id=round_.id, verified_only=verified_only, matrix=matrix, result=result, population=population,
        districts=districts, district_not_stated=not_stated, age_brackets=ages, weighting=weighting,
        weighted=weighted,
    )


@dataclass
class _Cached:
    marker: tuple
    analysis: RoundAnalysis
    checked_at: float  # time.monotonic() of the last marker query
    generation: int  # the round's tally generation in this process at that time


def round_analysis(session: Session, round_: Round, verified_only: bool = False) -> RoundAnalysis:
    """The round's analysis, from the cache while its ratings are unchanged.

    A rating change made by this process moves the round's tally generation and is seen at once;
    otherwise the marker query runs at most once per ``ANALYSIS_RECHECK_SECONDS`` per round, so
    changes made by other processes show within that time and the requests in between cost no
    query at all. ``0`` asks the marker on every request.
    """
    population_file = current_app.config.get("POPULATION_FILE")
    population = load(population_file)
    key = (round_.id, verified_only, population_file, id(population))
    cache = current_app.extensions.setdefault("analysis_cache", {})
    cached = cache.get(key)
    now = time.monotonic()
    generation = tallies.generation(round_.id)
    recheck = current_app.config.get("ANALYSIS_RECHECK_SECONDS", 5)
    if cached is not None and cached.generation == generation and now - cached.checked_at < recheck:
        return cached.analysis
    marker = _marker(session, round_)
    if cached is not None and cached.marker == marker:
        with _lock:
            cache[key] = _Cached(marker, cached.analysis, now, generation)
        return cached.analysis
    analysis = _compute(session, round_, verified_only, population)
    with _lock:
        cache[key] = _Cached(marker, analysis, now, generation)
    return analysis


def item_figures(session: Session, round_: Round, item: StrategyItem) -> dict | None:
    """One item's consensus and division figures (for the moderators' workbench and the evidence
    snapshot of proposals); None when the item is not in the round."""
    analysis = round_analysis(session, round_)
    for index, candidate in enumerate(analysis.matrix.items):
        if candidate.id == item.id:
            figures = analysis.item_json(index)
            figures["participants"] = analysis.result.participants
            figures["groups_shown"] = len(analysis.result.groups)
            return figures
    return None


def membership(session: Session, round_: Round) -> list[dict]:
    """Each participant's group under the round's pseudonym (accounts) or ballot id (ballots)."""
    analysis = round_analysis(session, round_)
    pseudonym = pseudonymizer(round_.id)
    codes = dict(session.execute(sa.select(Ballot.id, Ballot.code).where(Ballot.round_id == round_.id)).all())
    entries = []
    for participant, group in zip(analysis.matrix.participants, analysis.result.membership, strict=True):
        name = pseudonym(int(participant)) if participant > 0 else ballot_pseudonym(codes[int(-participant)])
        entries.append({"participant": name, "group": int(group) or None})
    entries.sort(key=lambda entry: entry["participant"])
    return entries
