"""TelegramPublisher through the real PTB ExtBot and our rate limiter, against the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from telegram.ext import ExtBot

from adapters.telegram.publisher import TelegramPublisher
from adapters.telegram.ratelimit import PacedRateLimiter
from adapters.telegram.render import TelegramMessage, TgButton
from bot.domain import Card, Reply, Summary, Target
from bot.pacing import MemorySlots
from bot.ports import ChatMoved, ChatUnreachable, DeliveryError, PlatformDown, ThreadGone
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

USER = 1001
GROUP = -100200
FORUM = -100300


def tg(chat_id: int, thread_id: int | None = None) -> Target:
    return Target("telegram", str(chat_id), str(thread_id) if thread_id else None)


@pytest.fixture
async def fake():
    server = FakeTelegram()
    server.add_private_chat(USER, "Alice")
    server.add_group(GROUP, "Readers")
    server.add_group(FORUM, "Forum", forum=True)
    server.add_topic(FORUM, 5)
    await server.start()
    yield server
    await server.stop()


class Waits(list[float]):
    """The limiter's retry waits, recorded instead of slept (the test stays fast)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        await asyncio.sleep(0)


async def make_publisher(
    fake: FakeTelegram, max_retries: int = 3, waits: Waits | None = None
) -> TelegramPublisher:
    limiter = PacedRateLimiter.for_token(DEFAULT_TOKEN, MemorySlots())
    limiter.bulk_retries = max_retries
    limiter.sleep = waits if waits is not None else Waits()
    bot = ExtBot(DEFAULT_TOKEN, base_url=fake.base_url, rate_limiter=limiter)
    await bot.initialize()
    return TelegramPublisher(bot)


@pytest.fixture
async def publisher(fake):
    pub = await make_publisher(fake)
    yield pub
    await pub.bot.shutdown()


async def test_text_message_with_buttons_in_a_topic(fake, publisher) -> None:
    message = TelegramMessage(
        text="<b>Daily Papers</b> &amp; more",
        buttons=(
            (TgButton("1", callback_data="/paper 2501.05366"),),
            (TgButton("arXiv", url="https://arxiv.org/abs/2501.05366"),),
        ),
    )
    sent_id = await publisher.send(tg(FORUM, 5), message)
    (sent,) = fake.sent
    assert sent_id == str(sent.message_id)
    assert (sent.method, sent.chat_id, sent.thread_id) == ("sendMessage", FORUM, 5)
    assert sent.parse_mode == "HTML" and sent.disable_preview is True
    assert sent.plain == "Daily Papers & more"
    assert [b.get("callback_data") or b.get("url") for b in sent.buttons()] == [
        "/paper 2501.05366",
        "https://arxiv.org/abs/2501.05366",
    ]


async def test_photo_with_caption_and_fallback_to_text(fake, publisher) -> None:
    photo = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.05366.png"
    await publisher.send(tg(USER), TelegramMessage(text="<i>card</i>", photo=photo))
    assert fake.sent[-1].method == "sendPhoto"
    assert fake.sent[-1].photo == photo and fake.sent[-1].plain == "card"
    fake.fail_next("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
    await publisher.send(tg(USER), TelegramMessage(text="<i>card</i>", photo=photo))
    assert fake.sent[-1].method == "sendMessage" and fake.sent[-1].plain == "card"


async def test_rendered_replies_are_accepted_by_the_fake(fake, publisher) -> None:
    long = "A sentence about <models> & results, with 😀 emoji. " * 120
    cards = tuple(
        Card(
            arxiv_id=f"2501.0{i:04d}",
            title=f"Paper <{i}> & friends",
            votes=100 - i,
            authors=("Ada Lovelace", "Alan Turing"),
            summary=Summary(whats_new=long, technical_details=long, performance_highlights=long),
            day=date(2025, 1, 10),
        )
        for i in range(12)
    )
    for style in ("compact", "cards"):
        reply = Reply(title="Daily Papers (2025-01-10)", text="intro", cards=cards, style=style)
        for message in publisher.render(reply):
            await publisher.send(tg(USER), message)
    assert len(fake.sent) >= 13


@pytest.mark.parametrize(
    ("program", "chat", "error"),
    [
        (lambda f: f.block(USER), USER, ChatUnreachable),
        (lambda f: f.kick(GROUP), GROUP, ChatUnreachable),
        (lambda f: f.chats.pop(GROUP), GROUP, ChatUnreachable),  # chat not found
        (lambda f: f.migrate(GROUP, -100999), GROUP, ChatMoved),
    ],
)
async def test_chat_states_become_delivery_errors(fake, publisher, program, chat, error) -> None:
    program(fake)
    with pytest.raises(error) as raised:
        await publisher.send(tg(chat), TelegramMessage(text="hello"))
    if error is ChatMoved:
        assert raised.value.new_chat_id == "-100999"
    assert not fake.sent


async def test_channel_the_bot_left_is_unreachable(fake, publisher) -> None:
    fake.add_channel(-100500)
    fake.kick(-100500)
    with pytest.raises(ChatUnreachable, match="not a member"):
        await publisher.send(tg(-100500), TelegramMessage(text="hello"))


async def test_deleted_topic_is_thread_gone(fake, publisher) -> None:
    fake.delete_topic(FORUM, 5)
    with pytest.raises(ThreadGone):
        await publisher.send(tg(FORUM, 5), TelegramMessage(text="hello"))


async def test_other_bad_requests_are_generic_delivery_errors(fake, publisher) -> None:
    with pytest.raises(DeliveryError) as raised:
        await publisher.send(tg(USER), TelegramMessage(text="<br>"))
    assert type(raised.value) is DeliveryError
    assert "parse entities" in str(raised.value)


async def test_flood_control_is_retried_by_the_rate_limiter(fake) -> None:
    waits = Waits()
    publisher = await make_publisher(fake, waits=waits)
    fake.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 3", parameters={"retry_after": 3}
    )
    try:
        await publisher.send(tg(GROUP), TelegramMessage(text="after the flood"))
    finally:
        await publisher.bot.shutdown()
    assert waits == [3.0]  # retry_after honoured before the second try
    assert fake.sent_to(GROUP)[0].plain == "after the flood"
    assert [name for name, _ in fake.calls].count("sendmessage") == 2
    stats = publisher.bot.rate_limiter.stats  # type: ignore[union-attr]
    assert stats.retry_after == {"reply": 0, "bulk": 1}
    assert stats.retried["bulk"] == 1 and stats.gave_up["bulk"] == 0


async def test_flood_control_beyond_retries_holds_the_delivery(fake) -> None:
    publisher = await make_publisher(fake, max_retries=1)
    fake.fail_next(
        "sendMessage",
        429,
        "Too Many Requests: retry after 1",
        parameters={"retry_after": 1},
        times=2,
    )
    try:
        with pytest.raises(DeliveryError, match="rate limited") as raised:
            await publisher.send(tg(USER), TelegramMessage(text="x"))
        assert type(raised.value) is PlatformDown  # the bot's limit: never the chat's fault
        stats = publisher.bot.rate_limiter.stats  # type: ignore[union-attr]
        assert stats.retry_after["bulk"] == 2 and stats.gave_up["bulk"] == 1
    finally:
        await publisher.bot.shutdown()
