"""How fast the consolidation workbench answers with 10 and with 1,000 (or more) comments on an item.

Fills a fresh database with two rounds in consolidation on the same item, one with 10 and one
with COMMENTS top-level comments (a third with an outcome, a fifth cited by a proposal), logs a
moderator in and times the workbench pages and the Abwägungstabelle (median and 95th
percentile, in-process), with the number of queries per request. Usage:
``.venv/bin/python benchmarks/workbench.py [--comments 1000] [--database-url URL]``
(the URL must point to an EMPTY database; default: temporary SQLite).
"""

from __future__ import annotations

import argparse
import os
import re
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
PASSWORD = "Lindenallee-Regenbogen-42"  # noqa: S105 - a throwaway benchmark account


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")

    from alembic import command

    from participation import create_app, db
    from participation.accounts import services as accounts
    from participation.accounts.models import User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.comments.models import Comment
    from participation.proposals.models import CommentOutcome, Proposal, ProposalComment
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
            moderator = accounts.create_user(session, "mod@example.org", "Moderation", "moderator", PASSWORD)
            now = datetime.now(UTC)
            authors = session.scalars(sa.insert(User).returning(User.id), [
                {"email": f"a{i}@example.org", "display_name": f"Person {i}", "role": "resident", "language": "de",
                 "session_token": f"s{i}", "created_at": now, "confirmed_at": now} for i in range(200)]).all()
            for count in (10, args.comments):
                round_ = rounds.create_round(session, rounds.RoundData(
                    version=version, title_de=f"{count}", title_en=None, description_de=None, description_en=None,
                    opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1),
                    item_ids=[i.id for i in items]))
                round_.stage = "consolidation"
                ids = session.scalars(sa.insert(Comment).returning(Comment.id), [
                    {"round_id": round_.id, "item_id": item_id, "author_id": authors[i % 200], "stance": "suggestion",
                     "body": f"Beitrag {i}", "body_html": f"<p>Beitrag {i}</p>", "state": "visible",
                     "created_at": now - timedelta(seconds=i), "helpful_count": i % 13, "reply_count": i % 3}
                    for i in range(count)]).all()
                session.execute(sa.insert(CommentOutcome), [
                    {"comment_id": cid, "outcome": "noted", "explanation": "Danke", "explicit": True, "set_at": now}
                    for cid in ids[::3]])
                proposal = Proposal(round_id=round_.id, kind="keep", item_id=item_id, rationale_de="Grund",
                                    author_id=moderator.id, created_at=now, updated_at=now)
                proposal.links = []
                session.add(proposal)
                session.flush()
                session.execute(sa.insert(ProposalComment), [{"proposal_id": proposal.id, "comment_id": cid}
                                                             for cid in ids[::5]])
                session.commit()
                sizes[count] = round_.id
        client = app.test_client()
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
        client.post("/login", data={"email": "mod@example.org", "password": PASSWORD, "csrf_token": token})
        engine = app.extensions["db_engine"]
        queries = [0]
        sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.__setitem__(0, queries[0] + 1))
        print(f"database: {sa.engine.make_url(url).get_backend_name()}")
        print(f"{'request':52} {'comments':>8} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
        for path in ("/moderation/runden/{id}", "/moderation/runden/{id}/" + KEY,
                     "/moderation/runden/{id}/" + KEY + "?open=1", "/moderation/runden/{id}/" + KEY + "?page=10",
                     "/runden/{id}/abwaegung"):
            for count, round_id in sizes.items():
                url_path = path.format(id=round_id)
                for _ in range(3):
                    client.get(url_path)
                queries[0] = 0
                assert client.get(url_path).status_code == 200
                per_request = queries[0]
                timings = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    assert client.get(url_path).status_code == 200
                    timings.append((time.perf_counter() - start) * 1000)
                timings.sort()
                print(f"{path:52} {count:8} {per_request:7} {statistics.median(timings):10.1f} "
                      f"{timings[max(0, int(len(timings) * 0.95) - 1)]:8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
