"""How fast the analysis runs for PARTICIPANTS × 26 items.

1. The computation alone (participation.analysis.compute.analyse) on a synthetic matrix: four
   opinion profiles with noise, some "keine Angabe" and gaps; median and slowest of REPEAT runs.
2. With ``--database``: a fresh database filled with the same ratings (online accounts and a
   tenth offline ballots, with districts), then the analysis API cold (streaming load + compute)
   and warm (the cache answers after the marker query).

Usage: ``.venv/bin/python benchmarks/analysis.py [--participants 40000] [--database]
[--database-url URL]`` (the URL must point to an EMPTY database; default: temporary SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ITEMS = 26


def synthetic(participants: int, seed: int = 42) -> np.ndarray:
    rng = np.random.default_rng(seed)
    profiles = rng.integers(1, 6, (4, ITEMS))
    which = rng.choice(4, participants, p=[0.4, 0.3, 0.2, 0.1])
    values = np.clip(profiles[which] + rng.integers(-1, 2, (participants, ITEMS)), 1, 5)
    values[rng.random((participants, ITEMS)) < 0.05] = 0  # keine Angabe
    values[rng.random((participants, ITEMS)) < 0.15] = -1  # not rated
    return values.astype(np.int8)


def time_computation(values: np.ndarray, repeat: int) -> None:
    from participation.analysis.compute import analyse

    analyse(values[:200])  # imports and first calls out of the way
    timings, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = analyse(values)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # CPU time as well: on a shared machine the wall clock also counts other programs' turns.
    print(f"computation {values.shape[0]} × {values.shape[1]}: median {statistics.median(timings) * 1000:.0f} ms, "
          f"slowest {max(timings) * 1000:.0f} ms over {repeat} runs (CPU time: median "
          f"{statistics.median(cpu) * 1000:.0f} ms); included {result.included}, "
          f"k = {result.k}, groups {[g.size for g in result.groups]}")


def time_database(values: np.ndarray, url: str | None) -> None:
    os.environ.setdefault("PARTICIPATION_ENV", "testing")
    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import DISTRICTS, User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.ratings.models import Ballot, Rating
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse

    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/bench.db"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.test_request_context(method="POST"):
            session = db.session()
            version = import_version(session, parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
            items = rounds.rateable_items(session, version)
            now = datetime.now(UTC)
            round_ = rounds.create_round(session, rounds.RoundData(
                version=version, title_de="Benchmark", title_en=None, description_de=None,
                description_en=None, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
                item_ids=[i.id for i in items], asks_importance=False, results_visibility="live"))
            session.commit()
            round_id, item_ids = round_.id, [i.id for i in items]
            start = time.perf_counter()
            batch = 2_000
            for first in range(0, len(values), batch):
                block = values[first:first + batch]
                offline = first >= len(values) * 0.9
                if offline:
                    owners = session.scalars(sa.insert(Ballot).returning(Ballot.id), [
                        {"round_id": round_id, "code": f"B{first + i}", "channel": "paper",
                         "district": DISTRICTS[(first + i) % 6], "created_at": now, "updated_at": now}
                        for i in range(len(block))]).all()
                else:
                    owners = session.scalars(sa.insert(User).returning(User.id), [
                        {"email": f"p{first + i}@example.org", "display_name": f"P{first + i}",
                         "role": "resident", "language": "de", "session_token": f"t{first + i}",
                         "created_at": now, "confirmed_at": now, "district": DISTRICTS[(first + i) % 7 % 6]}
                        for i in range(len(block))]).all()
                column = "ballot_id" if offline else "user_id"
                rows = [{"round_id": round_id, "item_id": item_ids[i], column: owner, "question": "agreement",
                         "value": int(row[i]), "created_at": now, "updated_at": now}
                        for owner, row in zip(owners, block, strict=True) for i in range(ITEMS) if row[i] >= 0]
                session.execute(sa.insert(Rating), rows)
                session.commit()
            fill = time.perf_counter() - start
            total = session.scalar(sa.select(sa.func.count()).select_from(Rating))
        print(f"database: {sa.engine.make_url(url).get_backend_name()}; ratings: {total} (filled in {fill:.0f} s)")
        client = app.test_client()
        path = f"/api/v1/rounds/{round_id}/analysis"
        start = time.perf_counter()
        response = client.get(path)
        cold = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        warm = []
        for _ in range(20):
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            warm.append(time.perf_counter() - start)
        data = response.get_json()
        print(f"API cold (load + compute): {cold * 1000:.0f} ms; warm (cached): median "
              f"{statistics.median(warm) * 1000:.0f} ms; participants {data['participants']}, "
              f"groups {[g['size'] for g in data['groups']]}")
        app.extensions["db_engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", action="store_true", help="also time the API on a filled database")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    values = synthetic(args.participants)
    time_computation(values, args.repeat)
    if args.database or args.database_url:
        time_database(values, args.database_url)


if __name__ == "__main__":
    main()
