"""Pacing sends at a platform's ceiling without tripping its flood limits.

Telegram allows about 30 messages a second per bot token and 20 a minute to one group or
channel; a burst above either answers 429 and stalls. So instead of reacting to 429s we space
the sends:

* **one pace per token** — a GCRA (theoretical arrival time, no burst): every send reserves the
  next free slot ``max(tat, now)`` and moves ``tat`` one interval on. With an interval a little
  over ``1/N`` no closed one-second window can hold ``N + 1`` slots (see :func:`strict_interval`).
  The slots live in a :class:`SlotClock`: in memory for one process, or a row in the database
  (:class:`DatabaseSlots`) when several processes share the token.
* **two lanes** — a reply reserves its slot at once; a bulk send (the morning post) reserves only
  when the next free slot is due within ``slack`` (about one interval), so a reply never queues
  behind more than about one bulk message. Bulk senders of one process take turns polling.
* **per chat** — a sliding window per group/channel (:class:`ChatWindows`), kept per process:
  a chat's morning post is claimed by one worker, so its sends come from one process.
* **arrivals, not departures** — a process also keeps at most N sends in flight or answered
  within the last second (:class:`InFlightWindow`), so a congested path cannot bunch them up
  into N + 1 arrivals at the server.

This module is the core's: no platform library, no network; adapters call :meth:`Pacer.acquire`
before each send.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import TextClause, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.db import Database

log = logging.getLogger(__name__)
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Lane(enum.StrEnum):
    """Who is waiting: an interactive reply goes first, the fan-out takes what is left."""

    REPLY = "reply"
    BULK = "bulk"


def strict_interval(per_second: float) -> float:
    """The spacing that keeps every closed one-second window at ``per_second`` sends or fewer.

    Evenly spaced slots put ``floor(1/interval) + 1`` sends in a closed one-second window, so the
    interval must exceed ``1/N``. We take ``1/(N-1)``: N slots span exactly one second, N + 1 span
    ``N/(N-1)`` s, which leaves ~34 ms at N = 30 for the jitter between our clock and the
    server's — and still sustains ``(N-1)/N`` of the ceiling (0.967 at 30/s).
    """
    if per_second <= 1:
        return 1.0 / per_second if per_second > 0 else 1.0
    return 1.0 / (per_second - 1)


@dataclass(frozen=True)
class Reservation:
    """A slot taken (``granted``: send in ``wait`` seconds) or refused (try again in ``wait``).

    ``at`` is the slot (or the next free one) on the slot clock's own time line.
    """

    granted: bool
    wait: float
    at: float


class SlotClock(Protocol):
    """The theoretical arrival time of each key, wherever it is kept."""

    async def reserve(self, key: str, interval: float, slack: float | None = None) -> Reservation:
        """Take the next slot of ``key`` and move it one ``interval`` on.

        With ``slack`` (bulk), take it only if the next slot is due within ``slack`` seconds;
        otherwise reserve nothing and say how long until it is.
        """
        ...


class MemorySlots:
    """Slots for one process (``time.monotonic`` by default; tests pass a fake clock)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._tat: dict[str, float] = {}

    async def reserve(self, key: str, interval: float, slack: float | None = None) -> Reservation:
        now = self.clock()
        tat = self._tat.get(key, now)
        slot = max(tat, now)
        if slack is not None and slot - now > slack:
            return Reservation(False, slot - now - slack, slot)
        self._tat[key] = slot + interval
        return Reservation(True, slot - now, slot)


_ENSURE = text("INSERT INTO pace (key, tat) VALUES (:key, 0) ON CONFLICT (key) DO NOTHING")
_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
_TAKE = text(
    f"UPDATE pace SET tat = GREATEST(tat, {_NOW}) + :interval WHERE key = :key "
    f"RETURNING tat - :interval - {_NOW}, tat - :interval"
)
_TAKE_IF_DUE = text(
    f"UPDATE pace SET tat = GREATEST(tat, {_NOW}) + :interval "
    f"WHERE key = :key AND tat <= {_NOW} + :slack "
    f"RETURNING tat - :interval - {_NOW}, tat - :interval"
)
_UNTIL_NEXT = text(f"SELECT tat - {_NOW}, tat FROM pace WHERE key = :key")


