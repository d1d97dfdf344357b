"""Production settings: statement timeout and pool size on PostgreSQL, gunicorn's worker model."""

from __future__ import annotations

import runpy

import pytest
import sqlalchemy as sa

from participation import create_app, db
from participation.db import pool_options

from .conftest import ROOT


def test_pool_and_timeout_options_for_postgresql():
    config = {"DATABASE_URL": "postgresql+psycopg://x@h/d", "DB_POOL_SIZE": 4, "DB_MAX_OVERFLOW": 2,
              "DB_STATEMENT_TIMEOUT_MS": 1500}
    options = pool_options(config)
    assert options["pool_size"] == 4 and options["max_overflow"] == 2
    assert options["connect_args"] == {"options": "-c statement_timeout=1500"}
    assert "connect_args" not in pool_options(config | {"DB_STATEMENT_TIMEOUT_MS": 0})
    assert pool_options({"DATABASE_URL": "sqlite:///x.db"}) == {}


def test_statement_timeout_reaches_the_server(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    app = create_app({"DATABASE_URL": database_url, "DB_STATEMENT_TIMEOUT_MS": 1234})
    with app.app_context():
        assert db.session().scalar(sa.text("SHOW statement_timeout")) == "1234ms"
    app.extensions["db_engine"].dispose()


def test_gunicorn_runs_threads_in_few_processes(monkeypatch):
    monkeypatch.setenv("PARTICIPATION_GUNICORN_WORKERS", "2")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread"
    assert settings["workers"] == 2 and settings["threads"] == 4
