"""The Alembic migrations produce exactly the schema the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from participation.cli import alembic_config
from participation.db import Base, make_engine
from participation.models import load_all

from .conftest import new_database


def _diff(url: str) -> list:
    load_all()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url):
    # database_url was built by running every migration; nothing may differ from the models.
    assert _diff(database_url) == []


def test_downgrade_to_base_and_up_again(tmp_path_factory):
    url, drop = new_database(tmp_path_factory)
    try:
        config = alembic_config(url)
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        command.upgrade(config, "head")
        assert _diff(url) == []
    finally:
        drop()
