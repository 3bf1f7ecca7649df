"""Which ``dailypapers run`` processes are alive, and which one holds each unique role.

Several processes may share one PostgreSQL database. Each has an identity (``INSTANCE_ID``,
the host name by default) and writes a heartbeat every ``HEARTBEAT_SECONDS``; a process whose
heartbeat is older than ``LEASE_SECONDS`` is taken for dead, and whatever it had claimed may be
taken over. A restart under the same identity is the same process: it may resume its own claims
at once.

Some platform connections must be unique per bot token — Telegram long polling (a second
``getUpdates`` ends the first with 409 Conflict) and the Discord gateway session. A *lease* is
such a role: a row naming its holder and an expiry, renewed by the holder's heartbeat. Taking it
is one conditional ``UPDATE`` (or an ``INSERT`` the primary key arbitrates), so two processes
can never both hold it; when the holder dies, another takes over once the lease expires.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.errors import AlreadyRunning
from bot.models import InstanceRow, LeaseRow

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InstanceInUse(AlreadyRunning):
    """Another live process already runs under this ``INSTANCE_ID``."""


@dataclass(frozen=True)
class InstanceInfo:
    """What the database knows of one process."""

    id: str
    boot: str
    started_at: datetime
    heartbeat_at: datetime
    stopped: bool


def _info(row: InstanceRow) -> InstanceInfo:
    return InstanceInfo(row.id, row.boot, row.started_at, row.heartbeat_at, row.stopped)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; every moment here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Instances:
    """This process's identity and heartbeat, and who else is alive."""

    def __init__(
        self,
        db: Database,
        instance_id: str,
        now: Callable[[], datetime],
        *,
        stale: timedelta = timedelta(seconds=30),
    ) -> None:
        self.db = db
        self.id = instance_id
        self.boot = secrets.token_hex(8)
        self.now = now
        self.stale = stale
        self._guard: Connection | None = None

    async def register(self) -> InstanceInfo | None:
        """Announce this process; return what the previous run under this identity left.

        On PostgreSQL a session-level advisory lock on the identity is held for the life of
        the process, so a second live process with the same ``INSTANCE_ID`` is refused
        (``InstanceInUse``) — and a killed one frees it the moment its connection closes.
        """
        if self.db.engine.dialect.name == "postgresql":
            await self.db.call(self._take_identity)
        now = self.now()

        def write(session: Session) -> InstanceInfo | None:
            row = session.get(InstanceRow, self.id)
            before = _info(row) if row is not None else None
            if row is None:
                row = InstanceRow(id=self.id, boot=self.boot)
            row.boot = self.boot
            row.started_at = now
            row.heartbeat_at = now
            row.stopped = False
            session.add(row)
            session.commit()
            return before

        return await self.db.run(write)

    def _take_identity(self) -> None:
        connection = self.db.engine.connect()
        key = f"dailypapers-instance:{self.id}"
        got = connection.exec_driver_sql(
            "SELECT pg_try_advisory_lock(hashtext(%(key)s))", {"key": key}
        ).scalar()
        connection.commit()
        if not got:
            connection.close()
            raise InstanceInUse(
                f"another running process already uses INSTANCE_ID={self.id!r}; give each "
                "process its own INSTANCE_ID"
            )
        self._guard = connection

    async def beat(self) -> bool:
        """Renew the heartbeat; False if another process has taken this identity over."""
        now = self.now()

        def write(session: Session) -> bool:
            result = session.exec(
                update(InstanceRow)
                .where(col(InstanceRow.id) == self.id, col(InstanceRow.boot) == self.boot)
                .values(heartbeat_at=now, stopped=False)
            )
            session.commit()
            return bool(result.rowcount)

        return await self.db.run(write)

    async def stop(self) -> None:
        """Say goodbye: others may take over what this process held at once."""

        def write(session: Session) -> None:
            session.exec(
                update(InstanceRow)
                .where(col(InstanceRow.id) == self.id, col(InstanceRow.boot) == self.boot)
                .values(stopped=True)
            )
            session.commit()

        try:
            await self.db.run(write)
        finally:
            if self._guard is not None:
                guard, self._guard = self._guard, None
                await self.db.call(lambda: _release_identity(guard))

    async def alive(self) -> set[str]:
        """Identities whose heartbeat is fresh and that have not stopped."""
        since = self.now() - self.stale

        def read(session: Session) -> set[str]:
            rows = session.exec(
                select(InstanceRow.id).where(
                    col(InstanceRow.heartbeat_at) >= since, col(InstanceRow.stopped).is_(False)
                )
            ).all()
            return set(rows)

        return await self.db.run(read)

    @property
    def holder(self) -> str:
        """How this process signs its claims: "id:boot" (a restart is a new boot)."""
        return f"{self.id}:{self.boot}"

    async def holders(self) -> tuple[set[str], set[str]]:
        """The claim holders ("id:boot") that are alive, and those that are gone (stopped,
        or silent for longer than the lease)."""
        since = self.now() - self.stale

        def read(session: Session) -> tuple[set[str], set[str]]:
            alive: set[str] = set()
            dead: set[str] = set()
            for row in session.exec(select(InstanceRow)).all():
                fresh = _aware(row.heartbeat_at) >= since and not row.stopped
                (alive if fresh else dead).add(f"{row.id}:{row.boot}")
            return alive, dead

        return await self.db.run(read)

    async def all(self) -> list[InstanceInfo]:
        def read(session: Session) -> list[InstanceInfo]:
            rows = session.exec(select(InstanceRow).order_by(col(InstanceRow.id))).all()
            return [_info(row) for row in rows]

        return await self.db.run(read)


