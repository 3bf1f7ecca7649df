"""Group commit: many small writes that arrive together share one transaction.

A fan-out writes two tiny transactions per chat (progress, settlement). Each caller still
awaits its own write, but the writes that arrive while one transaction is committing go
together into the next one — so the commits per second stay few however many workers send,
and nothing is acknowledged before it is durable. If a grouped transaction fails, each write is
tried again on its own, so one bad write never takes its neighbours down with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlmodel import Session

from bot.db import Database

Write = Callable[[Session], None]  # writes without committing; the group commits


class GroupCommit:
    def __init__(self, db: Database, *, limit: int = 200) -> None:
        self.db = db
        self.limit = limit
        self._pending: list[tuple[Write, asyncio.Future[None]]] = []
        self._flushing = False

    async def write(self, work: Write) -> None:
        """Run ``work(session)`` in the next group's transaction; returns once committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.limit], self._pending[self.limit :]
                try:
                    await self.db.run(partial(_together, batch=batch))
                except Exception:
                    await self._one_by_one(batch)
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flushing = False

    async def _one_by_one(self, batch: list[tuple[Write, asyncio.Future[None]]]) -> None:
        for work, future in batch:
            try:
                await self.db.run(partial(_together, batch=[(work, None)]))
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(None)


def _together(session: Session, batch: list[tuple[Write, Any]]) -> None:
    for work, _ in batch:
        work(session)
    session.commit()
