"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables)
from bot.db import alembic_config, make_engine, upgrade

# Full-text search is raw SQL in the migration (FTS5 tables, a GIN expression index): not models.
SEARCH_OBJECTS = ("paper_fts", "ix_paper_search")


def pending_changes(url: str) -> list:
    """What autogenerate would still write after ``upgrade``: nothing, if the two agree."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return not (name or "").startswith(SEARCH_OBJECTS)

    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_models_and_migrations_agree(database: str, sqlite_url: str, request) -> None:
    url = sqlite_url if database == "sqlite" else request.getfixturevalue("postgres_url")
    assert pending_changes(url) == []


def test_upgrade_is_idempotent_and_downgrade_works(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    upgrade(engine)  # every start does this
    assert "paper_fts" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "subscription" in inspect(engine).get_table_names()
    engine.dispose()
