"""Chat commands end to end: real PTB polling the fake Bot API, the real core, fake Hugging Face."""

from __future__ import annotations

import json

import pytest

from bot.domain import Target
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram, SentMessage, parse_html
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 1001
ADMIN = 1002
MEMBER = 1003
OPERATOR = 1009
GROUP = -100200
FORUM = -100300
CHANNEL = -100400
BOT = "dailypapers_test_bot"
FRIDAY_IDS = ("2501.05366", "2501.05441", "2501.05453", "2501.04003", "2501.03489")


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram(bot_username=BOT)
    server.add_private_chat(USER, "Alice")
    server.add_group(GROUP, "Readers", admins=(ADMIN,))
    server.add_group(FORUM, "Forum", forum=True, admins=(ADMIN,))
    server.add_channel(CHANNEL, "Papers")
    for user in (ADMIN, MEMBER, OPERATOR):
        server.add_user(user, f"user{user}")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(sqlite_url, hf, tg):
    settings = make_settings(sqlite_url, hf.base_url, tg, bot_admin_ids=[f"telegram:{OPERATOR}"])
    async with running_bot(settings, Clock()) as running:
        yield running


async def reply_to(tg: FakeTelegram, chat_id: int, inject, count: int = 1) -> list[SentMessage]:
    """Inject an update and wait for ``count`` new messages in that chat."""
    before = len(tg.sent_to(chat_id))
    inject()
    sent = await tg.wait_sent(before + count, chat_id=chat_id)
    return sent[before:]


async def test_commands_are_registered_with_set_my_commands(tg, bot) -> None:
    names = [c["command"] for c in tg.commands]
    for name in ("today", "date", "top", "search", "paper", "help", "subscribe", "settings"):
        assert name in names
    calls = [name for name, _ in tg.calls]
    assert calls.index("getme") < calls.index("setmycommands") < calls.index("deletewebhook")
    # and the Korean list for Korean clients
    korean = [p for name, p in tg.calls if name == "setmycommands" and p.get("language_code")]
    assert korean and korean[0]["language_code"] == "ko"


