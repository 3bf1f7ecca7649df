"""Engine, sessions and schema migrations (Alembic, run on start and by ``db upgrade``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
DB_THREADS = 4


def normalize_url(url: str) -> str:
    """Let users write ``postgresql://`` and still get the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent; safe at every start)."""
    command.upgrade(alembic_config(engine), revision)


def rebuild_search(engine: Engine) -> None:
    """Rebuild the full-text index from the ``paper`` table.

    SQLite's FTS5 table follows ``paper`` by rowid, which a ``VACUUM`` may renumber: run this
    (``dailypapers db rebuild-search``) after one. On PostgreSQL it reindexes the GIN index.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')")
        elif connection.dialect.name == "postgresql":
            connection.exec_driver_sql("REINDEX INDEX ix_paper_search")


class Database:
    """The one place that hands out sessions.

    Async code reaches the database only through :meth:`run`, which runs a function with a
    session on a small thread pool, so a query never blocks the event loop. Sync code (the
    migrations, one-shot CLI helpers) may still use :meth:`session` directly.
    """

    def __init__(self, engine: Engine, *, threads: int = DB_THREADS) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")

    def _call(self, fn: Callable[[Session], T]) -> T:
        with Session(self.engine, expire_on_commit=False) as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` off the event loop; the session is closed afterwards.

        ``fn`` commits itself when it writes. Return plain values or detached rows
        (sessions use ``expire_on_commit=False``), never a lazy query.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` (no session: a raw connection's work) on the same threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    @classmethod
    def from_url(cls, url: str, *, migrate: bool = True) -> Database:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()
