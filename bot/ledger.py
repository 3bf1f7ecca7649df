"""The delivery ledger: one row per (subscription, day), claimed before sending.

The unique (subscription, day) row decides races between workers and processes; progress is
recorded after every message, so a restart resumes where sending stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import JSON, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.db import Database
from bot.domain import DeliveryRecord
from bot.group_commit import GroupCommit
from bot.models import DeliveryRow

DELIVERY = DeliveryRow.__table__  # type: ignore[attr-defined]
# the fan-out's per-message write, one statement for every chat (group-committed as one batch)
PROGRESS = (
    update(DELIVERY)
    .where(DELIVERY.c.id == bindparam("p_id"))
    .values(
        messages_sent=bindparam("p_sent"),
        messages_total=bindparam("p_total"),
        sent_ids=bindparam("p_ids", type_=JSON),
        claimed_at=bindparam("p_at", type_=UTCDateTime()),
    )
)


def to_record(row: DeliveryRow) -> DeliveryRecord:
    """The one place a ledger row becomes the core's plain ``DeliveryRecord``."""
    return DeliveryRecord(
        id=row.id or 0,
        subscription_id=row.subscription_id,
        day=row.day,
        status=row.status,
        claimed_at=row.claimed_at,
        finished_at=row.finished_at,
        messages_total=row.messages_total,
        messages_sent=row.messages_sent,
        sent_ids=tuple(row.sent_ids or ()),
        attempts=row.attempts,
        errors=row.errors,
        last_error=row.last_error,
    )


def _find(session: Session, sub_id: int, day: date) -> DeliveryRow | None:
    return session.exec(
        select(DeliveryRow).where(DeliveryRow.subscription_id == sub_id, DeliveryRow.day == day)
    ).first()


def _begin(session: Session, sub_id: int, day: date, now: datetime) -> DeliveryRecord | None:
    row = _find(session, sub_id, day)
    if row is None:
        row = DeliveryRow(subscription_id=sub_id, day=day, claimed_at=now, attempts=1)
    elif row.status == "done":
        return None
    else:  # failed before, or left "claimed" by a holder that stopped: resume its progress
        row.status = "claimed"
        row.claimed_at = now
        row.attempts += 1
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # inserted concurrently (a merge moved a day here): look again
        session.rollback()
        return None
    session.refresh(row)
    return to_record(row)


def _begin_many(
    session: Session, keys: list[tuple[int, date]], now: datetime
) -> dict[tuple[int, date], DeliveryRecord]:
    wanted = set(keys)
    found = session.exec(
        select(DeliveryRow).where(
            col(DeliveryRow.subscription_id).in_(sorted({sub for sub, _ in keys})),
            col(DeliveryRow.day).in_(sorted({day for _, day in keys})),
        )
    ).all()
    rows: dict[tuple[int, date], DeliveryRow] = {}
    for row in found:
        key = (row.subscription_id, row.day)
        if key not in wanted:
            continue
        rows[key] = row
        if row.status != "done":  # failed before, or left "claimed": resume its progress
            row.status = "claimed"
            row.claimed_at = now
            row.attempts += 1
            session.add(row)
    for sub_id, day in sorted(wanted - set(rows)):
        row = DeliveryRow(subscription_id=sub_id, day=day, claimed_at=now, attempts=1)
        rows[(sub_id, day)] = row
        session.add(row)
    session.commit()
    return {key: to_record(row) for key, row in rows.items() if row.status != "done"}


class Ledger:
    """The delivery ledger (``DeliveryLedger``): async methods, each one session on the pool."""

    def __init__(self, db: Database, writes: GroupCommit | None = None) -> None:
        self.db = db
        self.writes = writes or GroupCommit(db)  # shared with the queue's settlements

    async def begin(self, sub_id: int, day: date, now: datetime) -> DeliveryRecord | None:
        """Take the entry under a queue claim (no lease: the claim rules out a second sender).

        Created, or resumed at ``messages_sent`` where the last holder stopped (at most the
        message that was in flight is sent again); None when it is done.
        """
        return await self.db.run(lambda session: _begin(session, sub_id, day, now))

    async def begin_many(
        self, keys: list[tuple[int, date]], now: datetime
    ) -> dict[tuple[int, date], DeliveryRecord]:
        """``begin`` for a page of claimed chats in one transaction; the done ones are left out."""
        if not keys:
            return {}

        def work(session: Session) -> dict[tuple[int, date], DeliveryRecord]:
            try:
                return _begin_many(session, keys, now)
            except IntegrityError:  # a merge moved a day in meanwhile: one at a time
                session.rollback()
                taken = {key: _begin(session, *key, now) for key in keys}
                return {key: record for key, record in taken.items() if record is not None}

        return await self.db.run(work, bulk=True)

    async def progress(
        self, delivery_id: int, sent: int, total: int, sent_ids: Sequence[str], now: datetime
    ) -> None:
        """Record how far sending got (and renew the entry's claim time): one plain UPDATE,
        group-committed with the other workers' writes."""
        params = {"p_id": delivery_id, "p_sent": sent, "p_total": total, "p_at": now}
        await self.writes.write([(PROGRESS, {**params, "p_ids": list(sent_ids)})])

    async def records(self, sub_id: int | None = None) -> list[DeliveryRecord]:
        def work(session: Session) -> list[DeliveryRecord]:
            query = select(DeliveryRow).order_by(col(DeliveryRow.id))
            if sub_id is not None:
                query = query.where(DeliveryRow.subscription_id == sub_id)
            return [to_record(row) for row in session.exec(query).all()]

        return await self.db.run(work)
