"""Database outage: while PostgreSQL is down every request answers 503 (HTML with the security
headers and Retry-After, JSON ``unavailable`` under /api/), and the app recovers by itself.

The test runs a PostgreSQL server of its own (initdb into a temporary directory, pg_ctl on a
free port) and stops and starts it; the shared server is never touched. It runs in the
PostgreSQL pass of the suite, and is skipped when the server binaries are not installed.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation import create_app, db
from participation.comments.models import Comment

from .conftest import CSRF_RE, MUENSTER, PASSWORD, Client, free_port, migrate

pytestmark = pytest.mark.postgres_only

ITEM = "mobilitaet-verkehr/zielbild-2"
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root, run it as the postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class OwnPostgres:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="participation-outage-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(_as_server_user([str(self.bindir / tool), *args]), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    bindir = _binaries()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = OwnPostgres(bindir)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        server.remove()


@pytest.fixture
def outage_app(postgres, smtp_server, tmp_path):
    migrate(postgres.url)
    app = create_app({
        "DATABASE_URL": postgres.url, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
        "MAIL_BACKEND": "smtp", "MAIL_SERVER": smtp_server.hostname, "MAIL_PORT": smtp_server.port,
        "MAIL_DIR": str(tmp_path / "mail"),
    })
    with app.test_request_context():
        from participation.accounts.services import create_user
        from participation.rounds import services as rounds
        from participation.strategy.services import import_version, parse, version_by_number

        session = db.session()
        import_version(session, parse(MUENSTER.read_text(encoding="utf-8")))
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Ausfall", title_en=None, description_de=None, description_en=None,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
            item_ids=[i.id for i in rounds.rateable_items(session, version)]))
        create_user(session, "anna@example.org", "Anna", "resident", PASSWORD)
        session.commit()
        app.config["OUTAGE_ROUND"] = round_.id
    yield app
    app.extensions["db_engine"].dispose()


def _comment(client: Client, round_id: int, body: str, token: str):
    return client.post(f"/runden/{round_id}/diskussion/{ITEM}", data={"body": body, "stance": "support",
                                                                       "csrf_token": token})


def _stored(app) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(sa.select(Comment.body).order_by(Comment.id)))


def test_every_request_answers_503_while_the_database_is_down_and_recovers(outage_app, postgres, caplog):
    app = outage_app
    round_id = app.config["OUTAGE_ROUND"]
    client = Client(app.test_client())
    assert client.submit("/login", {"email": "anna@example.org", "password": PASSWORD}).status_code == 302
    token = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert _comment(client, round_id, "Vor dem Ausfall", token).status_code == 302  # acknowledged

    postgres.stop()
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            pages = [client.get(path, headers={"Accept-Language": "en"})
                     for path in ("/", "/strategie", f"/runden/{round_id}", "/konto")]
            write = _comment(client, round_id, "Während des Ausfalls", token)
            api = [client.get("/api/v1/strategy"), client.get(f"/api/v1/rounds/{round_id}/items/{ITEM}/comments")]
        for response in [*pages, write, *api]:
            assert response.status_code == 503, (response.request.path, response.status_code)
            assert response.headers["Retry-After"].isdigit()
            for header in HEADERS:
                assert header in response.headers
        assert "briefly unavailable" in pages[0].get_data(as_text=True)
        for response in api:
            assert response.get_json()["error"]["code"] == "unavailable"
        assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"
    finally:
        postgres.start()

    # Back by itself: the pool notices its dead connections (pre-ping), nothing answers 500.
    for path in ("/", "/strategie", f"/runden/{round_id}/{ITEM}", "/api/v1/strategy"):
        assert client.get(path).status_code == 200, path
    assert client.get("/konto").status_code == 200  # still logged in
    assert _comment(client, round_id, "Nach dem Ausfall", token).status_code == 302
    # Every acknowledged write is there; the refused one is not.
    assert _stored(app) == ["Vor dem Ausfall", "Nach dem Ausfall"]
