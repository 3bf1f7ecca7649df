"""SQLite serves one running bot: a second ``dailypapers run`` on the same file is refused.

Several processes on one SQLite file would each poll Telegram and each pace their own sends;
PostgreSQL is the way to run more than one (see README, "Running more than one"). One-shot
commands (``digest``, ``channels``...) do not take this lock: SQLite's WAL lets them read and
write beside the running bot.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.errors import AlreadyRunning


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


@contextmanager
def one_process_per_sqlite_file(database_url: str) -> Iterator[None]:
    """Hold an exclusive lock next to the SQLite file for as long as the bot runs."""
    path = sqlite_path(database_url)
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".run.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"another `dailypapers run` is already using {path}; SQLite serves one "
                "running bot — use PostgreSQL (DATABASE_URL=postgresql://...) to run several"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
