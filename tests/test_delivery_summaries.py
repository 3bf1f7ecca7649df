"""Summaries are made once per (day, language), ahead of the morning post, never per chat."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bot.domain import Target
from bot.llm import LlmClient
from tests.fakes.core import make_core
from tests.fakes.memory import RecordingPublisher
from tests.fakes.openai import FakeOpenAI


async def test_summaries_are_prepared_before_the_post_and_shared(db) -> None:
    async with FakeOpenAI() as llm, httpx.AsyncClient() as http:
        client = LlmClient(http, llm.base_url, "key", "fake-summarizer", timeout=5)
        app, _, clock = make_core(db, now=datetime(2025, 1, 11, 8, 0, tzinfo=UTC), llm=client)
        publisher = RecordingPublisher()
        app.delivery.register(publisher)
        for chat, language in (("1", "ko"), ("2", "ko"), ("3", "en")):
            target = Target("test", chat)
            await app.subscriptions.subscribe(target)
            await app.subscriptions.set(target, "language", language)
            await app.subscriptions.set(target, "style", "cards")

        await app.delivery.tick()  # 08:00, before the 09:00 post: prepare only
        assert publisher.sent == []
        assert llm.calls == 3 * 2  # three Friday papers, two languages
        await app.delivery.tick()  # nothing left to prepare
        assert llm.calls == 6

        clock.set(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
        report = await app.delivery.tick()
        assert sorted(report.delivered) == [1, 2, 3]
        assert llm.calls == 6  # the post made no call: all cached, shared by both ko chats
        korean = await app.commands.cards(
            await app.archive.day(report.day, clock()), "ko"
        )  # and on-demand commands read the same cache
        assert all(card.summary.source == "llm" for card in korean)
        assert any("\uac00" <= ch <= "\ud7a3" for ch in korean[0].summary.whats_new or "")
