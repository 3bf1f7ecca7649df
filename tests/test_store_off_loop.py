"""The event loop never waits on the database: every statement runs on ``Database.run``'s pool.

An SQLAlchemy ``before_cursor_execute`` listener records the thread of every statement while
the real core (``build_app``) answers commands and delivers a morning post, LLM summaries
included, through the runtime's instrumented tick (``runtime_state``, ``/healthz``, gauges), on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bot.db import Database
from bot.llm import LlmClient
from bot.usage import usage_report
from tests.fakes.core import FRIDAY, group, make_core, private
from tests.fakes.memory import RecordingPublisher
from tests.fakes.openai import FakeOpenAI


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database.from_url(url)  # migrations run here, before anything is watched
    yield db
    db.dispose()


class StatementThreads:
    """Which thread ran each SQL statement."""

    def __init__(self, db: Database) -> None:
        self.seen: list[tuple[str, str]] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.seen.append((threading.current_thread().name, statement))

    def on(self, thread: threading.Thread) -> list[str]:
        return [statement for name, statement in self.seen if name == thread.name]


async def test_commands_and_the_morning_post_never_query_on_the_loop(database: Database) -> None:
    loop_thread = threading.current_thread()
    threads = StatementThreads(database)
    publisher = RecordingPublisher()
    async with FakeOpenAI() as fake_llm, httpx.AsyncClient() as http:
        llm = LlmClient(http, fake_llm.base_url, "key", "fake-summarizer", timeout=5)
        app, _, clock = make_core(
            database,
            now=datetime(2025, 1, 11, 8, 0, tzinfo=UTC),
            llm=llm,
            publishers=[publisher],
        )
        admin = group(admin=True)
        subscribed = await app.commands.run("subscribe", "", admin)
        assert subscribed.text.startswith("Subscribed"), subscribed.text
        changed = await app.commands.run("settings", "style cards", admin)
        assert "cards" in changed.text and not changed.is_error
        shown = await app.commands.run("settings", "", admin)
        assert "cards" in shown.text and not shown.is_error

        today = await app.commands.run("today", "", private())
        assert today.day == FRIDAY and len(today.cards) == 3
        found = await app.commands.run("search", "GAN baseline", private())
        assert [card.arxiv_id for card in found.cards] == ["2501.05441"]
        paper = await app.commands.run("paper", "2501.05366", private())
        assert paper.cards[0].title.startswith("Search-o1")
        top = await app.commands.run("top", "2 week", private())
        assert len(top.cards) == 2

        await app.delivery.tick()  # 08:00: summaries are prepared (LLM calls, cached)
        assert fake_llm.calls == 3
        clock.set(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
        report = await app.runtime.tick()  # 09:00: the clock's tick posts, records runtime_state
        assert report is not None and report.delivered == [1]
        assert len(publisher.sent) == 4  # intro + three cards
        (record,) = await app.ledger.records()
        assert record.status == "done" and record.messages_sent == 4
        assert [row.failure_count for row in await app.subscriptions.list_all()] == [0]
        await usage_report(app.db, days=14, now=clock())
        health = await app.runtime.health()  # /healthz and /metrics read through the pool too
        assert health.facts["database"] == {"reachable": True}
        assert health.facts["last_tick"]["outcome"] == "ok"
        await app.runtime.refresh_gauges()

    assert len(threads.seen) > 30  # the listener saw the work...
    assert threads.on(loop_thread) == []  # ...and none of it ran on the event loop
    # Database.run's pools: "db" for commands, "db-bulk" for the morning post's claims and writes
    assert all(name.startswith(("db_", "db-bulk_")) for name, _ in threads.seen)
    assert any(name.startswith("db-bulk_") for name, _ in threads.seen)
