"""Instances and leases: heartbeats, one holder per role, hand-over, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import AlreadyRunning
from bot.instances import InstanceInUse, Instances, Leadership, Leases
from bot.single_process import one_process_per_sqlite_file

T0 = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture
def databases(url: str) -> Iterator[tuple[Database, Database]]:
    """Two processes' worth of connections to one database."""
    first = Database.from_url(url)
    second = Database.from_url(url, migrate=False)
    yield first, second
    second.dispose()
    first.dispose()


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(databases) -> None:
    clock = Clock()
    a, b = (Leases(db, clock) for db in databases)
    assert await a.acquire("telegram", "alpha", TTL)
    assert not await b.acquire("telegram", "beta", TTL)
    assert await a.acquire("telegram", "alpha", TTL)  # renewing is taking it again
    assert await b.holder("telegram") == "alpha"

    clock.advance(29)
    assert not await b.acquire("telegram", "beta", TTL)
    clock.advance(2)  # alpha stopped renewing 31 s ago
    assert await b.acquire("telegram", "beta", TTL)
    assert not await a.acquire("telegram", "alpha", TTL)
    assert await a.holder("telegram") == "beta"

    await b.release("telegram", "beta")
    assert await a.holder("telegram") is None
    assert await a.acquire("telegram", "alpha", TTL)  # a standby takes it at once
    await b.release("telegram", "beta")  # not beta's any more: nothing happens
    assert await b.holder("telegram") == "alpha"


async def test_racing_for_a_free_lease_elects_exactly_one(databases) -> None:
    clock = Clock()
    first, second = databases
    racers = [Leases(first if i % 2 else second, clock) for i in range(8)]
    results = await asyncio.gather(
        *(lease.acquire("discord", f"instance-{i}", TTL) for i, lease in enumerate(racers))
    )
    assert results.count(True) == 1
    winner = results.index(True)
    assert await racers[0].holder("discord") == f"instance-{winner}"


async def test_heartbeats_say_who_is_alive(databases) -> None:
    clock = Clock()
    first, second = databases
    alpha = Instances(first, "alpha", clock, stale=TTL)
    beta = Instances(second, "beta", clock, stale=TTL)
    assert await alpha.register() is None
    await beta.register()
    assert await alpha.alive() == {"alpha", "beta"}

    clock.advance(20)
    assert await alpha.beat()
    clock.advance(15)  # beta's last beat was 35 s ago
    assert await beta.alive() == {"alpha"}

    await alpha.stop()
    assert await beta.alive() == set()
    # a restart under the same identity sees what the previous run left
    again = Instances(first, "alpha", clock, stale=TTL)
    before = await again.register()
    assert before is not None and before.boot == alpha.boot and before.stopped
    assert not await alpha.beat()  # the old boot no longer owns the identity
    assert await again.alive() == {"alpha"}
    await again.stop()
    await beta.stop()


async def test_postgres_refuses_a_second_live_process_with_the_same_identity(
    postgres_url: str,
) -> None:
    first, second = Database.from_url(postgres_url), Database.from_url(postgres_url)
    try:
        clock = Clock()
        alive = Instances(first, "worker-1", clock)
        await alive.register()
        twin = Instances(second, "worker-1", clock)
        with pytest.raises(InstanceInUse, match="INSTANCE_ID='worker-1'"):
            await twin.register()
        await alive.stop()  # its connection (and so the lock) is gone: the name is free
        await twin.register()
        await twin.stop()
    finally:
        first.dispose()
        second.dispose()


async def test_leadership_moves_when_the_leader_stops_renewing(databases) -> None:
    clock = Clock()
    events: list[str] = []

    def role(db: Database, name: str) -> Leadership:
        async def elected() -> None:
            events.append(f"{name} leads")

        async def deposed() -> None:
            events.append(f"{name} stands down")

        return Leadership(Leases(db, clock), "telegram", name, TTL, elected, deposed)

    alpha, beta = role(databases[0], "alpha"), role(databases[1], "beta")
    assert await alpha.step() and not await beta.step()
    clock.advance(10)
    assert await alpha.step() and not await beta.step()
    clock.advance(31)  # alpha died (no step): beta takes over
    assert await beta.step()
    assert not await alpha.step()  # alpha comes back: it must stand down, not lead twice
    assert events == ["alpha leads", "beta leads", "alpha stands down"]

    await beta.resign()  # a clean stop hands over at once
    assert await alpha.step()
    assert events[-2:] == ["beta stands down", "alpha leads"]


async def test_a_leader_that_cannot_reach_the_database_steps_down_in_time(sqlite_url) -> None:
    clock = Clock()
    db = Database.from_url(sqlite_url)
    events: list[str] = []

    async def elected() -> None:
        events.append("leads")

    async def deposed() -> None:
        events.append("stands down")

    leases = Leases(db, clock)
    role = Leadership(leases, "discord", "alpha", TTL, elected, deposed)
    assert await role.step()

    async def broken(*args, **kwargs) -> bool:
        raise ConnectionError("database down")

    leases.acquire = broken  # type: ignore[method-assign]
    clock.advance(10)
    assert await role.step()  # renewed 10 s ago, lease good for 30: still ours
    clock.advance(10)
    assert not await role.step()  # past half the lease without renewing: stand down
    assert events == ["leads", "stands down"]
    db.dispose()


def test_one_running_bot_per_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    with (
        one_process_per_sqlite_file(url),
        pytest.raises(AlreadyRunning, match="use PostgreSQL"),
        one_process_per_sqlite_file(url),
    ):
        pass
    with one_process_per_sqlite_file(url):  # released on exit
        pass
    with one_process_per_sqlite_file("sqlite://"), one_process_per_sqlite_file("sqlite://"):
        pass  # an in-memory database is private to its process anyway
