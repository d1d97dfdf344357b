"""Fixtures: a migrated database (SQLite, or PostgreSQL when PARTICIPATION_TEST_DATABASE_URL
is set), an app whose session rolls back after every test, a real SMTP server, helpers.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import sessionmaker

from participation import create_app
from participation.accounts import passwords
from participation.db import make_engine

# The suite creates thousands of accounts: it hashes with scrypt at 1/32 of the production cost
# (same code, N=2^10 instead of 2^15). test_accounts.py checks what production uses.
passwords.HASH_METHOD = "scrypt:1024:8:1"

pytest_plugins = ["tests.browser_support"]

ROOT = Path(__file__).resolve().parent.parent
MUENSTER = ROOT / "participation" / "strategy" / "data" / "muenster-1.0.yaml"
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
URL_RE = re.compile(r"https?://\S+")
PASSWORD = "Lindenallee-Regenbogen-42"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` run in the PostgreSQL pass (PARTICIPATION_TEST_DATABASE_URL)."""
    if (os.environ.get("PARTICIPATION_TEST_DATABASE_URL") or "").startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="runs only against PostgreSQL (set PARTICIPATION_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


# --- database ------------------------------------------------------------------------------

def _create_postgres_database(server_url: str) -> tuple[str, callable]:
    """A fresh database per test run on the given server, dropped afterwards."""
    name = f"participation_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server_url).set(database=name)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def new_database(tmp_path_factory) -> tuple[str, callable]:
    server = os.environ.get("PARTICIPATION_TEST_DATABASE_URL")
    if server and server.startswith("postgresql"):
        return _create_postgres_database(server)
    path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite:///{path}", lambda: None


def migrate(url: str) -> None:
    from alembic import command

    from participation.cli import alembic_config

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated to head and holding the shipped strategy (committed)."""
    url, drop = new_database(tmp_path_factory)
    migrate(url)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        from participation import db
        from participation.strategy.services import import_version, parse

        import_version(db.session(), parse(MUENSTER.read_text(encoding="utf-8")))
        db.session().commit()
    app.extensions["db_engine"].dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# --- mail ------------------------------------------------------------------------------------

class _Collector:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


class Mailbox:
    """What the real SMTP server received during one test."""

    def __init__(self, collector: _Collector) -> None:
        self.collector = collector
        collector.messages.clear()

    @property
    def messages(self) -> list:
        return self.collector.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]

    def last_to(self, address: str):
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    def link(self, address: str, contains: str = "") -> str:
        body = self.last_to(address).get_content()
        links = [u for u in URL_RE.findall(body) if contains in u]
        assert links, f"no link containing {contains!r} in: {body}"
        return links[0]


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    return Mailbox(smtp_server.handler)


# --- app ---------------------------------------------------------------------------------------

@pytest.fixture
def app_config(database_url, smtp_server, tmp_path) -> dict:
    return {
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": smtp_server.port,
        "MAIL_DELIVER_INLINE": True,
        "MAIL_DIR": str(tmp_path / "mail"),
        "RATELIMIT_ENABLED": False,
        # Tests write ratings around the services: the analysis checks for changes every time.
        "ANALYSIS_RECHECK_SECONDS": 0,
        # The test's data is in a transaction no other process sees: exports analyse in-process.
        "EXPORT_ANALYSIS_IN_CHILD": False,
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def app(app_config, engine):
    """The app with every database change of the test rolled back afterwards."""
    app = create_app(app_config)
    app.extensions["db_engine"].dispose()
    connection = engine.connect()
    transaction = connection.begin()
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield app
    transaction.rollback()
    connection.close()


@pytest.fixture
def db(app):
    """A session of the test's own, on the same connection as the app's requests.

    It is deliberately not the request session: each request gets a fresh one, as in
    production, and sees what the test committed here (and the other way round).
    """
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


class Client:
    """The Flask test client plus the CSRF token a browser would take from the page."""

    def __init__(self, flask_client) -> None:
        self.raw = flask_client

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def csrf_token(self) -> str:
        page = self.raw.get("/seite/impressum")
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, "page without csrf meta tag"
        return match.group(1)

    def submit(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.raw.post(path, data=data, **kwargs)


@pytest.fixture
def client(app) -> Client:
    return Client(app.test_client())


@pytest.fixture
def make_user(db):
    """Create an account directly (confirmed unless told otherwise)."""
    from participation.accounts import services
    from participation.db import utcnow

    def make(email="anna@example.org", name="Anna", role="resident", password=PASSWORD,
             confirmed=True, language="de"):
        user = services.create_user(db, email, name, role, password)
        user.language = language
        if not confirmed:
            user.confirmed_at = None
        else:
            user.confirmed_at = utcnow()
        db.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do(email="anna@example.org", password=PASSWORD, **extra):
        return client.submit("/login", {"email": email, "password": password, **extra})

    return do


# --- consultation rounds -----------------------------------------------------------------------

NOW = "2026-12-10 12:00:00+00:00"


@pytest.fixture
def frozen(time_machine):
    """A clock that stands still at NOW (tests move it with frozen.move_to)."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def make_round(app, db):
    """A round on Münster 1.0 over all 26 rateable items; its dates decide its state at NOW."""
    from datetime import UTC, datetime

    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    def make(state="open", importance=False, results="after_close", participation="accounts",
             title="Beteiligungsrunde Test", keys=None):
        version = version_by_number(db, "1.0")
        items = rounds.rateable_items(db, version)
        if keys is not None:
            items = [item for item in items if item.key in keys]
        windows = {
            "draft": ("2026-12-20", "2027-01-31"),
            "open": ("2026-12-01", "2027-01-31"),
            "closed": ("2026-11-01", "2026-12-05"),
            "consolidation": ("2026-11-01", "2026-12-05"),
            "published": ("2026-11-01", "2026-12-05"),
        }
        opens, closes = (datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC) for day in windows[state])
        data = rounds.RoundData(
            version=version, title_de=title, title_en=None, description_de="Bitte bewerten Sie.",
            description_en=None, opens_at=opens, closes_at=closes, item_ids=[i.id for i in items],
            asks_importance=importance, results_visibility=results, participation=participation,
        )
        with app.test_request_context():
            round_ = rounds.create_round(db, data)
        if state in ("consolidation", "published"):
            round_.stage = state
        db.commit()
        return round_

    return make