class DatabaseSlots:
    """Slots shared by every process on one PostgreSQL: one ``pace`` row per key.

    Each reservation is a single atomic ``UPDATE ... RETURNING`` against the server's
    ``clock_timestamp()``, so processes on different hosts agree on one clock; the row lock
    orders concurrent reservations. Costs one round trip per send (through ``db.run``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()
        self._fallback = MemorySlots()  # while the database cannot be reached

    async def reserve(self, key: str, interval: float, slack: float | None = None) -> Reservation:
        try:
            return await self._reserve(key, interval, slack)
        except SQLAlchemyError as exc:
            log.warning("pace: database unavailable, pacing this process alone: %s", exc)
            return await self._fallback.reserve(key, interval, slack)

    async def _reserve(self, key: str, interval: float, slack: float | None) -> Reservation:
        if key not in self._known:
            await self.db.run(lambda s: _commit(s, _ENSURE, {"key": key}))
            self._known.add(key)
        params = {"key": key, "interval": interval, "slack": slack or 0.0}

        def take(session: Session) -> Reservation:
            row = session.execute(_TAKE if slack is None else _TAKE_IF_DUE, params).first()
            if row is not None:
                session.commit()
                return Reservation(True, float(row[0]), float(row[1]))
            session.rollback()
            until, at = session.execute(_UNTIL_NEXT, params).one()
            return Reservation(False, max(float(until) - (slack or 0.0), 0.0), float(at))

        return await self.db.run(take)


def _commit(session: Session, statement: TextClause, params: dict[str, object]) -> None:
    session.execute(statement, params)
    session.commit()


def make_slots(backend: str, db: Database | None) -> SlotClock:
    """``memory``, ``database``, or ``auto`` (the database when it is PostgreSQL)."""
    if backend == "database" or (
        backend == "auto" and db is not None and db.engine.dialect.name == "postgresql"
    ):
        if db is None or db.engine.dialect.name != "postgresql":
            raise ValueError("PACE_BACKEND=database needs DATABASE_URL on PostgreSQL")
        return DatabaseSlots(db)
    return MemorySlots()


@dataclass
class _Chat:
    sent: deque[float]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChatWindows:
    """At most ``limit`` sends in any ``window`` seconds per chat (a log of send times).

    Memory stays bounded: a chat whose last send left the window is forgotten.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._chats: dict[str, _Chat] = {}
        self._calls = 0

    def __len__(self) -> int:
        return len(self._chats)

    @asynccontextmanager
    async def turn(self, chat: str) -> AsyncIterator[None]:
        """Wait until ``chat`` has room, hold it while the caller sends, then log the send."""
        self._forget_idle()
        entry = self._chats.get(chat)
        if entry is None:
            entry = self._chats[chat] = _Chat(deque(maxlen=self.limit))
        async with entry.lock:
            while len(entry.sent) >= self.limit:
                wait = entry.sent[0] + self.window - self.clock()
                if wait <= 0:
                    break
                await self.sleep(wait)
            yield
            entry.sent.append(self.clock())

    def _forget_idle(self) -> None:
        self._calls += 1
        if self._calls % 256:
            return
        horizon = self.clock() - self.window
        for chat, entry in list(self._chats.items()):
            idle = not entry.sent or entry.sent[-1] <= horizon
            if idle and not entry.lock.locked():
                del self._chats[chat]


