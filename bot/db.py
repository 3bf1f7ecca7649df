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
from filelock import FileLock
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from bot.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
DB_THREADS = 4
BULK_THREADS = 2
# pg_advisory_lock key serialising migrations between processes ("dailypap" in ASCII)
MIGRATION_LOCK_KEY = 0x6461696C79706170
MIGRATION_LOCK_TIMEOUT = 300.0  # seconds another instance may hold the migration lock
# What a caller that degrades gracefully without the database catches around ``Database.run``:
# a failing statement (SQLAlchemy's errors) or the database being unreachable.
STORE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, DatabaseUnavailable)


def is_outage(exc: BaseException) -> bool:
    """Is this the database being unreachable (not a bug in a query)?

    Connection refused or reset, a server restart, a pool timeout, SQLite unable to open or
    lock its file: ``OperationalError``/``InterfaceError``, or a DBAPI error that invalidated
    the connection. Such an error says "try again shortly", not "something went wrong".
    """
    if isinstance(exc, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def one_line(exc: BaseException) -> str:
    """An exception's first line (SQLAlchemy's messages run to several)."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


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
                # WAL + NORMAL: never corrupts; a power cut may lose the last commits (at
                # worst a message of the morning post is sent again), for commits without fsync
                cursor.execute("PRAGMA synchronous=NORMAL")
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
    """Bring the schema to ``revision`` (idempotent; safe at every start).

    Several instances starting together on an empty database would race to create the same
    tables: the upgrade runs under a lock that only one process holds at a time (a PostgreSQL
    advisory lock; a lock file next to a SQLite database). The others wait, then find the
    schema current and do nothing.
    """
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock for the duration of the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield  # an in-memory database belongs to one process
        return
    with FileLock(f"{path}.migrate.lock", timeout=MIGRATION_LOCK_TIMEOUT):
        yield


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


@contextmanager
def outage_as_unavailable() -> Iterator[None]:
    """Turn the database being unreachable (``is_outage``) into ``DatabaseUnavailable``."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseUnavailable(
                f"The database is unavailable right now ({one_line(exc)}). "
                "Please try again shortly."
            ) from exc
        raise


def _translated(fn: Callable[[], T]) -> T:
    with outage_as_unavailable():
        return fn()


class Database:
    """The one place that hands out sessions.

    Async code reaches the database only through :meth:`run`, which runs a function with a
    session on a small thread pool, so a query never blocks the event loop. Sync code (the
    migrations, one-shot CLI helpers) may still use :meth:`session` directly.
    """

    def __init__(self, engine: Engine, *, threads: int = DB_THREADS) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
        # the morning post's own threads: its claims and writes never queue ahead of a reply
        self._bulk = ThreadPoolExecutor(max_workers=BULK_THREADS, thread_name_prefix="db-bulk")

    def _call(self, fn: Callable[[Session], T]) -> T:
        with self.session() as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T], *, bulk: bool = False) -> T:
        """Run ``fn(session)`` off the event loop; the session is closed afterwards.

        ``fn`` commits itself when it writes. Return plain values or detached rows
        (sessions use ``expire_on_commit=False``), never a lazy query. ``bulk`` work (the
        fan-out's claims and ledger writes) runs on its own threads, so commands answer
        without waiting behind a morning post.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._bulk if bulk else self._executor, self._call, fn)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` (no session: a raw connection's work) on the same threads.

        As with :meth:`run`, the database being unreachable surfaces as ``DatabaseUnavailable``.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _translated, fn)

    @classmethod
    def from_url(cls, url: str, *, migrate: bool = True) -> Database:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session; the database being unreachable surfaces as ``DatabaseUnavailable``."""
        with outage_as_unavailable(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._bulk.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()
