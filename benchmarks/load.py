"""Load test: 1,000 residents ramping up to 200 at once, against gunicorn (+ PostgreSQL).

Prepares a fresh database (BENCH_DATABASE_URL: an EMPTY PostgreSQL database; default
temporary SQLite) with an open round and 1,000 resident accounts, serves the platform with
``gunicorn -c gunicorn.conf.py`` (2 workers × 4 threads), and runs Locust headless with the
scenario of ``benchmarks/locustfile.py`` (residents pause 1–3 s between steps, as people read)
until every resident's visit is over, or at most RUN_TIME (a bound far above the ~4 minutes the
visits take). Prints p50/p95/p99 and errors per endpoint and how many visits finished. Locust
runs in one process with ``FastHttpUser`` (gevent), so it takes little of the CPU the server
needs. Needs the bench extra: ``.venv/bin/pip install -e '.[bench]'``.

Usage: ``.venv/bin/python benchmarks/load.py [--users 200] [--spawn-rate 4] [--run-time 900s] [--think 1,3]``
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def prepare(url: str, residents: int, password: str) -> int:
    from alembic import command

    from participation import create_app, db
    from participation.accounts.models import User
    from participation.accounts.passwords import hash_password
    from participation.cli import DEFAULT_STRATEGY, alembic_config
    from participation.rounds import services as rounds
    from participation.strategy.services import import_version, parse
    from tests.test_comments_performance import _fill

    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.test_request_context(method="POST"):
        session = db.session()
        version = import_version(session, parse(DEFAULT_STRATEGY.read_text(encoding="utf-8")))
        items = rounds.rateable_items(session, version)
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Lasttest", title_en=None, description_de="Bitte bewerten Sie.",
            description_en=None, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in items], results_visibility="live"))
        hashed = hash_password(password)  # one hash for all: scrypt per account would take minutes
        session.execute(sa.insert(User), [
            {"email": f"resident{i}@example.org", "display_name": f"Resident {i}", "role": "resident",
             "language": "de", "password_hash": hashed, "session_token": secrets.token_hex(16),
             "created_at": now, "confirmed_at": now} for i in range(residents)])
        session.commit()
        _fill(session, round_, 200)
        round_id = round_.id
    app.extensions["db_engine"].dispose()
    return round_id


def warm_up(port: int, round_id: int) -> None:
    """Ask each page a few times first: every worker has booted, compiled its templates and
    filled its caches, as a server in use has (the first answers of a fresh worker take seconds)."""
    import http.client

    paths = ["/login", f"/runden/{round_id}", f"/runden/{round_id}/leitkoordinate-1",
             f"/api/v1/rounds/{round_id}/items/leitkoordinate-1/comments"]
    for _ in range(10):
        for path in paths:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200, help="concurrent residents at the peak")
    parser.add_argument("--spawn-rate", type=float, default=4.0, help="new residents per second while ramping")
    parser.add_argument("--run-time", default="900s", help="upper bound; the test ends when all visits are over")
    parser.add_argument("--think", default="1,3", help="pause between two steps of a visit: min,max seconds")
    parser.add_argument("--verbose", action="store_true", help="show the server's and Locust's log")
    args = parser.parse_args()
    password = secrets.token_urlsafe(16)

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        os.environ["PARTICIPATION_ENV"] = "testing"
        round_id = prepare(url, args.residents, password)
        from ratio import free_port, wait_for

        port = free_port()
        env = dict(os.environ, PARTICIPATION_ENV="production", PARTICIPATION_DATABASE_URL=url,
                   PARTICIPATION_SECRET_KEY=secrets.token_urlsafe(48), PARTICIPATION_RATELIMIT_ENABLED="0",
                   PARTICIPATION_SESSION_COOKIE_SECURE="0", PARTICIPATION_INSTANCE_PATH=tmp,
                   PARTICIPATION_BASE_URL="http://127.0.0.1",
                   PARTICIPATION_BIND=f"127.0.0.1:{port}", PARTICIPATION_GUNICORN_WORKERS="2",
                   BENCH_ROUND=str(round_id), BENCH_RESIDENTS=str(args.residents), BENCH_PASSWORD=password,
                   BENCH_THINK=args.think)
        bin_dir = ROOT / ".venv" / "bin"
        server = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),  # noqa: S603
                                   "--chdir", str(ROOT), "wsgi:app"], env=env,
                                  stderr=None if args.verbose else subprocess.DEVNULL)
        try:
            wait_for(port)
            warm_up(port, round_id)
            prefix = f"{tmp}/locust"
            started = time.monotonic()
            subprocess.run([str(bin_dir / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"),  # noqa: S603
                            "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
                            "--run-time", args.run_time, "--stop-timeout", "60", "--host", f"http://127.0.0.1:{port}",
                            "--csv", prefix, "--only-summary", "--loglevel", "WARNING"], env=env, check=False,
                           stderr=None if args.verbose else subprocess.DEVNULL)
            print(f"database: {url.split(':', 1)[0]}; {args.residents} residents, up to {args.users} at once "
                  f"(+{args.spawn_rate:g}/s), pauses {args.think} s, at most {args.run_time}")
            print(f"{'endpoint':24} {'requests':>9} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'req/s':>7}")
            with open(f"{prefix}_stats.csv", newline="") as stats:
                for row in csv.DictReader(stats):
                    print(f"{row['Name']:24} {row['Request Count']:>9} {row['Failure Count']:>7} {row['50%']:>7} "
                          f"{row['95%']:>7} {row['99%']:>7} {float(row['Requests/s']):7.1f}")
            with open(f"{prefix}_failures.csv", newline="") as failures:
                for row in csv.DictReader(failures):
                    print(f"failed: {row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}×)")
            print(f"wall time {time.monotonic() - started:.0f} s")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
