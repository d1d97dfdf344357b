"""How fast a round with 1,000,000 ratings is exported, and how much memory that takes.

Fills a fresh database in bulk (about 19,200 participants × 26 items × 2 questions, 5 % of them
offline ballots, plus comments), then runs each export format in a child process of its own and
reports the time, the ratings rows per second (all tables written, divided into the ratings
rows; also per CPU second, which a machine shared with other work does not distort) and the
child's peak RSS (VmHWM). Usage:

    .venv/bin/python benchmarks/export.py [--ratings 1000000] [--formats csv,xlsx] [--database-url URL]

The URL must point to an EMPTY database (default: temporary SQLite). Goal: CSV at least
200,000 rows/s; peak RSS under 150 MB for every format.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(url: str, ratings: int) -> int:
    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import User
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.comments.models import Comment
    from participation.ratings import tallies
    from participation.ratings.models import Ballot, Rating
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse

    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.test_request_context(method="POST"):
        session = db.session()
        version = import_version(session, parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
        items = rounds.rateable_items(session, version)
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Benchmark", title_en=None, description_de=None, description_en=None,
            opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1),
            item_ids=[i.id for i in items], asks_importance=True, results_visibility="live"))
        round_.stage = "published"
        session.commit()
        round_id, item_ids = round_.id, [i.id for i in items]
        per_person = len(item_ids) * 2
        people = -(-ratings // per_person)
        rng = random.Random(42)
        start = time.perf_counter()
        batch = 1000
        for first in range(0, people, batch):
            count = min(batch, people - first)
            offline = count // 20
            users = [{"email": f"p{first + i}@example.org", "display_name": f"P{first + i}", "role": "resident",
                      "language": "de", "session_token": f"t{first + i}", "created_at": now, "confirmed_at": now,
                      "district": rng.choice(("mitte", "nord", "ost", "west", "suedost", "hiltrup", None))}
                     for i in range(count - offline)]
            user_ids = session.scalars(sa.insert(User).returning(User.id), users).all()
            ballots = [{"round_id": round_id, "code": f"B-{first + i}", "channel": "paper", "district": "nord",
                        "created_at": now, "updated_at": now} for i in range(offline)]
            ballot_ids = session.scalars(sa.insert(Ballot).returning(Ballot.id), ballots).all() if ballots else []
            participants = [("user_id", i) for i in user_ids] + [("ballot_id", i) for i in ballot_ids]
            rows = []
            for kind, participant in participants:
                when = now - timedelta(days=rng.randrange(29), minutes=rng.randrange(1440))
                for item_id in item_ids:
                    for question in ("agreement", "importance"):
                        rows.append({"round_id": round_id, "item_id": item_id, "user_id": None, "ballot_id": None,
                                     kind: participant, "question": question,
                                     "value": rng.choice((0, 1, 2, 3, 3, 4, 4, 4, 5, 5)),
                                     "created_at": when, "updated_at": when})
            session.execute(sa.insert(Rating), rows)
            session.execute(sa.insert(Comment), [
                {"round_id": round_id, "item_id": rng.choice(item_ids), "author_id": user_id, "stance": "suggestion",
                 "body": f"Vorschlag {user_id}: =mehr Bäume", "body_html": "<p>Vorschlag</p>", "state": "visible",
                 "created_at": now, "helpful_count": 0, "reply_count": 0, "report_count": 0}
                for user_id in user_ids[:50]])
            session.commit()
        # Written around the rating service: count them into the tallies, as a ballot import does.
        tallies.rebuild(session, round_id)
        session.commit()
        total = session.scalar(sa.select(sa.func.count()).select_from(Rating))
        print(f"filled {total} ratings of {people} participants in {time.perf_counter() - start:.1f} s", flush=True)
    app.extensions["db_engine"].dispose()
    return round_id


def child(url: str, round_id: int, fmt: str, output: str) -> None:
    """Run one export (in its own process, so its peak RSS is its own)."""
    from participation import create_app
    from participation.exports import services
    from participation.rounds.models import Round

    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context(), app.extensions["db_sessionmaker"]() as session:
        round_ = session.get(Round, round_id)
        start, cpu = time.perf_counter(), time.process_time()
        with open(output, "wb") as out:
            services.write(session, round_, fmt, out, open_data=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    # VmHWM is this process's own peak RSS; ru_maxrss would carry over the parent's from the fork.
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(seconds, cpu, peak_kb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,csv-excel,json,xlsx")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", nargs=4, metavar=("URL", "ROUND", "FORMAT", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PARTICIPATION_ENV", "testing")
    if args.child:
        url, round_id, fmt, output = args.child
        child(url, int(round_id), fmt, output)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        round_id = fill(url, args.ratings)
        from participation.ratings.models import Rating

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            rows = conn.scalar(sa.select(sa.func.count()).select_from(Rating))
        engine.dispose()
        print(f"database: {sa.engine.make_url(url).get_backend_name()}; ratings: {rows}")
        print(f"{'format':10} {'seconds':>8} {'rows/s':>9} {'CPU s':>7} {'rows/CPU s':>11} {'peak RSS MB':>12} "
              f"{'file MB':>8}  (load average {os.getloadavg()[0]:.1f})")
        for fmt in args.formats.split(","):
            output = f"{tmp}/export-{fmt}"
            process = subprocess.Popen([sys.executable, __file__, "--child", url, str(round_id), fmt, output],  # noqa: S603
                                       stdout=subprocess.PIPE, text=True)
            out, _ = process.communicate()
            if process.returncode:
                raise SystemExit(f"{fmt}: export failed")
            seconds_text, cpu_text, peak_text = out.strip().splitlines()[-1].split()
            seconds, cpu, peak_kb = float(seconds_text), float(cpu_text), int(peak_text)
            size = os.path.getsize(output) / 1e6
            print(f"{fmt:10} {seconds:8.1f} {rows / seconds:9.0f} {cpu:7.1f} {rows / cpu:11.0f} {peak_kb / 1024:12.0f} "
                  f"{size:8.1f}", flush=True)


if __name__ == "__main__":
    main()
