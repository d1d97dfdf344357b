"""How fast the public pages answer: median and 95th percentile over repeated requests.

Runs in-process (Flask test client) against a fresh, migrated database holding Münster 1.0,
so it measures our code and queries, not the network. Usage: ``make bench`` or
``.venv/bin/python benchmarks/pages.py [--requests N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    "/",
    "/strategie",
    "/strategie/vision",
    "/strategie/mobilitaet-verkehr",
    "/strategie/mobilitaet-verkehr/zielbild-2",
    "/seite/datenschutz",
    "/login",
    "/api/v1/strategy",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: temporary SQLite)")
    args = parser.parse_args()

    os.environ.setdefault("PARTICIPATION_ENV", "testing")
    from alembic import command

    from participation import create_app, db
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.strategy.services import import_version, parse

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            import_version(db.session(), parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
            db.session().commit()
        client = app.test_client()
        queries = {"n": 0}
        sa.event.listen(app.extensions["db_engine"], "before_cursor_execute",
                        lambda *a, **k: queries.__setitem__("n", queries["n"] + 1))
        print(f"{'page':45} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for path in PAGES:
            for _ in range(10):  # warm up caches and templates
                client.get(path)
            timings = []
            queries["n"] = 0
            for _ in range(args.requests):
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"{path:45} {statistics.median(timings):10.2f} {p95:8.2f} {queries['n'] / args.requests:8.1f}")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
