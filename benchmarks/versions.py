"""How long composing, comparing and publishing take, and publishing with many subscribers.

Fills a fresh database with Münster 1.0 and SUBSCRIBERS opted-in accounts, composes 2.0 with an
amendment of every item, then times: composing, the comparison page and API (median of
--repeat), and publishing (one transaction that queues one mail per subscriber). Usage:
``.venv/bin/python benchmarks/versions.py [--subscribers 10000] [--database-url URL]``
(the URL must point to an EMPTY database; default: temporary SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_SESSION = "benchmark-admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")

    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.mail.models import OutboxMessage
    from participation.strategy.services import import_version, load_tree, parse
    from participation.versions.services import ChangeRequest, compose, publish

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        command.upgrade(alembic_config(url), "head")
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
                          "MAIL_DELIVER_INLINE": False})
        print(f"database: {sa.engine.make_url(url).get_backend_name()}, subscribers: {args.subscribers}")
        with app.test_request_context(method="POST"):
            session = db.session()
            base = import_version(session, parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
            now = datetime.now(UTC)
            for first in range(0, args.subscribers, 5000):
                session.execute(sa.insert(User), [
                    {"email": f"s{i}@example.org", "display_name": f"Person {i}", "role": "resident",
                     "language": "en" if i % 4 == 0 else "de", "session_token": f"s{i}", "created_at": now,
                     "confirmed_at": now, "notify_strategy_updates": True}
                    for i in range(first, min(args.subscribers, first + 5000))])
            session.commit()
            changes = [ChangeRequest("proposal", n, "amend", item.key,
                                     {"body": {"de": (item.body_de or "") + "\n\nErgänzt nach der Beteiligung."}})
                       for n, item in enumerate(load_tree(session, base).items, start=1)]
            start = time.perf_counter()
            result = compose(session, None, base, "2.0", changes)
            session.commit()
            print(f"compose 2.0 ({len(changes)} amendments): {(time.perf_counter() - start) * 1000:.0f} ms, "
                  f"{result.counts}")

        with app.test_client() as client:
            admin_id = None
            with app.app_context():
                admin = User(email="admin@example.org", display_name="Admin", role="admin", language="de",
                             session_token=ADMIN_SESSION, created_at=now, confirmed_at=now)
                db.session().add(admin)
                db.session().commit()
                admin_id = admin.id
            with client.session_transaction() as flask_session:
                flask_session["_user_id"] = f"{admin_id}:{ADMIN_SESSION}"
                flask_session["_fresh"] = True
            for path in ("/strategie/versionen/1.0/vergleich/2.0", "/strategie/versionen/1.0/vergleich/2.0/synopse",
                         "/api/v1/strategy/compare?from=1.0&to=2.0"):
                for _ in range(3):
                    assert client.get(path).status_code == 200, path
                timings = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    client.get(path)
                    timings.append((time.perf_counter() - start) * 1000)
                print(f"{path:50} median {statistics.median(timings):7.1f} ms")

        with app.test_request_context(method="POST"):
            session = db.session()
            from participation.strategy.services import version_by_number

            start = time.perf_counter()
            mails = publish(session, None, version_by_number(session, "2.0"))
            session.commit()
            elapsed = time.perf_counter() - start
            queued = session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
            print(f"publish 2.0: {elapsed:.1f} s, {mails} mails queued ({queued} in the outbox), "
                  f"{elapsed / max(mails, 1) * 1000:.2f} ms per mail")
        app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