async def test_private_start_and_today_digest(tg, bot) -> None:
    (welcome,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/start"))
    assert "/today" in welcome.plain and "/subscribe" in welcome.plain

    (digest,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/today"))
    assert digest.parse_mode == "HTML" and digest.disable_preview
    parse_html(digest.text or "")  # valid Telegram HTML (the fake already refused otherwise)
    assert "2025-01-10" in digest.plain
    for arxiv_id in FRIDAY_IDS:
        assert f'href="https://arxiv.org/abs/{arxiv_id}"' in (digest.text or "")
    assert "Search-o1" in digest.plain and "39" in digest.plain
    callbacks = [b["callback_data"] for b in digest.buttons() if "callback_data" in b]
    assert callbacks[0] == "/paper 2501.05366"
    assert len(callbacks) == 10


async def test_inline_button_opens_the_full_card(tg, bot) -> None:
    (digest,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/today"))
    card = await reply_to(tg, USER, lambda: tg.press_button(digest, USER, data="/paper 2501.05441"))
    assert tg.answered_callbacks  # the spinner stopped
    body = " ".join(m.plain for m in card)
    assert "The GAN is dead" in body
    assert "Aaron Gokaslan" in body
    urls = [b.get("url") for m in card for b in m.buttons()]
    bodies = "".join(m.body for m in card) + " ".join(u or "" for u in urls)
    assert bodies.count("https://huggingface.co/papers/2501.05441") == 1  # one HF link


async def test_group_subscribe_needs_an_admin(tg, bot) -> None:
    app, _ = bot
    target = Target("telegram", str(GROUP))
    (refusal,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/subscribe"))
    assert "only this chat's admins" in refusal.plain
    assert await app.subscriptions.get(target) is None
    asked = [p for name, p in tg.calls if name == "getchatmember"]
    assert asked[-1]["user_id"] == MEMBER and asked[-1]["chat_id"] == GROUP

    (done,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, ADMIN, "/subscribe"))
    assert done.plain.startswith("Subscribed")
    row = await app.subscriptions.get(target)
    assert row is not None and row.subscribed and row.chat_title == "Readers"

    (refusal,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/unsubscribe"))
    assert "only this chat's admins" in refusal.plain
    assert (await app.subscriptions.get(target)).subscribed


async def test_operators_and_anonymous_admins_may_subscribe_groups(tg, bot) -> None:
    (done,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, OPERATOR, "/subscribe"))
    assert done.plain.startswith("Subscribed")
    (done,) = await reply_to(tg, GROUP, lambda: tg.anonymous_admin_message(GROUP, "/unsubscribe"))
    assert done.plain.startswith("Unsubscribed")


async def test_today_at_botname_in_a_group_and_what_is_ignored(tg, bot) -> None:
    (digest,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, f"/today@{BOT}"))
    assert "Search-o1" in digest.plain
    # not for us / not a command: silence in groups
    tg.group_message(GROUP, MEMBER, "/today@some_other_bot")
    tg.group_message(GROUP, MEMBER, "nice paper!")
    tg.group_message(GROUP, MEMBER, "/frobnicate")
    (help_,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/help"))
    assert "/today" in help_.plain
    assert len(tg.sent_to(GROUP)) == 2


async def test_private_plain_text_and_unknown_commands_get_a_hint(tg, bot) -> None:
    (hint,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "hello bot"))
    assert "/help" in hint.plain
    (hint,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/frobnicate"))
    assert "/help" in hint.plain and "frobnicate" in hint.plain


async def test_bad_arguments_get_friendly_messages(tg, bot) -> None:
    (bad,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/date 2025-13-45"))
    assert "not a date" in bad.plain
    (bad,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/paper <script>&"))
    assert "is not an arXiv id" in bad.plain and "<script>&" in bad.plain
    assert "&lt;script&gt;&amp;" in (bad.text or "")


async def test_settings_round_trip_with_bad_values(tg, bot) -> None:
    app, _ = bot
    (bad,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/settings time 25:99"))
    assert "not a valid time" in bad.plain
    (bad,) = await reply_to(
        tg, USER, lambda: tg.private_message(USER, "/settings timezone Mars/Olympus")
    )
    assert "not a valid timezone" in bad.plain
    (bad,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/settings colour red"))
    assert "There is no setting 'colour'" in bad.plain

    for command in ("/settings time 07:45", "/settings timezone asia/seoul", "/settings top 3"):
        (ok,) = await reply_to(tg, USER, lambda c=command: tg.private_message(USER, c))
        assert ok.plain.startswith("Done")
    (shown,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/settings"))
    assert "07:45 (Asia/Seoul)" in shown.plain and "Top: 3" in shown.plain
    row = await app.subscriptions.get(Target("telegram", str(USER)))
    assert (row.post_time, row.timezone, row.top_n) == ("07:45", "Asia/Seoul", 3)

    # in a group, members may look but not change
    (shown,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/settings"))
    assert "Time:" in shown.plain
    (refusal,) = await reply_to(
        tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/settings time 06:00")
    )
    assert "only this chat's admins" in refusal.plain


async def test_forum_topic_replies_stay_in_the_topic(tg, bot) -> None:
    app, _ = bot
    tg.add_topic(FORUM, 1)  # the general topic exists too, messages there have no thread id
    (digest,) = await reply_to(tg, FORUM, lambda: tg.topic_message(FORUM, 7, MEMBER, "/today"))
    assert digest.thread_id == 7 and "Search-o1" in digest.plain
    (done,) = await reply_to(tg, FORUM, lambda: tg.topic_message(FORUM, 7, ADMIN, "/subscribe"))
    assert done.thread_id == 7
    assert await app.subscriptions.get(Target("telegram", str(FORUM), "7")) is not None
    assert await app.subscriptions.get(Target("telegram", str(FORUM))) is None
    # the button under a topic message answers in the topic too
    card = await reply_to(tg, FORUM, lambda: tg.press_button(digest, MEMBER))
    assert {m.thread_id for m in card} == {7}


async def test_channel_posts_are_commands_from_an_admin(tg, bot) -> None:
    app, _ = bot
    (done,) = await reply_to(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/subscribe"))
    assert done.plain.startswith("Subscribed")
    channel = await app.subscriptions.get(Target("telegram", str(CHANNEL)))
    assert channel is not None and channel.chat_title == "Papers"
    (digest,) = await reply_to(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/today"))
    assert "Search-o1" in digest.plain
    assert not [p for name, p in tg.calls if name == "getchatmember"]


async def test_handler_errors_are_logged_not_shown(tg, bot, monkeypatch, caplog) -> None:
    app, _ = bot

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.commands, "handle_text", broken)
    (apology,) = await reply_to(tg, USER, lambda: tg.private_message(USER, "/today"))
    assert "Something went wrong" in apology.plain
    assert "database on fire" not in apology.plain and "Traceback" not in apology.plain
    assert any("database on fire" in str(r.exc_info) for r in caplog.records if r.exc_info)


async def test_manual_demo_endpoints(tg) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        base = f"http://127.0.0.1:{tg.port}"
        injected = await client.post(f"{base}/_inject", json={"chat_id": USER, "text": "/help"})
        assert injected.json()["result"]["message"]["text"] == "/help"
        sent = await client.get(f"{base}/_sent")
    assert json.loads(sent.text) == []


async def test_settings_shortcut_buttons_check_the_presser(tg, bot) -> None:
    app, _ = bot
    target = Target("telegram", str(GROUP))
    (shown,) = await reply_to(tg, GROUP, lambda: tg.group_message(GROUP, MEMBER, "/settings"))
    datas = [b["callback_data"] for b in shown.buttons() if "callback_data" in b]
    assert "/subscribe" in datas and "/settings style cards" in datas
    # a member taps "Subscribe": refused in a pop-up for them alone, nothing posted or stored
    before = len(tg.sent_to(GROUP))
    tg.press_button(shown, MEMBER, data="/subscribe")
    await tg.wait_for(lambda: len(tg.answered_callbacks) == 1)
    popup = tg.answered_callbacks[0]
    assert "only this chat's admins" in popup["text"] and popup["show_alert"] in (True, "true")
    assert len(tg.sent_to(GROUP)) == before
    assert await app.subscriptions.get(target) is None
    # the admin taps the same buttons: done
    (done,) = await reply_to(tg, GROUP, lambda: tg.press_button(shown, ADMIN, data="/subscribe"))
    assert done.plain.startswith("Subscribed")
    (styled,) = await reply_to(
        tg, GROUP, lambda: tg.press_button(shown, ADMIN, data="/settings style cards")
    )
    assert "style is now cards" in styled.plain
    row = await app.subscriptions.get(target)
    assert row is not None and row.subscribed and row.style == "cards"


async def test_buttons_under_a_channel_post_answer_in_private_not_in_the_channel(tg, bot) -> None:
    (digest,) = await reply_to(tg, CHANNEL, lambda: tg.channel_post(CHANNEL, "/today"))
    before = len(tg.sent_to(CHANNEL))
    tg.press_button(digest, MEMBER, data="/paper 2501.05441")
    await tg.wait_for(lambda: bool(tg.answered_callbacks))
    url = tg.answered_callbacks[-1]["url"]
    assert url.startswith(f"https://t.me/{BOT}?start=")
    payload = url.split("start=", 1)[1]
    assert len(payload) <= 64 and payload.replace("-", "").replace("_", "").isalnum()
    tg.add_private_chat(MEMBER, "Reader")
    card = await reply_to(tg, MEMBER, lambda: tg.private_message(MEMBER, f"/start {payload}"))
    assert "The GAN is dead" in " ".join(m.plain for m in card)
    assert len(tg.sent_to(CHANNEL)) == before  # a reader never posts into the channel
    (hello,) = await reply_to(tg, MEMBER, lambda: tg.private_message(MEMBER, "/start bm90LWl0"))
    assert "/today" in hello.plain  # a payload that is not a reading command: plain /start