class InFlightWindow:
    """At most ``limit`` sends in flight or finished within the last ``width`` seconds.

    The pace spaces when requests *leave*; the server counts when they *arrive*, somewhere
    between our send and its answer. When the path is congested (a busy event loop, a slow
    network) requests bunch up on the way and a strict server would see more than ``limit`` in
    one window. Counting a request from its send until ``width`` after its answer bounds what
    the server can see in any window, whatever the delay; on a quiet path it never waits.
    """

    def __init__(
        self,
        limit: int,
        width: float = 1.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.width = width
        self.clock = clock
        self.sleep = sleep
        self.in_flight = 0
        self._done: deque[float] = deque()  # answer times, in order
        self._answered = asyncio.Event()
        self._changed = asyncio.Event()
        self._first_waiting = 0

    async def enter(self, first: bool = False) -> None:
        """Wait for room; ``first`` (a reply) goes before every waiting bulk send."""
        if first:
            self._first_waiting += 1
            self._wake_bulk()
        try:
            while True:
                now = self.clock()
                while self._done and now - self._done[0] > self.width:
                    self._done.popleft()
                room = self.in_flight + len(self._done) < self.limit
                if room and (first or not self._first_waiting):
                    self.in_flight += 1
                    return
                if room:  # a reply is waiting for this room: let it have it
                    changed = self._changed
                    await changed.wait()
                elif self._done:
                    await self.sleep(self._done[0] + self.width - now + 1e-3)
                else:
                    answered = self._answered
                    await answered.wait()
        finally:
            if first:
                self._first_waiting -= 1
                self._wake_bulk()

    def _wake_bulk(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def leave(self) -> None:
        self.in_flight -= 1
        self._done.append(self.clock())
        self._answered.set()
        self._answered = asyncio.Event()


@dataclass
class PaceStats:
    """Counters an exporter can read (plain ints; one object per limiter)."""

    sent: dict[str, int] = field(default_factory=lambda: {lane: 0 for lane in Lane})
    retry_after: dict[str, int] = field(default_factory=lambda: {lane: 0 for lane in Lane})
    retried: dict[str, int] = field(default_factory=lambda: {lane: 0 for lane in Lane})
    gave_up: dict[str, int] = field(default_factory=lambda: {lane: 0 for lane in Lane})
    waited_seconds: dict[str, float] = field(default_factory=lambda: {lane: 0.0 for lane in Lane})


@dataclass(frozen=True)
class PaceConfig:
    """The limits of one platform token."""

    key: str
    per_second: float = 30
    group_limit: int = 20
    group_window: float = 60.0
    group_margin: float = 0.5  # seconds added to the window for clock jitter
    paid_per_second: float | None = None  # Telegram paid broadcasts: bulk on its own pace


class Pacer:
    """Decides when each send may go: per-chat window first, then a slot of the token's pace."""

    def __init__(
        self,
        config: PaceConfig,
        slots: SlotClock,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self.slots = slots
        self.clock = clock
        self.sleep = sleep
        self.interval = strict_interval(config.per_second)
        self.paid_interval = (
            strict_interval(config.paid_per_second) if config.paid_per_second else None
        )
        self.windows = ChatWindows(
            config.group_limit, config.group_window + config.group_margin, clock=clock, sleep=sleep
        )
        self.stats = PaceStats()
        self._bulk_turn = asyncio.Lock()
        self.in_flight = InFlightWindow(int(config.per_second), clock=clock, sleep=sleep)
        self.paid_in_flight = InFlightWindow(
            int(config.paid_per_second or 1), clock=clock, sleep=sleep
        )

    @asynccontextmanager
    async def slot(
        self, chat: str | None, lane: Lane, *, group: bool = False, paid: bool = False
    ) -> AsyncIterator[None]:
        """``async with pacer.slot(...)``: the body is the send, started at its slot.

        ``group`` chats also get the per-chat window (their turn is held during the send).
        """
        started = self.clock()
        paid = paid and lane is Lane.BULK and self.paid_interval is not None
        window = self.paid_in_flight if paid else self.in_flight
        async with contextlib.AsyncExitStack() as stack:
            if group and chat is not None:
                await stack.enter_async_context(self.windows.turn(chat))
            await self._take(lane, paid)
            await window.enter(first=lane is Lane.REPLY)
            self._count(lane, started)
            try:
                yield
            finally:
                window.leave()

    def _count(self, lane: Lane, started: float) -> None:
        self.stats.sent[lane] += 1
        self.stats.waited_seconds[lane] += max(self.clock() - started, 0.0)

    async def _take(self, lane: Lane, paid: bool) -> None:
        key, interval = self.config.key, self.interval
        if paid and self.paid_interval is not None:
            key, interval = f"{key}:paid", self.paid_interval
        if lane is Lane.REPLY:
            reservation = await self.slots.reserve(key, interval)
        else:
            async with self._bulk_turn:  # one bulk poller per process
                while True:
                    reservation = await self.slots.reserve(key, interval, slack=interval)
                    if reservation.granted:
                        break
                    await self.sleep(max(reservation.wait, interval / 4))
        if reservation.wait > 0:
            await self.sleep(reservation.wait)
