"""Our pages against the framework's ceiling, under the same gunicorn, interleaved.

Starts two gunicorn servers with the same settings (``-w 2 -k gthread --threads 4``): the bare
Flask app of ``benchmarks/ceiling.py`` and the platform (production mode) on a fresh database
(PostgreSQL when BENCH_DATABASE_URL names an EMPTY database, else temporary SQLite). A small
threaded HTTP client on the loopback (keep-alive connections, CONCURRENCY threads) then runs
ceiling, page, ceiling, page, … for SECONDS each and prints every page's requests per second as
a share of the ceiling measured right before and after it. No timing is asserted anywhere.

Usage: ``make bench`` or ``.venv/bin/python benchmarks/ratio.py [--seconds 5] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = "mobilitaet-verkehr/zielbild-2"
PASSWORD = "Lindenallee-Regenbogen-42"  # noqa: S105 - accounts of a throw-away database
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Session:
    """One simulated browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def log_in(self, email: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
        body = f"email={email}&password={PASSWORD}&csrf_token={token}".encode()
        status, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (302, 303), status
        _status, page = self.request("GET", "/konto")
        self.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()


def load(sessions: list[Session], make_request, seconds: float) -> tuple[float, int]:
    """Requests per second over all threads; and the number of unexpected answers."""
    stop = time.perf_counter() + seconds
    counts = [0] * len(sessions)
    errors = [0] * len(sessions)

    def worker(index: int) -> None:
        session = sessions[index]
        n = 0
        while time.perf_counter() < stop:
            status = make_request(session, n)
            n += 1
            if status == 200:
                counts[index] += 1
            else:
                errors[index] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start), sum(errors)


def prepare(url: str, users: int) -> int:
    from alembic import command

    from participation import create_app, db
    from participation.accounts import services as accounts
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
            version=version, title_de="Benchmark", title_en=None, description_de="Bitte bewerten Sie.",
            description_en=None, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in items], asks_importance=True, results_visibility="live"))
        for i in range(users):
            user = accounts.create_user(session, f"bench{i}@example.org", f"Bench {i}", "resident", PASSWORD)
            user.confirmed_at = now
        session.commit()
        _fill(session, round_, 40)  # a discussion of 40 threads, every tenth with replies
        round_id = round_.id
    app.extensions["db_engine"].dispose()
    return round_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2, help="ceiling/page pairs per page")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        os.environ["PARTICIPATION_ENV"] = "testing"
        round_id = prepare(url, args.concurrency)
        env = dict(os.environ, PARTICIPATION_ENV="production", PARTICIPATION_DATABASE_URL=url,
                   PARTICIPATION_SECRET_KEY=secrets.token_urlsafe(48), PARTICIPATION_RATELIMIT_ENABLED="0",
                   PARTICIPATION_SESSION_COOKIE_SECURE="0", PARTICIPATION_INSTANCE_PATH=tmp,
                   PARTICIPATION_BASE_URL="http://127.0.0.1")
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        ceiling_port, app_port = free_port(), free_port()
        servers = [
            subprocess.Popen([gunicorn, *GUNICORN, "-b", f"127.0.0.1:{ceiling_port}", "--chdir", str(ROOT),  # noqa: S603
                              "benchmarks.ceiling:app"], env=env, stderr=subprocess.DEVNULL),
            subprocess.Popen([gunicorn, *GUNICORN, "-b", f"127.0.0.1:{app_port}", "--chdir", str(ROOT), "wsgi:app"],  # noqa: S603
                             env=env, stderr=subprocess.DEVNULL),
        ]
        try:
            wait_for(ceiling_port)
            wait_for(app_port)
            time.sleep(1)
            item_path = f"/runden/{round_id}/{KEY}"
            visitors = [Session(app_port) for _ in range(args.concurrency)]
            residents = [Session(app_port) for _ in range(args.concurrency)]
            for index, resident in enumerate(residents):
                resident.log_in(f"bench{index}@example.org")
            ceilings = [Session(ceiling_port) for _ in range(args.concurrency)]

            def ceiling(session, _n):
                return session.request("GET", "/")[0]

            def get_item(session, _n):
                return session.request("GET", item_path)[0]

            def put_rating(session, n):
                body = json.dumps({"question": "agreement", "value": 1 + n % 5}).encode()
                return session.request("PUT", f"/api/v1/rounds/{round_id}/items/{KEY}/rating", body,
                                       {"Content-Type": "application/json", "X-CSRFToken": session.csrf})[0]

            pages = [("item page, visitor", visitors, get_item), ("item page, logged in", residents, get_item),
                     ("rating PUT (JSON API)", residents, put_rating)]
            for _name, sessions, request in pages:  # warm up every worker's caches
                load(sessions, request, 1.0)
            load(ceilings, ceiling, 1.0)
            print(f"database: {url.split(':', 1)[0]}; gunicorn {' '.join(GUNICORN)}; {args.concurrency} client "
                  f"threads; {args.seconds:g} s per run")
            print(f"{'what':26} {'req/s':>8} {'ceiling req/s':>14} {'ratio':>7} {'errors':>7}")
            for name, sessions, request in pages:
                before, _ = load(ceilings, ceiling, args.seconds)
                shares, rates, roofs, failures = [], [], [], 0
                for _ in range(args.rounds):
                    rate, errors = load(sessions, request, args.seconds)
                    after, _ = load(ceilings, ceiling, args.seconds)
                    roof = (before + after) / 2
                    shares.append(rate / roof)
                    rates.append(rate)
                    roofs.append(roof)
                    failures += errors
                    before = after
                print(f"{name:26} {sum(rates) / len(rates):8.0f} {sum(roofs) / len(roofs):14.0f} "
                      f"{100 * sum(shares) / len(shares):6.1f}% {failures:7}")
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
            for server in servers:
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
