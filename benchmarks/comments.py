"""How fast an item's discussion answers with 10 and with 10,000 comments.

Fills a fresh database with two rounds on the same item, one with 10 and one with COMMENTS
top-level comments (every tenth with three replies), then times the item page and the
comments API (median and 95th percentile, in-process). Usage:
``.venv/bin/python benchmarks/comments.py [--comments 10000] [--database-url URL]``
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
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
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
            for count in (10, args.comments):
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
        print(f"database: {sa.engine.make_url(url).get_backend_name()}")
        print(f"{'request':58} {'comments':>8} {'median ms':>10} {'p95 ms':>8}")
        client = app.test_client()
        for path in ("/runden/{id}/" + KEY, "/runden/{id}/" + KEY + "?sort=helpful",
                     "/api/v1/rounds/{id}/items/" + KEY + "/comments"):
            for count, round_id in sizes.items():
                url_path = path.format(id=round_id)
                for _ in range(5):
                    client.get(url_path)
                timings = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    assert client.get(url_path).status_code == 200
                    timings.append((time.perf_counter() - start) * 1000)
                timings.sort()
                print(f"{path:58} {count:8} {statistics.median(timings):10.1f} "
                      f"{timings[max(0, int(len(timings) * 0.95) - 1)]:8.1f}")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
