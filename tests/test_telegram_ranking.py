"""👍/👎 buttons end to end: real PTB against the fake Bot API, the real core, fake Hugging Face."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.domain import Target
from tests.fakes.hf_data import load_day
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 2001
MEMBER = 2003
CHANNEL = -100900
BOT = "dailypapers_test_bot"
# the day after the 57-paper fixture day, so /today is 2025-05-27
NOW = datetime(2025, 5, 28, 12, 0, tzinfo=UTC)
LIKED = ("2501.04519", "2501.04682", "2501.05366", "2501.06186", "2501.07301")
DISLIKED = ("2501.01427", "2501.05441", "2501.05453", "2501.05874", "2501.03841")
BIG_DAY = {item["paper"]["id"]: item for item in load_day("2025-05-27")}


def reasoning(arxiv_id: str) -> bool:
    return "reason" in BIG_DAY[arxiv_id]["paper"]["title"].lower()


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram(bot_username=BOT)
    server.add_private_chat(USER, "Alice")
    server.add_channel(CHANNEL, "Papers")
    server.add_user(MEMBER, "Reader")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(sqlite_url, hf, tg):
    settings = make_settings(sqlite_url, hf.base_url, tg)
    async with running_bot(settings, Clock(NOW)) as running:
        yield running


async def reply_to(tg: FakeTelegram, chat_id: int, inject, count: int = 1) -> list[SentMessage]:
    before = len(tg.sent_to(chat_id))
    inject()
    # generous: the first personal ranking fits a model on a machine shared with other tests
    sent = await tg.wait_sent(before + count, chat_id=chat_id, within=30)
    return sent[before:]


async def whole_listing(tg: FakeTelegram, chat_id: int, text: str) -> list[SentMessage]:
    """The 57-paper day's first page (the chat's top 10, then a More button)."""
    before = len(tg.sent_to(chat_id))
    tg.private_message(chat_id, text)

    def complete() -> bool:
        return any("\n10. " in (m.plain or "") for m in tg.sent_to(chat_id)[before:])

    await tg.wait_for(complete, within=30)
    return tg.sent_to(chat_id)[before:]


async def press(tg: FakeTelegram, message: SentMessage, user: int, data: str) -> dict:
    before = len(tg.answered_callbacks)
    tg.press_button(message, user, data=data)
    await tg.wait_for(lambda: len(tg.answered_callbacks) > before)
    return tg.answered_callbacks[-1]


def listed_ids(messages: list[SentMessage]) -> list[str]:
    html = "\n".join(m.text or "" for m in messages)
    return re.findall(r'href="https://arxiv\.org/abs/(\d{4}\.\d{4,5})"', html)


async def test_buttons_teach_the_chat_and_personal_rank_reorders_today(tg, bot) -> None:
    sent_before = len(tg.sent_to(USER))
    for arxiv_id, verdict in [*((i, "like") for i in LIKED), *((i, "dislike") for i in DISLIKED)]:
        (card,) = await reply_to(
            tg, USER, lambda i=arxiv_id: tg.private_message(USER, f"/paper {i}")
        )
        datas = [b["callback_data"] for b in card.buttons() if "callback_data" in b]
        assert f"/like {arxiv_id}" in datas and f"/dislike {arxiv_id}" in datas
        popup = await press(tg, card, USER, f"/{verdict} {arxiv_id}")
        assert popup["text"].startswith("👍 Noted" if verdict == "like" else "👎 Noted")
    # the votes were answered by pop-ups, not messages in the chat
    assert len(tg.sent_to(USER)) == sent_before + len(LIKED) + len(DISLIKED)

    votes = await whole_listing(tg, USER, "/today")
    votes_top = listed_ids(votes)[:5]
    assert sum(map(reasoning, votes_top)) == 1

    (done,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/settings rank personal"))
    assert done.plain == "Done: rank is now personal."
    personal = await whole_listing(tg, USER, "/today")
    top = listed_ids(personal)[:5]
    assert sum(map(reasoning, top)) >= 4 > sum(map(reasoning, votes_top))
    assert "Because you liked" in personal[0].plain  # escaped, in the listing itself
    assert "this chat's order" in personal[0].plain

    (ratings,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/ratings"))
    assert "10 rated papers (5 👍, 5 👎)" in ratings.plain
    foryou = await reply_to(tg, USER, lambda: tg.private_message(USER, "/foryou 3"))
    assert all(reasoning(i) for i in listed_ids(foryou))
    assert len(listed_ids(foryou)) == 3


async def test_cards_carry_rating_buttons_and_a_channel_rates_through_the_private_chat(
    tg, bot
) -> None:
    app, _ = bot
    await reply_to(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/settings style cards"))
    (card,) = await reply_to(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/paper 2501.04519"))
    before = len(tg.sent_to(CHANNEL))
    answer = await press(tg, card, MEMBER, "/like 2501.04519")
    url = answer["url"]
    assert url.startswith(f"https://t.me/{BOT}?start=")
    payload = url.split("start=", 1)[1]
    assert len(payload) <= 64
    tg.add_private_chat(MEMBER, "Reader")
    (noted,) = await reply_to(tg, MEMBER, lambda: tg.private_message(MEMBER, f"/start {payload}"))
    assert noted.plain.startswith("👍 Noted: “rStar-Math")
    assert len(tg.sent_to(CHANNEL)) == before  # nothing posted into the channel
    channel = Target("telegram", str(CHANNEL))
    assert await app.commands.ranking.ratings.profile(channel) == {"2501.04519": 1}
    # the presser's own private chat learnt nothing: the vote is the channel's
    assert await app.commands.ranking.ratings.profile(Target("telegram", str(MEMBER))) == {}
