"""How fast an item's discussion answers with 10 and with 10,000 comments.

Fills a fresh database with two rounds on the same item, one with 10 and one with COMMENTS
top-level comments (every tenth with three replies), then times the item page (rendered per
request: the visitor page cache is off, so the figures are what a logged-in person or the first
visitor after a change pays) and the comments API, in-process, alternating between the two
rounds so both see the same machine load; prints median, 95th percentile and the growth
(median large / median small). Usage:
``.venv/bin/python benchmarks/comments.py [--comments 10000] [--small 10] [--database-url URL]``
(the URL must point to an EMPTY database; default: temporary SQLite).
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

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = "mobilitaet-verkehr/zielbild-2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10,
                        help="comments of the smaller item (from 20 on, both show a full first page)")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")

    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.comments.models import Comment
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "PAGE_CACHE_SECONDS": 0})
        sizes = {}
        with app.test_request_context(method="POST"):
            session = db.session()
            version = import_version(session, parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
            items = rounds.rateable_items(session, version)
            item_id = next(i.id for i in items if i.key == KEY)
            now = datetime.now(UTC)
            authors = session.scalars(sa.insert(User).returning(User.id), [
                {"email": f"a{i}@example.org", "display_name": f"Person {i}", "role": "resident", "language": "de",
                 "session_token": f"s{i}", "created_at": now, "confirmed_at": now} for i in range(200)]).all()
            for count in (args.small, args.comments):
                round_ = rounds.create_round(session, rounds.RoundData(
                    version=version, title_de=f"{count}", title_en=None, description_de=None, description_en=None,
                    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
                    item_ids=[i.id for i in items]))
                stances = ("support", "criticism", "suggestion", "question")
                for first in range(0, count, 5000):
                    rows = [{"round_id": round_.id, "item_id": item_id, "author_id": authors[i % 200],
                             "stance": stances[i % 4], "body": f"Beitrag {i}", "body_html": f"<p>Beitrag {i}</p>",
                             "state": "visible", "created_at": now - timedelta(seconds=i), "helpful_count": i % 13,
                             "reply_count": 3 if i % 10 == 0 else 0} for i in range(first, min(count, first + 5000))]
                    ids = session.scalars(sa.insert(Comment).returning(Comment.id), rows).all()
                    replies = [{"round_id": round_.id, "item_id": item_id, "author_id": authors[j], "parent_id": cid,
                                "stance": "question", "body": "Antwort", "body_html": "<p>Antwort</p>",
                                "state": "visible", "created_at": now} for n, cid in enumerate(ids) if n % 10 == 0
                               for j in range(3)]
                    if replies:
                        session.execute(sa.insert(Comment), replies)
                session.commit()
                sizes[count] = round_.id
        if sa.engine.make_url(url).get_backend_name() == "postgresql":
            with app.extensions["db_engine"].begin() as connection:
                connection.exec_driver_sql("ANALYZE")  # as autovacuum would soon after the inserts
        print(f"database: {sa.engine.make_url(url).get_backend_name()}, load average {os.getloadavg()[0]:.1f}")
        print(f"{'request':66} {'comments':>8} {'median ms':>10} {'p95 ms':>8} {'growth':>7}")
        client = app.test_client()
        page = "/runden/{id}/" + KEY
        for path in (page, page + "?sort=oldest", page + "?sort=helpful", page + "?sort=helpful&stance=question",
                     "/api/v1/rounds/{id}/items/" + KEY + "/comments",
                     "/api/v1/rounds/{id}/items/" + KEY + "/comments?sort=helpful"):
            paths = {count: path.format(id=round_id) for count, round_id in sizes.items()}
            timings: dict[int, list[float]] = {count: [] for count in sizes}
            for _ in range(5):
                for url_path in paths.values():
                    client.get(url_path)
            for _ in range(args.repeat):
                for count, url_path in paths.items():
                    start = time.perf_counter()
                    assert client.get(url_path).status_code == 200
                    timings[count].append((time.perf_counter() - start) * 1000)
            medians = {count: statistics.median(values) for count, values in timings.items()}
            for count, values in timings.items():
                values.sort()
                growth = f"{medians[count] / medians[min(medians)]:6.2f}x" if count != min(medians) else ""
                print(f"{path:66} {count:8} {medians[count]:10.1f} "
                      f"{values[max(0, int(len(values) * 0.95) - 1)]:8.1f} {growth:>7}")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
