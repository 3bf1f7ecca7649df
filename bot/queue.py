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

from sqlalchemy import JSON, bindparam, case, false, or_, true, update
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.db import Database
from bot.domain import Subscription
from bot.group_commit import GroupCommit
from bot.models import DeliveryRow, SubscriptionRow, utcnow
from bot.ports import Settlement
from bot.subscriptions import to_subscription

TABLE = SubscriptionRow.__table__  # type: ignore[attr-defined]
DELIVERY = DeliveryRow.__table__  # type: ignore[attr-defined]
FRESH = timedelta(minutes=1)  # rows that fell due this recently go ahead of a backlog


def _claim(
    session: Session, holder: str, platforms: set[str], now: datetime, limit: int
) -> list[Subscription]:
    due = col(SubscriptionRow.next_post_at)
    skip_locked = session.get_bind().dialect.name == "postgresql"

    def pick(where: Any, n: int, taken: list[int]) -> list[int]:
        """Up to ``n`` ids, oldest due first: one query per platform, so each walks the
        (platform, next_post_at) index in order instead of sorting every due row."""
        if n <= 0:
            return []
        found: list[tuple[datetime, int]] = []
        for platform in sorted(platforms):
            query = (
                select(SubscriptionRow.next_post_at, SubscriptionRow.id)
                .where(
                    SubscriptionRow.platform == platform,
                    due <= now,
                    col(SubscriptionRow.claimed_by).is_(None),
                    where,
                )
                .order_by(due)
                .limit(n)
            )
            if taken:
                query = query.where(col(SubscriptionRow.id).not_in(taken))
            if skip_locked:
                query = query.with_for_update(skip_locked=True)
            found += [(moment or now, row_id or 0) for moment, row_id in session.exec(query).all()]
        return [row_id for _, row_id in sorted(found)[:n]]

    # a chat that just fell due starts within a minute, even behind a long morning backlog
    ids = pick(due > now - FRESH, max(limit // 4, 1), [])
    ids += pick(true(), limit - len(ids), ids)
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


def _keep_if_changed(column: str) -> Any:
    """``column`` becomes the settlement's value only if the row's ``next_post_at`` is still
    what the claim saw (else new settings marked it meanwhile, and that mark wins)."""
    unchanged = TABLE.c.next_post_at.is_not_distinct_from(bindparam("s_seen", type_=UTCDateTime()))
    return case((unchanged, bindparam(f"s_{column}", type_=UTCDateTime())), else_=TABLE.c[column])


# the settlement's writes: one statement each, for every chat (group-committed as one batch)
_SETTLE_WHERE = (TABLE.c.id == bindparam("s_id"), TABLE.c.claimed_by == bindparam("s_holder"))
_SETTLE_VALUES: dict[str, Any] = {
    "next_post_at": _keep_if_changed("next_post_at"),
    "due_at": _keep_if_changed("due_at"),
    "claimed_by": None,
    "claimed_at": None,
}
SETTLE = update(TABLE).where(*_SETTLE_WHERE).values(**_SETTLE_VALUES)
SETTLE_DELIVERED = (  # ...and the chat's failure record starts over
    update(TABLE)
    .where(*_SETTLE_WHERE)
    .values(**_SETTLE_VALUES, failure_count=0, failed_days=[], last_error=None)
)
LEDGER_OUTCOME = (
    update(DELIVERY)
    .where(DELIVERY.c.id == bindparam("l_id"))
    .values(
        messages_sent=bindparam("l_sent"),
        messages_total=bindparam("l_total"),
        sent_ids=bindparam("l_ids", type_=JSON),
        status=bindparam("l_status"),
        last_error=bindparam("l_error"),
        finished_at=bindparam("l_finished", type_=UTCDateTime()),
        errors=DELIVERY.c.errors + bindparam("l_errors"),
    )
)


def settle_writes(
    settlements: Sequence[Settlement], holder: str
) -> list[tuple[Executable, dict[str, Any]]]:
    writes: list[tuple[Executable, dict[str, Any]]] = []
    for item in settlements:
        if item.delivery_id is not None:
            outcome = {
                "l_id": item.delivery_id,
                "l_sent": item.sent or 0,
                "l_total": item.total or 0,
                "l_ids": list(item.sent_ids or ()),
                "l_status": item.status or "claimed",  # None: it stays taken, with progress
                "l_error": item.error[:500] if item.error else None,
                "l_finished": utcnow() if item.status == "done" else None,
                "l_errors": 1 if item.count_error else 0,
            }
            writes.append((LEDGER_OUTCOME, outcome))
        params = {
            "s_id": item.sub_id,
            "s_holder": holder,
            "s_seen": item.seen,
            "s_next_post_at": item.next_post_at,
            "s_due_at": item.due_at,
        }
        writes.append((SETTLE_DELIVERED if item.success else SETTLE, params))
    return writes


class DeliveryQueue:
    """The queue (``bot.ports.DeliveryQueue``) on the subscription table; async methods."""

    def __init__(self, db: Database, writes: GroupCommit | None = None) -> None:
        self.db = db
        self.writes = writes or GroupCommit(db)  # shared with the ledger's progress writes

    async def claim(
        self, holder: str, platforms: set[str], now: datetime, limit: int
    ) -> list[Subscription]:
        if not platforms or limit <= 0:
            return []
        return await self.db.run(
            lambda session: _claim(session, holder, platforms, now, limit), bulk=True
        )

    async def settle(self, settlements: Sequence[Settlement], holder: str) -> None:
        if settlements:  # shares a commit (and round trips) with the other workers'
            await self.writes.write(settle_writes(settlements, holder))

    async def release(self, holder: str, keep: set[int]) -> int:
        def work(session: Session) -> int:
            query = update(SubscriptionRow).where(col(SubscriptionRow.claimed_by) == holder)
            if keep:
                query = query.where(col(SubscriptionRow.id).not_in(sorted(keep)))
            result = session.exec(query.values(claimed_by=None, claimed_at=None))
            session.commit()
            return int(result.rowcount or 0)

        return await self.db.run(work, bulk=True)

    async def reclaim(self, holder: str, alive: set[str], dead: set[str], cutoff: datetime) -> int:
        me = holder.rsplit(":", 1)[0]
        known = sorted({holder, *alive})
        by = col(SubscriptionRow.claimed_by)

        def work(session: Session) -> int:
            result = session.exec(
                update(SubscriptionRow)
                .where(
                    by > "",  # (a range the claimed_by index serves; NOT NULL is a scan)
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

        return await self.db.run(work, bulk=True)
