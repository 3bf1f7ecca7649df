"""The fake Bot API, checked through the real PTB Bot: envelopes, statuses, limits."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter

from tests.fakes.telegram import DEFAULT_TOKEN, EntityError, FakeTelegram, parse_html

USER = 1001
GROUP = -100200
ADMIN = 1002
MEMBER = 1003


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake():
    server = FakeTelegram()
    server.add_private_chat(USER, "Alice")
    server.add_group(GROUP, "Readers", admins=(ADMIN,), creator=1004)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram):
    async with Bot(DEFAULT_TOKEN, base_url=fake.base_url) as client:
        yield client


async def test_get_me_and_wrong_token(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "dailypapers_test_bot"
    assert fake.calls[0][0] == "getme"
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{fake.base_url}999:WRONG/getMe")
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_send_message_is_recorded_with_markup_and_preview(fake, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Open", callback_data="/paper 2501.05366")],
            [InlineKeyboardButton("arXiv", url="https://arxiv.org/abs/2501.05366")],
        ]
    )
    message = await bot.send_message(
        USER,
        "<b>Search-o1</b> &amp; friends &lt;3",
        parse_mode=ParseMode.HTML,
        disable_web_page_preview=True,
        reply_markup=markup,
    )
    assert message.message_id == 1
    assert message.chat.id == USER
    assert message.text == "Search-o1 & friends <3"
    assert message.reply_markup == markup
    (sent,) = fake.sent
    assert sent.parse_mode == "HTML"
    assert sent.disable_preview is True
    assert sent.buttons()[0]["callback_data"] == "/paper 2501.05366"
    assert sent.plain == "Search-o1 & friends <3"


@pytest.mark.parametrize(
    "text",
    ["a<br>b", "<p>x</p>", "1 < 2", "a > b", "AT&T", "<b>x</i>", "<b>open", "&nbsp;"],
)
async def test_bad_html_is_refused_like_telegram(fake, bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    # without parse_mode the same text is fine
    await bot.send_message(USER, text)
    assert fake.sent[-1].plain == text


async def test_lengths_count_utf16_units_after_parsing(fake, bot: Bot) -> None:
    await bot.send_message(USER, "😀" * 2048)  # 4096 UTF-16 units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    # tags do not count
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    await bot.send_photo(USER, "https://example.org/a.png", caption="c" * 1024)
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(USER, "https://example.org/a.png", caption="c" * 1025)


async def test_callback_data_limit(fake, bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 64)]])
    await bot.send_message(USER, "fine", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=too_long)


async def test_chat_states_map_to_ptb_exceptions(fake, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hello")
    fake.add_private_chat(2001, "Bob")
    fake.block(2001)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(2001, "hello")
    fake.add_group(-300, "Gone")
    fake.kick(-300)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(-300, "hello")
    fake.migrate(GROUP, -1009999)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "hello")
    assert migrated.value.new_chat_id == -1009999
    await bot.send_message(-1009999, "hello again")
    assert fake.sent_to(-1009999)[0].plain == "hello again"


async def test_forum_topics(fake, bot: Bot) -> None:
    fake.add_group(-500, "Forum", forum=True)
    fake.add_topic(-500, 7)
    message = await bot.send_message(-500, "in topic", message_thread_id=7)
    assert message.message_thread_id == 7
    assert message.is_topic_message
    assert fake.sent_to(-500, 7)[0].plain == "in topic"
    fake.delete_topic(-500, 7)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(-500, "in topic", message_thread_id=7)


async def test_group_flood_limit_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    async with FakeTelegram(clock=clock) as fake:
        fake.add_group(GROUP, "Busy")
        async with Bot(DEFAULT_TOKEN, base_url=fake.base_url) as bot:
            for i in range(20):
                clock.now += 0.5  # well under one per second sustained... but 20/min
                await bot.send_message(GROUP, f"m{i}")
            with pytest.raises(RetryAfter) as limited:
                await bot.send_message(GROUP, "one too many")
            assert 1 <= limited.value.retry_after <= 60
            clock.now += 61
            await bot.send_message(GROUP, "later")


async def test_private_flood_limit_allows_a_burst_then_one_per_second() -> None:
    clock = FakeClock()
    async with FakeTelegram(clock=clock, private_burst=5) as fake:
        fake.add_private_chat(USER)
        async with Bot(DEFAULT_TOKEN, base_url=fake.base_url) as bot:
            for i in range(5):
                await bot.send_message(USER, f"m{i}")
            with pytest.raises(RetryAfter):
                await bot.send_message(USER, "burst over")
            clock.now += 1
            await bot.send_message(USER, "after a second")


async def test_programmed_failure_and_get_chat_member(fake, bot: Bot) -> None:
    fake.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 3", parameters={"retry_after": 3}
    )
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")

    admin = await bot.get_chat_member(GROUP, ADMIN)
    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.can_manage_chat is True
    owner = await bot.get_chat_member(GROUP, 1004)
    assert isinstance(owner, ChatMemberOwner)
    member = await bot.get_chat_member(GROUP, MEMBER)
    assert isinstance(member, ChatMemberMember)


async def test_get_updates_long_polls_and_honours_offset(fake, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0) == ()
    waiter = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    fake.private_message(USER, "/today")
    (update,) = await waiter
    assert time.monotonic() - started < 3
    assert update.message.text == "/today"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/today")
    # not confirmed yet: returned again; confirmed with offset: gone
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_injected_update_shapes_parse_in_ptb(fake, bot: Bot) -> None:
    fake.add_group(-700, "Forum", forum=True)
    fake.add_channel(-800, "Channel")
    fake.group_message(GROUP, MEMBER, "/today@dailypapers_test_bot")
    fake.topic_message(-700, 3, MEMBER, "/help")
    fake.channel_post(-800, "/today")
    sent = await bot.send_message(
        USER,
        "card",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Open", callback_data="/paper 1")]]
        ),
    )
    assert sent.message_id
    fake.press_button(fake.sent[-1], USER)
    group, topic, channel, callback = await bot.get_updates(timeout=0)
    assert group.effective_chat.type == "group" and group.effective_user.id == MEMBER
    assert topic.message.is_topic_message and topic.message.message_thread_id == 3
    assert channel.channel_post.sender_chat.id == -800 and channel.effective_user is None
    assert callback.callback_query.data == "/paper 1"
    assert await callback.callback_query.answer() is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await callback.callback_query.answer()
    assert fake.answered_callbacks[0]["callback_query_id"] == callback.callback_query.id


async def test_json_and_form_bodies(fake) -> None:
    async with httpx.AsyncClient() as client:
        as_json = await client.post(
            f"{fake.base_url}{DEFAULT_TOKEN}/sendMessage",
            json={"chat_id": USER, "text": "json", "message_thread_id": None},
        )
        as_form = await client.post(
            f"{fake.base_url}{DEFAULT_TOKEN}/sendMessage",
            data={"chat_id": str(USER), "text": "123", "reply_markup": '{"inline_keyboard": []}'},
        )
        unknown = await client.post(f"{fake.base_url}{DEFAULT_TOKEN}/noSuchMethod")
    assert as_json.json()["ok"] is True
    assert as_form.json()["result"]["text"] == "123"  # a numeric text stays text
    assert unknown.status_code == 404
    assert unknown.json()["description"] == "Not Found"


def test_parse_html_returns_the_visible_text() -> None:
    assert (
        parse_html('<a href="https://x.org/?a=1&amp;b=2">link</a> &#128512; &#x41;') == "link 😀 A"
    )
    assert parse_html('<span class="tg-spoiler">s</span><pre><code>c</code></pre>') == "sc"
    with pytest.raises(EntityError, match="expected"):
        parse_html("<b><i>x</b></i>")
    with pytest.raises(EntityError, match="tg-spoiler"):
        parse_html('<span class="x">s</span>')
    with pytest.raises(EntityError):
        parse_html("<code><b>x</b></code>")
