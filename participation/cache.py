"""What is the same for every visitor, computed once per change and kept in the process.

- A round's scope (its items, with their fields) never changes once the round has opened, and
  published strategy versions never change: kept per app process, keyed by round and version.
- Results come from the tallies; they are kept per round for ``RESULTS_CACHE_SECONDS`` and
  dropped at once when this process writes to the round's tallies (``tallies.generation``), so
  a participant sees their own rating counted immediately; ratings stored by other processes show
  after at most that many seconds.

Nothing personal goes in here (own ratings, CSRF tokens, own marks are read per request). The
cache lives in ``app.extensions`` (one per app, so tests never share it). Redis is deliberately
not used: the cached values are a few dozen rows that PostgreSQL serves as fast as Redis would,
and keeping them in-process saves the network round trip that makes the difference.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session, selectinload

from .ratings import tallies
from .rounds.models import Round, RoundItem
from .strategy.models import StrategyItem

SCOPE_SECONDS = 300.0  # a replaced strategy file (`strategy import --replace`) shows after this


def _store() -> dict:
    return current_app.extensions.setdefault("participation_cache", {})


def scope_items(db: Session, round_: Round) -> list[StrategyItem]:
    """The round's items in reading order (as rounds.services.scope_items), loaded once per process.

    The items are detached from any session, with every attribute the pages read loaded.
    """
    from .rounds.services import scope_items as load

    if round_.state == "draft":  # the scope may still change
        return load(db, round_)
    key = ("scope", round_.id, round_.version_id)
    found = _store().get(key)
    now = time.monotonic()
    if found is not None and found[0] > now:
        return found[1]
    import sqlalchemy as sa

    items = list(db.scalars(
        sa.select(StrategyItem)
        .join(RoundItem, RoundItem.item_id == StrategyItem.id)
        .where(RoundItem.round_id == round_.id)
        .order_by(RoundItem.position)
        .options(selectinload(StrategyItem.parent))
        .execution_options(populate_existing=True)
    ))
    for item in {*items, *(i.parent for i in items if i.parent is not None)}:
        db.expunge(item)
    _store()[key] = (now + SCOPE_SECONDS, items)
    return items


def _by_tallies(kind: str, load, db: Session, round_: Round, options: dict[str, Any]):
    """``load(db, round_, **options)``, kept until this round's tallies change in this process,
    and at most ``RESULTS_CACHE_SECONDS`` for changes made by other processes."""
    seconds = current_app.config.get("RESULTS_CACHE_SECONDS", 5)
    if not seconds:
        return load(db, round_, **options)
    key = (kind, round_.id, tuple(sorted(options.items())))
    generation = tallies.generation(round_.id)
    now = time.monotonic()
    found = _store().get(key)
    if found is not None and found[0] > now and found[1] == generation:
        return found[2]
    value = load(db, round_, **options)
    _store()[key] = (now + seconds, generation, value)
    return value


def results(db: Session, round_: Round, **options: Any):
    """round_results() for pages and the API, kept until this round's tallies change."""
    from .results.services import round_results

    return _by_tallies("results", round_results, db, round_, options)


def participation(db: Session, round_: Round, **options: Any) -> dict[str, int]:
    """results.participation(), cached like the results."""
    from .results.services import participation as load

    return _by_tallies("participation", load, db, round_, options)
