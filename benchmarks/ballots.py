"""How fast offline ballots import: rows per second, checking included.

Writes a CSV of ROWS ratings (ballots × 26 items, agreement) and imports it twice into a fresh
round (the second run replaces every ballot). Usage:
``.venv/bin/python benchmarks/ballots.py [--rows 200000] [--database-url URL]``
(the URL must point to an EMPTY database; default: temporary SQLite).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")

    from alembic import command

    from participation import create_app, db
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.ratings.ballots import import_ballots
    from participation.ratings.models import Rating
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
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
                item_ids=[i.id for i in items], results_visibility="live"))
            session.commit()
            rng = random.Random(1)
            lines = ["ballot;item;question;value;district;age"]
            districts = ("mitte", "nord", "ost", "west", "suedost", "hiltrup", "")
            ballots = -(-args.rows // len(items))
            for ballot in range(ballots):
                district = districts[ballot % len(districts)]
                for item in items:
                    if len(lines) > args.rows:
                        break
                    lines.append(f"B{ballot:07d};{item.key};agreement;{rng.randint(0, 5)};{district};")
            data = ("\n".join(lines) + "\n").encode()
            backend = sa.engine.make_url(url).get_backend_name()
            for run in ("first import", "same file again (replaces)"):
                if backend == "postgresql":
                    session.execute(sa.text("SET LOCAL statement_timeout = 0"))  # as the command does
                load = os.getloadavg()[0]
                start = time.perf_counter()
                summary = import_ballots(session, round_, "paper", data)
                session.commit()
                seconds = time.perf_counter() - start
                print(f"{backend}: {run}: {summary.rows} rows, {summary.ballots} ballots in {seconds:.2f} s "
                      f"= {summary.rows / seconds:,.0f} rows/s (load average {load:.1f})")
            total = session.scalar(sa.select(sa.func.count()).select_from(Rating))
            assert total == args.rows, total
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
