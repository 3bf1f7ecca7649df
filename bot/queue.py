"""The delivery queue in the database: who is due, and which instance holds whom.

Each subscription row carries ``next_post_at`` (indexed): when the engine next takes it up.
A tick is one indexed range query (``next_post_at <= now``) over only the rows that are due,
so an idle tick costs the same with ten subscriptions or a hundred thousand. A claim stamps
``claimed_by`` ("instance:boot"); on PostgreSQL the rows are picked ``FOR UPDATE SKIP
LOCKED``, so two instances claiming at once never get the same row. When a delivery ends,
``settle`` writes the ledger's outcome and the next moment in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, or_, update
from sqlmodel import Session, col, select

from bot.db import Database
from bot.domain import Subscription
from bot.group_commit import GroupCommit
from bot.models import DeliveryRow, SubscriptionRow, utcnow
from bot.ports import Settlement
from bot.subscriptions import to_subscription

TABLE = SubscriptionRow.__table__  # type: ignore[attr-defined]
FRESH = timedelta(minutes=1)  # rows that fell due this recently go ahead of a backlog


def _claim(
    session: Session, holder: str, platforms: set[str], now: datetime, limit: int
) -> list[Subscription]:
    due = col(SubscriptionRow.next_post_at)
    base = (
        select(SubscriptionRow.id)
        .where(
            due <= now,
            col(SubscriptionRow.claimed_by).is_(None),
            col(SubscriptionRow.platform).in_(sorted(platforms)),
        )
        .order_by(due)
    )
    skip_locked = session.get_bind().dialect.name == "postgresql"

    def pick(query: Any, n: int) -> list[int]:
        if n <= 0:
            return []
        query = query.limit(n)
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(session.exec(query).all())

    # a chat that just fell due starts within a minute, even behind a long morning backlog
    ids = pick(base.where(due > now - FRESH), max(limit // 4, 1))
    ids += pick(base.where(col(SubscriptionRow.id).not_in(ids)) if ids else base, limit - len(ids))
    if not ids:
        session.rollback()
        return []
    rows = session.execute(
        update(TABLE)
        .where(TABLE.c.id.in_(ids), TABLE.c.claimed_by.is_(None))
        .values(claimed_by=holder, claimed_at=now)
        .returning(*TABLE.c)
    ).all()
    by_id = {
        row.id: to_subscription(SubscriptionRow.model_construct(**row._mapping)) for row in rows
    }
    session.commit()
    return [by_id[i] for i in ids if i in by_id]  # the pick order: the just-due ones first


def _settle(session: Session, settlements: Sequence[Settlement], holder: str) -> None:
    for item in settlements:
        if item.delivery_id is not None:
            _settle_ledger(session, item)
        values: dict[str, Any] = {"claimed_by": None, "claimed_at": None}
        if item.success:
            values.update(failure_count=0, failed_days=[], last_error=None)
        seen = TABLE.c.next_post_at
        same = seen.is_(None) if item.seen is None else seen == item.seen
        mine = TABLE.c.claimed_by == holder  # a claim taken over is not ours
        # plain (Core) updates: no ORM bookkeeping per row on a fan-out's hot path
        result = session.execute(
            update(TABLE)
            .where(TABLE.c.id == item.sub_id, same, mine)
            .values(next_post_at=item.next_post_at, due_at=item.due_at, **values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]  # new settings meanwhile: keep them
            session.execute(update(TABLE).where(TABLE.c.id == item.sub_id, mine).values(**values))
    session.flush()


def _settle_ledger(session: Session, item: Settlement) -> None:
    row = session.get(DeliveryRow, item.delivery_id)
    if row is None:
        return
    if item.sent is not None:
        row.messages_sent = item.sent
    if item.total is not None:
        row.messages_total = item.total
    if item.sent_id is not None:
        row.sent_ids = [*row.sent_ids, item.sent_id]
    if item.status is not None:
        row.status = item.status
        row.last_error = item.error[:500] if item.error else None
        if item.status == "done":
            row.finished_at = utcnow()
    if item.count_error:
        row.errors += 1
    session.add(row)


class DeliveryQueue:
    """The queue (``bot.ports.DeliveryQueue``) on the subscription table; async methods."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.writes = GroupCommit(db)

    async def claim(
        self, holder: str, platforms: set[str], now: datetime, limit: int
    ) -> list[Subscription]:
        if not platforms or limit <= 0:
            return []
        return await self.db.run(lambda session: _claim(session, holder, platforms, now, limit))

    async def settle(self, settlements: Sequence[Settlement], holder: str) -> None:
        if settlements:  # shares a commit with the other workers' settlements
            await self.writes.write(lambda session: _settle(session, settlements, holder))

    async def release(self, holder: str, keep: set[int]) -> int:
        def work(session: Session) -> int:
            query = update(SubscriptionRow).where(col(SubscriptionRow.claimed_by) == holder)
            if keep:
                query = query.where(col(SubscriptionRow.id).not_in(sorted(keep)))
            result = session.exec(query.values(claimed_by=None, claimed_at=None))
            session.commit()
            return int(result.rowcount or 0)

        return await self.db.run(work)

    async def reclaim(self, holder: str, alive: set[str], dead: set[str], cutoff: datetime) -> int:
        me = holder.rsplit(":", 1)[0]
        known = sorted({holder, *alive})
        by = col(SubscriptionRow.claimed_by)

        def work(session: Session) -> int:
            result = session.exec(
                update(SubscriptionRow)
                .where(
                    by.is_not(None),
                    by.not_in(known),
                    or_(
                        by.in_(sorted(dead)) if dead else false(),
                        by.startswith(f"{me}:", autoescape=True),  # this instance, before a restart
                        col(SubscriptionRow.claimed_at) < cutoff,
                    ),
                )
                .values(claimed_by=None, claimed_at=None)
            )
            session.commit()
            return int(result.rowcount or 0)

        return await self.db.run(work)
