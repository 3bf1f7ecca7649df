"""Paging through the real adapters: the first page holds the chat's top N, More shows the next.

2025-05-27 has 57 papers (more than one HF page), so /today on the next morning is paged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from adapters.console import Session, answer
from bot.app import build_app
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.memory import FakeClock
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.fakes.telegram_harness import Clock, make_settings, running_bot
from tests.test_discord_adapter import make_settings as discord_settings
from tests.test_discord_adapter import start_adapter

BIG_DAY = date(2025, 5, 27)
MORNING_AFTER = datetime(2025, 5, 28, 9, 0, tzinfo=UTC)
USER = 1001
GROUP = -100200
ADMIN = 1002
CHANNEL = -100400
BOT = "dailypapers_test_bot"


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram(bot_username=BOT)
    server.add_private_chat(USER, "Alice")
    server.add_group(GROUP, "Readers", admins=(ADMIN,))
    server.add_channel(CHANNEL, "Papers")
    server.add_user(ADMIN, "Admin")
    await server.start()
    yield server
    await server.stop()


async def ranked_ids(app) -> list[str]:
    return [fp.paper.arxiv_id for fp in await app.archive.day(BIG_DAY, MORNING_AFTER)]


def paper_buttons(message: SentMessage) -> list[tuple[str, str]]:
    return [
        (b["text"], b["callback_data"])
        for b in message.buttons()
        if b.get("callback_data", "").startswith("/paper ")
    ]


async def next_messages(tg: FakeTelegram, chat_id: int, inject) -> list[SentMessage]:
    before = len(tg.sent_to(chat_id))
    inject()
    sent = await tg.wait_sent(before + 1, chat_id=chat_id)
    return sent[before:]


async def test_telegram_today_pages_with_a_more_button(sqlite_url, hf, tg) -> None:
    settings = make_settings(sqlite_url, hf.base_url, tg)
    async with running_bot(settings, Clock(MORNING_AFTER)) as (app, _):
        (first,) = await next_messages(tg, USER, lambda: tg.private_message(USER, "/today"))
        ranked = await ranked_ids(app)
        assert len(ranked) == 57
        listed = paper_buttons(first)
        assert listed == [(str(n), f"/paper {ranked[n - 1]}") for n in range(1, 11)]
        assert "Showing 10 of 57" in first.plain
        assert "57 papers featured" in first.plain
        more = [b for b in first.buttons() if b["text"] == "More"]
        assert more and more[0]["callback_data"] == "/date 2025-05-27 +10"

        (second,) = await next_messages(
            tg, USER, lambda: tg.press_button(first, USER, data="/date 2025-05-27 +10")
        )
        assert paper_buttons(second) == [(str(n), f"/paper {ranked[n - 1]}") for n in range(11, 21)]
        assert "Showing 11–20 of 57" in second.plain
        assert "11. " in second.plain and "\n1. " not in second.plain
        (last,) = await next_messages(
            tg, USER, lambda: tg.private_message(USER, "/date 2025-05-27 +50")
        )
        assert [d for _, d in paper_buttons(last)] == [f"/paper {i}" for i in ranked[50:]]
        assert not [b for b in last.buttons() if b["text"] == "More"]  # the last page


async def test_telegram_page_follows_the_chats_top_setting(sqlite_url, hf, tg) -> None:
    settings = make_settings(sqlite_url, hf.base_url, tg)
    async with running_bot(settings, Clock(MORNING_AFTER)):
        await next_messages(tg, GROUP, lambda: tg.group_message(GROUP, ADMIN, "/settings top 3"))
        (first,) = await next_messages(tg, GROUP, lambda: tg.group_message(GROUP, USER, "/today"))
        assert len(paper_buttons(first)) == 3
        assert "Showing 3 of 57" in first.plain
        (top,) = await next_messages(tg, GROUP, lambda: tg.group_message(GROUP, USER, "/top"))
        assert len(paper_buttons(top)) == 3
        more = next(b["callback_data"] for b in top.buttons() if b["text"] == "More")
        assert more.startswith("/top ") and more.endswith(" 2025-05-27 +3")
        assert len(more.encode()) <= 64
        (second,) = await next_messages(tg, GROUP, lambda: tg.press_button(top, USER, data=more))
        first_ids = {d for _, d in paper_buttons(top)}
        second_ids = [d for _, d in paper_buttons(second)]
        assert len(second_ids) == 3 and not first_ids & set(second_ids)
        assert [t for t, _ in paper_buttons(second)] == ["4", "5", "6"]


async def test_telegram_more_under_a_channel_post_opens_a_private_chat(sqlite_url, hf, tg) -> None:
    settings = make_settings(sqlite_url, hf.base_url, tg)
    async with running_bot(settings, Clock(MORNING_AFTER)):
        (post,) = await next_messages(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/today"))
        more = next(b for b in post.buttons() if b["text"] == "More")
        tg.press_button(post, USER, data=more["callback_data"])
        await tg.wait_for(lambda: len(tg.answered_callbacks) == 1)
        assert tg.answered_callbacks[0]["url"].startswith(f"https://t.me/{BOT}?start=")
        assert len(tg.sent_to(CHANNEL)) == 1  # nothing posted into the channel


async def test_discord_more_button_on_the_last_message(sqlite_url) -> None:
    async with FakeHuggingFace() as hf:
        fake = FakeDiscord()
        await fake.start()
        app = build_app(discord_settings(sqlite_url, hf, fake), now=FakeClock(MORNING_AFTER))
        adapter = await start_adapter(app)
        try:
            iid = await fake.inject_command("today")
            await fake.wait_replied(iid)
            replies = fake.replies(iid)
            embeds = [e for m in replies for e in m["embeds"]]
            assert len(embeds) == 10
            ranked = await ranked_ids(app)
            assert embeds[0]["url"] == f"https://arxiv.org/abs/{ranked[0]}"
            assert "Showing 10 of 57" in replies[0]["content"]
            last = replies[-1]
            buttons = [b for row in last["components"] for b in row["components"]]
            more = next(b for b in buttons if b["label"] == "More")
            assert more["custom_id"] == "/date 2025-05-27 +10"
            iid = await fake.inject_button(last, more["custom_id"])
            await fake.wait_replied(iid)
            page = fake.replies(iid)
            embeds = [e for m in page for e in m["embeds"]]
            assert [e["url"] for e in embeds] == [
                f"https://arxiv.org/abs/{i}" for i in ranked[10:20]
            ]
            assert embeds[0]["title"].startswith("11. ")
            assert "Showing 11–20 of 57" in page[0]["content"]
        finally:
            await adapter.stop()
            await app.aclose()
            await fake.stop()


async def test_console_more_continues_the_last_list(sqlite_url, hf) -> None:
    settings = Settings(_env_file=None, database_url=sqlite_url, hf_api_base_url=hf.base_url)  # type: ignore[call-arg]
    app = build_app(settings, now=FakeClock(MORNING_AFTER))
    try:
        session = Session()
        nothing = await answer(app, "more", session=session)
        assert nothing is not None and "Nothing more to show" in nothing
        assert "/search" in nothing  # /search pages too
        first = await answer(app, "today", session=session)
        assert first is not None and "Showing 10 of 57" in first and "/more" in first
        ranked = await ranked_ids(app)
        second = await answer(app, "/more", session=session)
        assert second is not None and "Showing 11–20 of 57" in second
        assert "11. " in second and f"https://arxiv.org/abs/{ranked[10]}" in second
        assert f"https://arxiv.org/abs/{ranked[9]}" not in second
    finally:
        await app.aclose()
