"""Database wiring: one declarative ``Base``, one engine per app, one session per app context.

Views commit once at the end of a request; services only add and flush.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Every constraint gets a predictable name, so Alembic migrations can refer to them on
# SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as
    naive UTC and made aware again on load. Naive datetimes are refused on the way in, so a
    local time can never slip into the database unconverted.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum_values: tuple[str, ...], name: str) -> sa.Enum:
    """A string enum checked by the database (CHECK constraint) on every backend."""
    return sa.Enum(
        *enum_values, name=name, native_enum=False, create_constraint=True, length=32,
        validate_strings=True,
    )


def upsert_insert(db: Session):
    """The INSERT construct with ON CONFLICT support for the session's database."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def make_engine(url: str, echo: bool = False, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    else:
        # A stale pooled connection is noticed before use; an unreachable server fails fast
        # (the request answers 503) instead of hanging a worker.
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    engine = sa.create_engine(url, echo=echo, **kwargs)
    if engine.dialect.name == "sqlite":
        _fix_sqlite(engine)
    return engine


def _fix_sqlite(engine: Engine) -> None:
    """Give SQLite real transactions, savepoints and enforced foreign keys.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; the SQLAlchemy
    documentation recommends taking over as done here.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - trivial
        # A transaction that will write takes the write lock at once: a deferred one that read
        # first would fail with "database is locked" when another writer committed meanwhile.
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def pool_options(config: dict) -> dict[str, Any]:
    """PostgreSQL: pool size per process and a statement timeout (see gunicorn.conf.py)."""
    if not config["DATABASE_URL"].startswith("postgresql"):
        return {}
    options: dict[str, Any] = {
        "pool_size": config.get("DB_POOL_SIZE", 5), "max_overflow": config.get("DB_MAX_OVERFLOW", 5),
        "pool_timeout": config.get("DB_POOL_TIMEOUT", 10),
    }
    timeout = config.get("DB_STATEMENT_TIMEOUT_MS", 0)
    if timeout:
        # A runaway query ends with an error instead of holding a connection (and a worker).
        options["connect_args"] = {"options": f"-c statement_timeout={int(timeout)}"}
    return options


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False),
                         **pool_options(app.config))
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["db_engine"]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session() -> Session:
    """The session of the current app context, created on first use.

    On SQLite, requests that may write (POST, PUT, DELETE) and console commands begin their
    transaction with the write lock; page views read concurrently.
    """
    if "db_session" not in g:
        db_session = current_app.extensions["db_sessionmaker"]()
        if db_session.get_bind().dialect.name == "sqlite" and _may_write():
            db_session.connection(execution_options={"sqlite_immediate": True})
        g.db_session = db_session
    return g.db_session


def _may_write() -> bool:
    return not has_request_context() or request.method not in READ_ONLY_METHODS


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        # Anything not committed explicitly by the request is rolled back here.
        db_session.close()
