"""Opinion groups, consensus and division: a pure function over a participants × items matrix.

No database, no Flask: the same numbers come out of the platform, of the benchmark and of a
researcher's copy of the exported ``ratings`` table. Every step is deterministic (a fixed seed,
a fixed number of k-means starts, rows put in a canonical order first), so two calls on the same
ratings give identical answers, whatever order the rows came in.

Cells of the matrix: 1–5 an answer on the scale, 0 "keine Angabe", -1 not rated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, silhouette_score
from threadpoolctl import threadpool_limits

MISSING = -1
NO_ANSWER = 0
SEED = 20261127
N_INIT = 10
COMPONENTS = 2
K_RANGE = (2, 5)
MIN_RATINGS = 7  # or the number of items, if fewer
MIN_GROUP = 10  # smaller groups are never shown; their members count as ungrouped
SILHOUETTE_SAMPLE = 2000  # the silhouette is measured on a fixed-seed subsample beyond this
FIT_SAMPLE = 5000  # k-means learns its centres on a fixed-seed subsample beyond this, then assigns all
CONSENSUS_OVERALL = 0.6
CONSENSUS_GROUP = 0.5
UNCERTAIN = 0.3
DIVIDED = 0.3  # a difference between groups from which an item is called divided
Z_DISTINGUISHING = 1.96  # two-sided 5 % level of the two-proportion z-test
WILSON_Z = 1.959963984540054  # 95 %


def parameters() -> dict:
    """What went into the computation (and the library versions), for the API and exports."""
    return {
        "seed": SEED,
        "n_init": N_INIT,
        "components": COMPONENTS,
        "k_range": list(K_RANGE),
        "min_ratings": MIN_RATINGS,
        "min_group_size": MIN_GROUP,
        "silhouette_sample": SILHOUETTE_SAMPLE,
        "fit_sample": FIT_SAMPLE,
        "agree_values": [4, 5],
        "consensus": {"overall": CONSENSUS_OVERALL, "every_group": CONSENSUS_GROUP},
        "uncertain": UNCERTAIN,
        "divided": DIVIDED,
        "distinguishing_z": Z_DISTINGUISHING,
        "interval": "Wilson 95 %",
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
    }


def wilson(agree: int, n: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """Wilson score interval for a share agree of ``agree`` out of ``n``."""
    if n == 0:
        return None
    p = agree / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(agree_a: int, n_a: int, agree_b: int, n_b: int) -> float | None:
    """z statistic of the difference between two shares (pooled standard error)."""
    if n_a == 0 or n_b == 0:
        return None
    pooled = (agree_a + agree_b) / (n_a + n_b)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if error == 0:
        return 0.0
    return (agree_a / n_a - agree_b / n_b) / error


@dataclass
class Group:
    id: int
    size: int
    share_agree: list[float | None]  # per item
    distinguishing: list[dict] = field(default_factory=list)


@dataclass
class ItemFigures:
    index: int
    n: int  # ratings including "keine Angabe"
    answered: int  # answers 1–5
    agree: int
    share_agree: float | None
    ci: tuple[float, float] | None
    uncertain: bool
    share_uncertain: float | None
    groups: dict[int, float | None]
    consensus: bool
    divisive: float | None

    @property
    def divided(self) -> bool:
        return self.divisive is not None and self.divisive >= DIVIDED


@dataclass
class Analysis:
    participants: int
    included: int
    k: int | None  # chosen by silhouette; None without clustering
    silhouette: float | None
    groups: list[Group]
    items: list[ItemFigures]
    membership: np.ndarray  # per participant (input order): group id, or 0 for ungrouped / not included


def _agree_counts(values: np.ndarray, rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
    block = values[rows]
    answered = (block >= 1).sum(axis=0)
    agree = (block >= 4).sum(axis=0)
    return agree, answered


def _share(agree: int, answered: int) -> float | None:
    return agree / answered if answered else None


def _cluster(points: np.ndarray) -> tuple[int | None, float | None, np.ndarray | None]:
    """k-means for k = 2…5, the k with the highest silhouette; labels in the order of ``points``."""
    n = len(points)
    distinct = len(np.unique(points.round(9), axis=0))
    rng = np.random.default_rng(SEED)
    # Beyond a few thousand participants the centres hardly move with more of them: learn them on
    # a fixed subsample and assign everyone to the nearest (keeps 40,000 well under a second).
    fit = points if n <= FIT_SAMPLE else points[np.sort(rng.choice(n, FIT_SAMPLE, replace=False))]
    # The silhouette compares every pair of people: on a fixed subsample, distances computed once.
    sample = np.arange(n) if n <= SILHOUETTE_SAMPLE else np.sort(rng.choice(n, SILHOUETTE_SAMPLE, replace=False))
    distances = pairwise_distances(points[sample])
    best: tuple[float, int, np.ndarray] | None = None
    for k in range(K_RANGE[0], K_RANGE[1] + 1):
        if k >= n or k > distinct:
            break
        labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=SEED).fit(fit).predict(points)
        found = len(np.unique(labels[sample]))
        if found < 2 or found >= len(sample):
            continue
        score = float(silhouette_score(distances, labels[sample], metric="precomputed"))
        if best is None or score > best[0]:
            best = (score, k, labels)
    if best is None:
        return None, None, None
    return best[1], best[0], best[2]


def analyse(values: np.ndarray) -> Analysis:
    """Opinion groups and per-item figures for a participants × items matrix of agreement values."""
    # One thread: the matrices are small, and on a busy app server BLAS and OpenMP threads that
    # wait for each other cost ten times more than they save (measured: 6 s against 0.4 s).
    with threadpool_limits(limits=1):
        return _analyse(values)


def _analyse(values: np.ndarray) -> Analysis:
    values = np.asarray(values, dtype=np.int8)
    if values.ndim != 2:
        raise ValueError("expected a participants × items matrix")
    n_participants, n_items = values.shape
    # A canonical row order: the answer depends on the ratings only, not on the order of the rows
    # (nor on ids or pseudonyms), so a copy of the export reproduces the groups.
    order = np.lexsort(values.T[::-1]) if n_participants and n_items else np.arange(n_participants)
    ordered = values[order]

    min_ratings = min(MIN_RATINGS, n_items)
    included = (ordered >= 1).sum(axis=1) >= min_ratings if n_items else np.zeros(n_participants, bool)
    labels_ordered = np.zeros(n_participants, dtype=np.int64)  # 0: no group
    k = silhouette = None
    groups: list[Group] = []
    members = ordered[included]
    if len(members) >= 2 * MIN_GROUP and n_items:
        answered = members >= 1
        data = np.where(answered, members, 0).astype(np.float64)
        counts = answered.sum(axis=0)
        means = np.divide(data.sum(axis=0), counts, out=np.zeros(n_items), where=counts > 0)
        # Centre each item; a gap (not rated or "keine Angabe") sits at the item's mean.
        centred = np.where(answered, data - means, 0.0)
        components = min(COMPONENTS, n_items, len(members))
        points = PCA(n_components=components, svd_solver="covariance_eigh").fit_transform(centred)
        k, silhouette, raw = _cluster(points)
        if raw is not None:
            labels_ordered[np.flatnonzero(included)] = _stable_ids(raw, points)
    membership = np.zeros(n_participants, dtype=np.int64)
    membership[order] = labels_ordered

    overall_agree, overall_answered = _agree_counts(ordered, slice(None))
    rated = (ordered >= 0).sum(axis=0)
    unsure = ((ordered == 0) | (ordered == 3)).sum(axis=0)
    group_ids = sorted(int(g) for g in np.unique(labels_ordered) if g)
    group_counts = {g: _agree_counts(ordered, labels_ordered == g) for g in group_ids}
    in_groups = included  # "everyone else" for the z-test: the other included participants
    for g in group_ids:
        agree, answered = group_counts[g]
        rest = in_groups & (labels_ordered != g)
        rest_agree, rest_answered = _agree_counts(ordered, rest)
        group = Group(g, int((labels_ordered == g).sum()),
                      [_share(int(a), int(n)) for a, n in zip(agree, answered, strict=True)])
        for index in range(n_items):
            z = two_proportion_z(int(agree[index]), int(answered[index]),
                                 int(rest_agree[index]), int(rest_answered[index]))
            if z is not None and abs(z) >= Z_DISTINGUISHING:
                group.distinguishing.append({
                    "index": index, "z": z, "share_agree": group.share_agree[index],
                    "others": _share(int(rest_agree[index]), int(rest_answered[index])),
                })
        group.distinguishing.sort(key=lambda entry: (-abs(entry["z"]), entry["index"]))
        groups.append(group)

    items = []
    for index in range(n_items):
        share = _share(int(overall_agree[index]), int(overall_answered[index]))
        per_group = {group.id: group.share_agree[index] for group in groups}
        shown = [value for value in per_group.values() if value is not None]
        consensus = share is not None and share >= CONSENSUS_OVERALL and all(
            value is not None and value >= CONSENSUS_GROUP for value in per_group.values())
        n_rated = int(rated[index])
        items.append(ItemFigures(
            index=index, n=n_rated, answered=int(overall_answered[index]), agree=int(overall_agree[index]),
            share_agree=share, ci=wilson(int(overall_agree[index]), int(overall_answered[index])),
            share_uncertain=int(unsure[index]) / n_rated if n_rated else None,
            uncertain=bool(n_rated and unsure[index] / n_rated >= UNCERTAIN),
            groups=per_group, consensus=consensus,
            divisive=max(shown) - min(shown) if len(shown) >= 2 else None,
        ))
    return Analysis(
        participants=n_participants, included=int(included.sum()), k=k if groups else None,
        silhouette=silhouette if groups else None, groups=groups, items=items, membership=membership,
    )


def _stable_ids(labels: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Group ids 1, 2, … by size (largest first), ties by centroid; groups under 10 become 0."""
    found = []
    for label in np.unique(labels):
        mask = labels == label
        found.append((-int(mask.sum()), tuple(np.round(points[mask].mean(axis=0), 9)), int(label)))
    found.sort()
    ids = np.zeros(len(labels), dtype=np.int64)
    next_id = 1
    for negative_size, _centroid, label in found:
        if -negative_size >= MIN_GROUP:
            ids[labels == label] = next_id
            next_id += 1
    return ids


def weighted_share_agree(values: np.ndarray, weights: np.ndarray) -> list[float | None]:
    """Share agree per item with a weight per participant (weight 0: left out)."""
    values = np.asarray(values)
    answered = (values >= 1) & (weights[:, None] > 0)
    total = (answered * weights[:, None]).sum(axis=0)
    agree = ((values >= 4) * weights[:, None]).sum(axis=0)
    return [float(a / t) if t > 0 else None for a, t in zip(agree, total, strict=True)]
