"""Cost follows what is shown: on a 50-paper day a `top 3` cards chat costs 3 LLM calls a
morning (counted at the fake OpenAI service), a compact chat none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from bot.delivery import shown_papers, summaries_needed
from bot.domain import Target
from bot.llm import LlmClient
from bot.usage import format_usage, usage_report
from tests.fakes.core import make_core
from tests.fakes.memory import MemorySource, RecordingPublisher, paper
from tests.fakes.openai import FakeOpenAI

FRIDAY = date(2025, 1, 10)
BEFORE_POST = datetime(2025, 1, 11, 8, 0, tzinfo=UTC)
POST = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)


def fifty_papers() -> MemorySource:
    papers = [
        paper(
            f"2501.{10000 + n}",
            f"Paper {n} on {'diffusion' if n % 2 else 'agents'}",
            100 - n,
            FRIDAY,
        )
        for n in range(50)
    ]
    return MemorySource({FRIDAY: papers})


async def test_top_3_cards_chat_costs_3_calls_a_morning(db) -> None:
    async with FakeOpenAI() as llm, httpx.AsyncClient() as http:
        client = LlmClient(http, llm.base_url, "key", "fake-summarizer", timeout=5)
        app, _, clock = make_core(db, source=fifty_papers(), now=BEFORE_POST, llm=client)
        publisher = RecordingPublisher()
        app.delivery.register(publisher)
        cards, compact = Target("test", "1"), Target("test", "2")
        for target in (cards, compact):
            await app.subscriptions.subscribe(target)
            await app.subscriptions.set(target, "language", "ko")
            await app.subscriptions.set(target, "top", "3")
        await app.subscriptions.set(cards, "style", "cards")
        await app.subscriptions.set(compact, "style", "compact")

        await app.delivery.tick()  # before the post: prepares what will be shown
        clock.set(POST)
        report = await app.delivery.tick()
        assert sorted(report.delivered) == [1, 2]
        assert llm.calls == 3  # the cards chat's three papers, in Korean; the compact chat none
        shown = [m for m in publisher.to("1") if str(m).startswith("card ")]
        assert [m.split(":")[0] for m in shown] == [
            "card 2501.10000",
            "card 2501.10001",
            "card 2501.10002",
        ]
        rows = await usage_report(app.db, days=14, now=POST)
        assert [(r.model, r.language, r.calls) for r in rows] == [("fake-summarizer", "ko", 3)]
        assert "ko" in format_usage(rows)


async def test_filters_decide_which_papers_are_summarised(db) -> None:
    app, _, _ = make_core(db, source=fifty_papers(), now=POST)
    target = Target("test", "9")
    await app.subscriptions.subscribe(target)
    for key, value in (("style", "cards"), ("top", "2"), ("include", "diffusion")):
        await app.subscriptions.set(target, key, value)
    row = await app.subscriptions.get(target)
    assert row is not None
    featured = await app.archive.day(FRIDAY, POST)
    picked = [fp.paper.arxiv_id for fp in shown_papers(featured, row)]
    assert picked == ["2501.10001", "2501.10003"]  # the first two diffusion papers
    assert {k: [p.arxiv_id for p in v] for k, v in summaries_needed(featured, [row]).items()} == {
        "en": picked
    }
    await app.subscriptions.set(target, "style", "compact")
    compact = await app.subscriptions.get(target)
    assert compact is not None and summaries_needed(featured, [compact]) == {}
