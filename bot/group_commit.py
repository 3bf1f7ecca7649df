"""Group commit: many small writes that arrive together share one transaction.

A fan-out writes two tiny transactions per chat (progress, settlement). Each caller still
awaits its own write, but the writes that arrive while one transaction is committing go
together into the next one, and the same statement with different parameters goes out as one
``executemany`` (psycopg pipelines it: one round trip, not one per chat) — so a fan-out's
commits and round trips stay few however many workers send, and nothing is acknowledged
before it is durable. If a grouped transaction fails, each write is tried again on its own, so
one bad write never takes its neighbours down with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy.sql import Executable
from sqlmodel import Session

from bot.db import Database, is_outage
from bot.errors import DatabaseUnavailable

# one write: statements (each a module-level constant, so equal ones group) and their parameters
Write = Sequence[tuple[Executable, dict[str, Any]]]


class GroupCommit:
    def __init__(self, db: Database, *, limit: int = 500) -> None:
        self.db = db
        self.limit = limit
        self._pending: list[tuple[Write, asyncio.Future[None]]] = []
        self._flushing = False

    async def write(self, write: Write) -> None:
        """Execute ``write`` in the next group's transaction; returns once committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.limit], self._pending[self.limit :]
                try:
                    await self.db.run(partial(_together, writes=[w for w, _ in batch]), bulk=True)
                except Exception as exc:
                    if is_outage(exc) or isinstance(exc, DatabaseUnavailable):
                        _fail(batch, exc)  # the database is gone: one by one would be too
                    else:
                        await self._one_by_one(batch)
                except BaseException:  # cancelled: nobody may wait for ever
                    for _, future in batch + self._pending:
                        future.cancel()
                    self._pending = []
                    raise
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flushing = False

    async def _one_by_one(self, batch: list[tuple[Write, asyncio.Future[None]]]) -> None:
        for write, future in batch:
            try:
                await self.db.run(partial(_together, writes=[write]), bulk=True)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(None)


def _fail(batch: list[tuple[Write, asyncio.Future[None]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


def _together(session: Session, writes: list[Write]) -> None:
    groups: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
    for write in writes:
        for statement, params in write:
            groups.setdefault(id(statement), (statement, []))[1].append(params)
    for statement, many in groups.values():
        session.execute(statement, many)
    session.commit()
