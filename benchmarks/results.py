"""How fast results and rating pages answer with many ratings.

Fills a fresh database step by step up to each PARTICIPANTS × 26 agreement ratings (plus
importance: 52 ratings per participant; the defaults give 1 k, 10 k, 100 k and 1 M ratings) in
bulk, recounts the tallies, then times the results API, the results page and an item page
(median and 95th percentile over repeated requests, in-process), and one rating change. Usage:
``.venv/bin/python benchmarks/results.py [--participants 20 200 2000 20000] [--database-url URL]``
(the URL must point to an EMPTY database; default: temporary SQLite).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(client, path: str, repeat: int) -> tuple[float, float]:
    for _ in range(3):
        client.get(path)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, nargs="+", default=[20, 200, 2_000, 20_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")

    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.ratings import tallies
    from participation.ratings.models import Rating
    from participation.results.services import participant_count, round_results
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or os.environ.get("BENCH_KEEP") or f"sqlite:///{tmp}/bench.db"
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
                item_ids=[i.id for i in items], asks_importance=True, results_visibility="live"))
            session.commit()
            round_id, item_ids = round_.id, [i.id for i in items]

            rng = random.Random(42)
            batch = 2_000
            filled = 0
            client = app.test_client()
            key = "mobilitaet-verkehr/zielbild-2"
            print(f"database: {sa.engine.make_url(url).get_backend_name()}")
            print(f"{'ratings':>9} {'request':48} {'median ms':>10} {'p95 ms':>8}")
            for target in sorted(args.participants):
                for first in range(filled, target, batch):
                    count = min(batch, target - first)
                    users = [{"email": f"p{first + i}@example.org", "display_name": f"P{first + i}",
                              "role": "resident", "language": "de", "session_token": f"t{first + i}",
                              "created_at": now, "confirmed_at": now} for i in range(count)]
                    ids = session.scalars(sa.insert(User).returning(User.id), users).all()
                    rows = [{"round_id": round_id, "item_id": item_id, "user_id": user_id, "question": question,
                             "value": rng.choice((0, 1, 2, 3, 3, 4, 4, 4, 5, 5)), "created_at": now,
                             "updated_at": now}
                            for user_id in ids for item_id in item_ids for question in ("agreement", "importance")]
                    session.execute(sa.insert(Rating), rows)
                    session.commit()
                filled = target
                # Written around the services: recount the tallies once, as a bulk load would.
                tallies.rebuild(session, round_id)
                session.commit()
                if url.startswith("postgresql"):
                    session.execute(sa.text("ANALYZE"))
                    session.commit()
                total = session.scalar(sa.select(sa.func.count()).select_from(Rating))
                for path in (f"/api/v1/rounds/{round_id}/results", f"/api/v1/rounds/{round_id}/results?verified=1",
                             f"/runden/{round_id}/ergebnisse", f"/runden/{round_id}/{key}"):
                    median, p95 = timed(client, path, args.repeat)
                    print(f"{total:9} {path:48} {median:10.1f} {p95:8.1f}")
                with app.app_context():
                    # Uncached: straight from the tallies.
                    inner = db.session()
                    round_ = inner.get(rounds.Round, round_id)
                    timings = []
                    for _ in range(args.repeat):
                        start = time.perf_counter()
                        round_results(inner, round_)
                        participant_count(inner, round_)
                        timings.append((time.perf_counter() - start) * 1000)
                    timings.sort()
                    print(f"{total:9} {'round_results + participant_count (no cache)':48} "
                          f"{statistics.median(timings):10.1f} {timings[max(0, int(len(timings) * 0.95) - 1)]:8.1f}")

        with app.test_request_context(method="PUT"):
            from participation.ratings.services import rate

            session = db.session()
            round_ = session.get(rounds.Round, round_id)
            user = session.get(User, 1)
            item = rounds.scope_item(session, round_, key)
            timings = []
            for value in (1, 2, 3, 4, 5) * 20:
                start = time.perf_counter()
                rate(session, round_, item, user, "agreement", value)
                session.commit()
                timings.append((time.perf_counter() - start) * 1000)
            print(f"{total:9} {'rating change + tallies + commit (service)':48} "
                  f"{statistics.median(timings):10.1f} {sorted(timings)[94]:8.1f}")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
