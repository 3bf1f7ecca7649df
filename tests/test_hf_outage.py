"""Hugging Face slow, down or hammered: commands answer within seconds from the archive, the
fetch goes on in the background, and no chat can use up the quota the morning post needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.app import App, build_app
from bot.commands import ChatContext
from bot.config import Settings
from bot.i18n import t
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram_harness import Clock

FRI = date(2025, 1, 10)
FRIDAY_NOON = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def chat(chat_id: str = "100", user: str = "100") -> ChatContext:
    return ChatContext(platform="telegram", chat_id=chat_id, user_id=user, chat_type="private")


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as fake:
        yield fake


def make_app(sqlite_url: str, hf: FakeHuggingFace, clock: Clock, **extra: Any) -> App:
    values: dict[str, Any] = {
        "database_url": sqlite_url,
        "hf_api_base_url": hf.base_url,
        "hf_command_wait_seconds": 1.0,
        "hf_timeout_seconds": 10.0,
        "hf_max_retries": 1,
        **extra,
    }
    return build_app(Settings(_env_file=None, **values), now=clock)  # type: ignore[call-arg]


async def timed(app: App, command: str, args: str, ctx: ChatContext) -> tuple[float, Any]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    reply = await app.commands.run(command, args, ctx)
    return loop.time() - start, reply


async def test_a_slow_source_gets_a_stored_answer_in_seconds_and_is_refreshed(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    clock = Clock(FRIDAY_NOON)
    app = make_app(sqlite_url, hf, clock)
    try:
        _, first = await timed(app, "date", "2025-01-10", chat())
        assert first.cards and first.cards[0].votes == 39
        assert t("source_late", "en") not in first.text

        clock.now = FRIDAY_NOON + timedelta(minutes=31)  # the copy is due for a refresh
        hf.set_votes("2025-01-10", "2501.05040", 100)
        hf.delay_next(4.0)  # Hugging Face hangs for four seconds, then answers
        took, late = await timed(app, "date", "2025-01-10", chat())
        assert took < 2.5, took
        assert not late.is_error
        assert late.text.startswith(t("source_late", "en"))
        assert late.cards[0].votes == 39  # what we had

        await asyncio.sleep(4.5)  # the fetch went on in the background and stored its answer
        _, fresh = await timed(app, "date", "2025-01-10", chat())
        assert t("source_late", "en") not in fresh.text
        assert fresh.cards[0].arxiv_id == "2501.05040" and fresh.cards[0].votes == 100
        assert hf.count(date="2025-01-10") == 2
    finally:
        await app.aclose()


async def test_today_during_an_outage_answers_from_the_archive_in_korean(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    clock = Clock(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    app = make_app(sqlite_url, hf, clock, hf_max_retries=4)
    try:
        await app.commands.run("settings", "language ko", chat())
        assert (await app.commands.run("today", "", chat())).cards
        clock.now = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)  # Monday: new days to fetch
        hf.fail_next(500, times=200)  # Hugging Face answers 500 to everything
        took, reply = await timed(app, "today", "", chat())
        assert took < 2.5, took
        assert reply.text.startswith(t("source_late", "ko"))
        assert reply.day == FRI and len(reply.cards) == 10
        took, unknown = await timed(app, "date", "2024-03-05", chat())  # never stored
        assert took < 2.5 and unknown.is_error and unknown.text == t("source_down", "ko")
    finally:
        await app.aclose()


async def test_two_hundred_dates_from_one_chat_make_at_most_a_burst_of_requests(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    clock = Clock(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    app = make_app(sqlite_url, hf, clock, command_burst=10, command_rate_per_minute=6)
    try:
        replies = [
            await app.commands.run(
                "date", (date(2024, 1, 1) + timedelta(days=i)).isoformat(), chat()
            )
            for i in range(200)
        ]
        slow = [r for r in replies if r.text == t("slow_down", "en", seconds=10)]
        assert hf.count() <= 11  # the burst, and at most one token refilled meanwhile
        assert len(slow) >= 189 and len(slow) + hf.count() == 200
        assert "slow down" in slow[0].text.lower()

        # the same user in another chat is limited too; someone else is not
        other_chat = await app.commands.run("date", "2023-05-05", chat("-5", "100"))
        assert other_chat.text == t("slow_down", "en", seconds=10)
        stranger = await app.commands.run("date", "2023-05-05", chat("-5", "999"))
        assert stranger.text != t("slow_down", "en", seconds=10)
        # commands that never fetch are not limited
        assert "/today" in (await app.commands.run("help", "", chat())).text
    finally:
        await app.aclose()


async def test_chats_use_only_their_share_of_the_quota_the_clock_keeps_the_rest(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    clock = Clock(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    app = make_app(sqlite_url, hf, clock, hf_interactive_requests_per_5_minutes=5)
    try:
        replies = [
            await app.commands.run(
                "date", (date(2024, 1, 1) + timedelta(days=i)).isoformat(), chat(str(i), str(i))
            )
            for i in range(8)
        ]
        assert hf.count() == 5
        assert [r.text.startswith("Please slow down") for r in replies] == [False] * 5 + [True] * 3
        # the morning post's fetches are not counted against the chats' share
        await app.archive.ensure_day(FRI, clock.now)
        assert hf.count() == 6 and hf.count(date="2025-01-10") == 1
    finally:
        await app.aclose()


async def test_paper_waits_for_the_source_only_a_few_seconds(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    clock = Clock(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    app = make_app(sqlite_url, hf, clock)
    try:
        hf.delay_next(5.0)
        took, reply = await timed(app, "paper", "2401.00001", chat())
        assert took < 2.5, took
        assert reply.is_error and reply.text == t("source_down", "en")
    finally:
        await app.aclose()