class Leases:
    """Named roles held by one instance at a time, until their expiry."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew ``name`` for ``holder``; False while someone else holds it."""
        now = self.now()
        expires = now + ttl

        def write(session: Session) -> bool:
            result = session.exec(
                update(LeaseRow)
                .where(
                    col(LeaseRow.name) == name,
                    (col(LeaseRow.holder) == holder) | (col(LeaseRow.expires_at) < now),
                )
                .values(holder=holder, expires_at=expires)
            )
            session.commit()
            if result.rowcount:
                return True
            if session.get(LeaseRow, name) is not None:
                return False  # held by another, not expired
            session.add(LeaseRow(name=name, holder=holder, expires_at=expires))
            try:
                session.commit()
            except IntegrityError:  # another process inserted it first
                session.rollback()
                return False
            return True

        return await self.db.run(write)

    async def release(self, name: str, holder: str) -> None:
        """Give ``name`` up now (if ``holder`` has it), so a standby takes it at once."""

        def write(session: Session) -> None:
            session.exec(
                update(LeaseRow)
                .where(col(LeaseRow.name) == name, col(LeaseRow.holder) == holder)
                .values(expires_at=EPOCH)
            )
            session.commit()

        await self.db.run(write)

    async def holder(self, name: str) -> str | None:
        """Who holds ``name`` right now (None when free or expired)."""
        now = self.now()

        def read(session: Session) -> str | None:
            row = session.get(LeaseRow, name)
            if row is None or _aware(row.expires_at) < now:
                return None
            return row.holder

        return await self.db.run(read)


class Leadership:
    """Hold one lease while alive and run ``on_elected``/``on_deposed`` as it comes and goes.

    ``step()`` is called every heartbeat. A leader that cannot renew (the database is down)
    steps down by itself before its lease can expire, so two leaders never overlap.
    """

    def __init__(
        self,
        leases: Leases,
        name: str,
        holder: str,
        ttl: timedelta,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        self.leases = leases
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.leading = False
        self._renewed_at: datetime | None = None

    async def step(self) -> bool:
        now = self.leases.now()
        try:
            held = await self.leases.acquire(self.name, self.holder, self.ttl)
        except Exception as exc:
            log.warning("lease %s: could not renew (%s)", self.name, type(exc).__name__)
            # keep leading only while the lease we last wrote is certainly still ours
            held = (
                self.leading
                and self._renewed_at is not None
                and now - self._renewed_at < self.ttl / 2
            )
        else:
            if held:
                self._renewed_at = now
        if held and not self.leading:
            try:
                await self.on_elected()
            except BaseException:
                await self.leases.release(self.name, self.holder)  # let a standby try
                raise
            self.leading = True
            log.info("lease %s: this instance (%s) now holds it", self.name, self.holder)
        elif not held and self.leading:
            self.leading = False
            log.warning("lease %s: lost it; standing by", self.name)
            await self.on_deposed()
        return self.leading

    async def resign(self) -> None:
        """On shutdown: stop the role and free the lease for a standby."""
        if self.leading:
            self.leading = False
            try:
                await self.on_deposed()
            finally:
                await self.leases.release(self.name, self.holder)


def _release_identity(guard: Connection) -> None:
    """Unlock the identity, then really close the connection (it never goes back to the pool).

    Unlocking first makes the release synchronous: a closed socket alone frees the lock only
    when the server's backend notices, which a restart on a loaded machine can beat.
    """
    try:
        guard.exec_driver_sql("SELECT pg_advisory_unlock_all()")
        guard.commit()
    except SQLAlchemyError:  # a dead connection holds no lock any more
        pass
    finally:
        guard.invalidate()
