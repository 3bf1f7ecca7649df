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


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_search_index_can_be_rebuilt(database: str, sqlite_url: str, request) -> None:
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    from bot.archive import Archive
    from bot.db import Database, rebuild_search
    from tests.fakes.core import sample_days
    from tests.fakes.memory import MemorySource

    url = sqlite_url if database == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database.from_url(url)
    archive = Archive(db, MemorySource(sample_days()))
    await archive.day(date(2025, 1, 10), datetime(2025, 1, 11, 9, tzinfo=UTC))
    assert await archive.search("GAN baseline")
    if database == "sqlite":  # an index that lost track of its rows (as after a VACUUM)
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO paper_fts(paper_fts) VALUES ('delete-all')"))
        assert await archive.search("GAN baseline") == []
    rebuild_search(db.engine)
    assert [fp.paper.arxiv_id for fp in await archive.search("GAN baseline")] == ["2501.05441"]
    db.dispose()
