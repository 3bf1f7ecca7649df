"""What this process is doing, for ``/healthz``, ``/metrics`` and ``dailypapers status``.

``Runtime.tick`` wraps ``Delivery.tick`` with the clock's bookkeeping: duration and outcome
(metrics), the platforms' connectivity (an alert after 10 minutes down), and a snapshot written
to the ``runtime_state`` table so that ``dailypapers status``, another process, can read the same
facts ``/healthz`` serves. One row (key ``runner``): with several instances, the last writer wins.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from bot.alerts import Alerts
from bot.db import Database, is_outage, one_line
from bot.delivery import Delivery, TickReport
from bot.metrics import Metrics
from bot.models import DeliveryRow, RuntimeStateRow, SubscriptionRow

log = logging.getLogger(__name__)

STATE_KEY = "runner"
STALE_TICK = timedelta(minutes=5)  # no tick for this long (or 3 intervals, if longer): unhealthy
STALE_TICKS = 3
DEFAULT_TICK_SECONDS = 60  # TICK_SECONDS's default, for a snapshot that does not record its own
PLATFORM_DOWN_ALERT = timedelta(minutes=10)
DB_CHECK_TIMEOUT = 2.0
SINGLE_INSTANCE = "single instance"


class Connectivity(Protocol):
    """What an adapter tells about its link to the platform (implemented by the adapters)."""

    def connected(self) -> bool: ...

    def down_since(self) -> datetime | None: ...

    async def probe(self) -> None:
        """Called at each tick while down: check again (and clear ``down_since`` if back)."""


@dataclass
class TickRecord:
    at: datetime
    outcome: str  # ok | postponed | error
    seconds: float
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "outcome": self.outcome,
            "seconds": round(self.seconds, 3),
            "summary": self.summary,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def stale_after(tick_seconds: float) -> timedelta:
    """How long without a tick is unhealthy: 5 minutes, or three tick intervals if longer
    (``TICK_SECONDS`` may be up to an hour)."""
    return max(STALE_TICK, STALE_TICKS * timedelta(seconds=tick_seconds))


@dataclass
class Health:
    """The facts, and the verdict: unhealthy (503) when the database is unreachable or the
    clock has not ticked for ``stale_after(tick_seconds)``; degraded (200) when a platform is
    disconnected or the last tick failed."""

    facts: dict[str, Any]
    problems: list[str]
    warnings: list[str]

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        if self.problems:
            return "unhealthy"
        return "degraded" if self.warnings else "ok"

    @property
    def http_status(self) -> int:
        return 200 if self.healthy else 503

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            **self.facts,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def judge(snapshot: dict[str, Any], database: bool, now: datetime) -> Health:
    """The verdict on a snapshot (live or read back from the database); the tick interval it
    records sets how long without a tick is too long."""
    problems: list[str] = []
    warnings: list[str] = []
    if not database:
        problems.append("the database is unreachable")
    last_tick = snapshot.get("last_tick") or {}
    at = _parse(last_tick.get("at"))
    started = _parse(snapshot.get("started_at"))
    stale = stale_after(snapshot.get("tick_seconds") or DEFAULT_TICK_SECONDS)
    if at is not None:
        if now - at > stale:
            minutes = int((now - at).total_seconds() // 60)
            problems.append(f"no tick for {minutes} min")
        elif last_tick.get("outcome") not in ("ok", None):
            warnings.append(f"last tick: {last_tick.get('outcome')}")
    elif started is None or now - started > stale:
        problems.append("no tick has run")
    for name, platform in sorted((snapshot.get("platforms") or {}).items()):
        if not platform.get("connected"):
            warnings.append(f"{name} is disconnected")
    facts = {
        "database": {"reachable": database},
        "platforms": snapshot.get("platforms") or {},
        "leader": snapshot.get("leader", SINGLE_INSTANCE),
        "last_tick": snapshot.get("last_tick"),
        "last_hf_fetch": snapshot.get("last_hf_fetch"),
        "instance": snapshot.get("instance"),
        "started_at": snapshot.get("started_at"),
    }
    return Health(facts, problems, warnings)


def tick_summary(report: TickReport) -> str:
    if report.postponed:
        return f"postponed: {report.postponed}"
    if report.day is None or not report.due:
        return "nothing due"
    return (
        f"morning post {report.day}: {report.due} chats, {len(report.delivered)} done, "
        f"{len(report.failed)} failed, {len(report.deactivated)} deactivated"
    )


@dataclass
class Runtime:
    """This process's state; the clock calls ``tick``, the web server ``health``."""

    db: Database
    delivery: Delivery
    metrics: Metrics
    alerts: Alerts
    now: Callable[[], datetime]
    last_hf_fetch: Callable[[], datetime | None] = lambda: None
    # who receives each platform's updates: "single instance" on SQLite (one process per
    # file), else {platform: "leading" | "standby"} from the leader leases (bot/instances.py)
    leadership: Callable[[], str | dict[str, str]] = lambda: SINGLE_INSTANCE
    platforms: dict[str, Connectivity] = field(default_factory=dict)
    # what a tick runs: the runner's engine (enqueue, never wait for a fan-out); by default
    # ``Delivery.tick``, which delivers everything due before it returns
    deliver: Callable[[], Awaitable[TickReport]] | None = None
    tick_seconds: int = DEFAULT_TICK_SECONDS  # the clock's interval (TICK_SECONDS)
    last_tick: TickRecord | None = None
    started_at: datetime | None = None
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    database_down: bool = False  # during an outage: one warning, then one line when back

    def watch(self, name: str, platform: Connectivity) -> None:
        self.platforms[name] = platform

    def snapshot(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "started_at": _iso(self.started_at),
            "tick_seconds": self.tick_seconds,
            "leader": self.leadership(),
            "platforms": {
                name: {"connected": p.connected(), "down_since": _iso(p.down_since())}
                for name, p in sorted(self.platforms.items())
            },
            "last_tick": self.last_tick.as_dict() if self.last_tick else None,
            "last_hf_fetch": _iso(self.last_hf_fetch()),
        }

    async def tick(self) -> TickReport | None:
        """One clock tick: deliver what is due, then record it (metrics, state, alerts)."""
        if self.started_at is None:
            self.started_at = self.now()
        began = time.monotonic()
        at = self.now()
        report: TickReport | None = None
        try:
            report = await (self.deliver or self.delivery.tick)()
            outcome = "postponed" if report.postponed else "ok"
            summary = tick_summary(report)
            self._database_back()
        except Exception as exc:
            self._tick_failed(exc)
            outcome, summary = "error", f"{type(exc).__name__}: {exc}"[:300]
        seconds = time.monotonic() - began
        self.metrics.tick_seconds.observe(seconds)
        self.metrics.ticks.labels(outcome).inc()
        self.last_tick = TickRecord(at, outcome, seconds, summary)
        await self._check_platforms()
        try:
            await self.save()
        except Exception as exc:
            if not (self.database_down and is_outage(exc)):  # an outage is logged once
                log.warning("could not record the tick in runtime_state: %s", exc)
        return report

    def _tick_failed(self, exc: Exception) -> None:
        """A failed tick: a traceback for a bug; the database being down is logged once per
        outage (a warning), not once per tick."""
        if not is_outage(exc):
            log.error("tick failed", exc_info=exc)
        elif not self.database_down:
            self.database_down = True
            log.warning(
                "database unavailable; the clock keeps trying every tick: %s", one_line(exc)
            )

    def _database_back(self) -> None:
        if self.database_down:
            self.database_down = False
            log.warning("database is back; the clock is running again")

    async def _check_platforms(self) -> None:
        now = self.now()
        for name, platform in sorted(self.platforms.items()):
            if platform.down_since() is not None:
                try:
                    await platform.probe()
                except Exception as exc:
                    log.info("%s is still unreachable: %s", name, exc)
            since = platform.down_since()
            if since is not None and now - since > PLATFORM_DOWN_ALERT:
                minutes = int(PLATFORM_DOWN_ALERT.total_seconds() // 60)
                text = self.alerts.text(
                    "alert_platform_down",
                    platform=name,
                    since=since.strftime("%Y-%m-%d %H:%M UTC"),
                    minutes=minutes,
                )
                await self.alerts.alert("platform_down", text)

    async def save(self) -> None:
        value, now = self.snapshot(), self.now()

        def write(session: Session) -> None:
            row = session.get(RuntimeStateRow, STATE_KEY)
            if row is None:
                row = RuntimeStateRow(key=STATE_KEY)
            row.value = value
            row.updated_at = now
            session.add(row)
            session.commit()

        await self.db.run(write)

    async def health(self) -> Health:
        return judge(self.snapshot(), await database_reachable(self.db), self.now())

    async def refresh_gauges(self) -> None:
        """Subscriptions per platform, read through the thread pool (at every scrape)."""
        counts = await self.db.run(active_subscriptions)
        for platform in {*counts, "telegram", "discord"}:
            self.metrics.subscriptions_active.labels(platform).set(counts.get(platform, 0))


async def database_reachable(db: Database) -> bool:
    """``SELECT 1`` through the thread pool, within ``DB_CHECK_TIMEOUT`` seconds."""
    try:
        await asyncio.wait_for(db.run(ping), timeout=DB_CHECK_TIMEOUT)
    except Exception as exc:
        log.warning("health check: the database did not answer: %s", exc)
        return False
    return True


# --- database reads (sync functions for ``db.run``, or for the CLI's ``db.session()``) -----------


def ping(session: Session) -> None:
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]


def active_subscriptions(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(SubscriptionRow.platform, func.count())
        .where(col(SubscriptionRow.subscribed), col(SubscriptionRow.active))
        .group_by(SubscriptionRow.platform)
    ).all()
    return {platform: int(count) for platform, count in rows}


def load_snapshot(session: Session) -> tuple[dict[str, Any], datetime | None]:
    row = session.get(RuntimeStateRow, STATE_KEY)
    return (dict(row.value), row.updated_at) if row else ({}, None)


def deliveries_by_status(session: Session, day: date) -> dict[str, int]:
    """The ledger rows of one digest day, counted by status."""
    rows = session.exec(
        select(DeliveryRow.status, func.count())
        .where(DeliveryRow.day == day)
        .group_by(DeliveryRow.status)
    ).all()
    return {status: int(count) for status, count in rows}


def latest_delivery_day(session: Session) -> date | None:
    return session.exec(select(func.max(DeliveryRow.day))).one()
