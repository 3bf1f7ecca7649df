"""The Discord adapter end to end: real discord.py against the fake Discord, the real core with
SQLite, and the fake Hugging Face. Time moves only through ``app.delivery.tick(now)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.discord.client import SORRY, DiscordAdapter
from adapters.discord.commands import value_suggestions
from bot.app import App, build_app
from bot.config import Settings
from bot.domain import Reply, Target
from tests.fakes.discord import EVERYONE_PERMISSIONS, MANAGE_CHANNELS, FakeDiscord
from tests.fakes.hf_data import SEED_IDS, make_item
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.memory import FakeClock
from tests.fakes.telegram import max_in_window

FRIDAY = date(2025, 1, 10)
SATURDAY_9 = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)  # today's digest: Friday 2025-01-10
NO_PINGS = {"parse": []}  # what discord.py sends for AllowedMentions.none()


@dataclass
class World:
    app: App
    adapter: DiscordAdapter
    discord: FakeDiscord
    hf: FakeHuggingFace
    clock: FakeClock
    settings: Settings

    async def restart(self) -> None:
        """A new process: new App and adapter on the same database and fakes."""
        await self.adapter.stop()
        await self.app.aclose()
        self.app = build_app(self.settings, now=self.clock)
        self.adapter = await start_adapter(self.app)


async def start_adapter(app: App) -> DiscordAdapter:
    adapter = DiscordAdapter(app, ready_timeout=5, guild_ready_timeout=0.05)
    await adapter.start()
    app.delivery.register(adapter.publisher)
    return adapter


def make_settings(
    sqlite_url: str, hf: FakeHuggingFace, fake: FakeDiscord, **extra: Any
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        hf_api_base_url=hf.base_url,
        hf_max_retries=0,
        discord_bot_token=fake.token,
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
        **extra,
    )


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[World]:
    hf = FakeHuggingFace()
    await hf.start()
    fake = FakeDiscord()
    await fake.start()
    settings = make_settings(sqlite_url, hf, fake)
    clock = FakeClock(SATURDAY_9)
    app = build_app(settings, now=clock)
    adapter = await start_adapter(app)
    w = World(app, adapter, fake, hf, clock, settings)
    yield w
    await w.adapter.stop()
    await w.app.aclose()
    await fake.stop()
    await hf.stop()


def texts(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        parts.append(m["content"])
        for e in m["embeds"]:
            parts += [e.get("title", ""), e.get("url", ""), e.get("description", "")]
    return "\n".join(parts)


async def command(w: World, name: str, options: dict[str, Any] | None = None, **kw: Any) -> list:
    iid = await w.discord.inject_command(name, options, **kw)
    await w.discord.wait_replied(iid)
    return w.discord.replies(iid)


async def test_commands_are_synced_with_options_and_admin_defaults(world: World) -> None:
    cmds = {c["name"]: c for c in world.discord.global_commands}
    assert set(cmds) == {
        "today",
        "date",
        "top",
        "search",
        "paper",
        "help",
        "subscribe",
        "unsubscribe",
        "settings",
        "like",
        "dislike",
        "ratings",
        "foryou",
    }
    assert world.discord.command_puts == ["global"]
    for name in ("subscribe", "unsubscribe", "settings"):
        assert cmds[name]["default_member_permissions"] == str(MANAGE_CHANNELS)
    assert cmds["today"]["default_member_permissions"] is None
    top = {o["name"]: o for o in cmds["top"]["options"]}
    assert top["n"]["type"] == 4 and top["n"]["min_value"] == 1 and top["n"]["max_value"] == 50
    assert [c["value"] for c in top["period"]["choices"]] == ["week", "month"]
    key = next(o for o in cmds["settings"]["options"] if o["name"] == "key")
    assert {"time", "timezone", "language", "style"} <= {c["value"] for c in key["choices"]}


async def test_today_lists_the_days_papers_in_embeds(world: World) -> None:
    replies = await command(world, "today")
    assert (
        world.discord.interactions[max(world.discord.interactions)].callback_type == 5
    )  # deferred
    embeds = [e for m in replies for e in m["embeds"]]
    assert len(embeds) == len(SEED_IDS)
    for arxiv_id in SEED_IDS:
        assert f"https://arxiv.org/abs/{arxiv_id}" in texts(replies)
    assert "2025-01-10" in replies[0]["content"]
    assert SORRY not in texts(replies)
    assert all(len(m["embeds"]) <= 10 for m in replies)
    assert all(m["_allowed_mentions"] == NO_PINGS for m in replies)  # follow-ups ping nobody


async def test_paper_button_under_today_opens_the_card(world: World) -> None:
    replies = await command(world, "today")
    message = next(m for m in replies if m["components"])
    custom_id = message["components"][0]["components"][0]["custom_id"]
    assert custom_id == f"/paper {SEED_IDS[0]}"
    iid = await world.discord.inject_button(world.discord._by_id[int(message["id"])], custom_id)
    await world.discord.wait_replied(iid)
    card = world.discord.replies(iid)
    assert card[0]["embeds"][0]["url"] == f"https://arxiv.org/abs/{SEED_IDS[0]}"
    links = [b.get("url") for row in card[-1]["components"] for b in row["components"]]
    shown = str(card[0]["embeds"]) + " ".join(link or "" for link in links)
    assert shown.count(f"https://huggingface.co/papers/{SEED_IDS[0]}") == 1  # one HF link


async def test_bad_input_gets_a_friendly_answer(world: World) -> None:
    replies = await command(world, "date", {"day": "not-a-day"})
    assert "not-a-day" in replies[0]["content"] and "Traceback" not in texts(replies)
    replies = await command(world, "top", {"n": 3, "period": "month"})
    assert len([e for m in replies for e in m["embeds"]]) == 3


async def test_subscribe_needs_manage_channels(world: World) -> None:
    target = Target("discord", str(world.discord.text_channel_id))
    refused = await command(world, "subscribe", user_id=world.discord.member_id)
    assert "admins" in refused[0]["content"]
    assert refused[0]["flags"] & 64  # ephemeral: only the member sees it
    assert (
        await world.app.subscriptions.get(target) is None
        or not (await world.app.subscriptions.get(target)).subscribed
    )
    accepted = await command(world, "subscribe", user_id=world.discord.admin_id)
    assert "Subscribed" in accepted[0]["content"]
    row = await world.app.subscriptions.get(target)
    assert row is not None and row.subscribed
    refused = await command(
        world, "settings", {"key": "time", "value": "07:30"}, user_id=world.discord.member_id
    )
    assert "admins" in refused[0]["content"]
    changed = await command(
        world, "settings", {"key": "time", "value": "07:30"}, user_id=world.discord.owner_id
    )
    assert "07:30" in changed[0]["content"]


async def test_timezone_autocomplete(world: World) -> None:
    iid = await world.discord.inject_command(
        "settings",
        {"key": "timezone", "value": "seo"},
        user_id=world.discord.admin_id,
        focused="value",
    )
    await world.discord.wait_replied(iid)
    choices = world.discord.interactions[iid].autocomplete or []
    assert "Asia/Seoul" in [c["value"] for c in choices]
    assert len(value_suggestions("timezone", "")) == 25


async def test_morning_post_to_a_text_channel_once(world: World) -> None:
    await command(world, "subscribe", user_id=world.discord.admin_id)
    channel = world.discord.text_channel_id
    before = len(world.discord.sent(channel))
    report = await world.app.delivery.tick(SATURDAY_9 - timedelta(minutes=1))
    assert report.delivered == []
    report = await world.app.delivery.tick(SATURDAY_9)
    assert len(report.delivered) == 1
    posted = world.discord.sent(channel)[before:]
    assert posted and all(SEED_IDS[0] not in m["content"] for m in posted)
    assert f"https://arxiv.org/abs/{SEED_IDS[0]}" in texts(posted)
    assert all(m["_allowed_mentions"] == NO_PINGS for m in posted)
    await world.app.delivery.tick(SATURDAY_9 + timedelta(minutes=5))
    assert len(world.discord.sent(channel)) == before + len(posted)

    await world.restart()  # a new process on the same database posts nothing more today
    report = await world.app.delivery.tick(SATURDAY_9 + timedelta(minutes=10))
    assert report.delivered == []
    assert len(world.discord.sent(channel)) == before + len(posted)


async def test_morning_post_in_a_thread_survives_a_429(world: World) -> None:
    thread = world.discord.thread_id
    await command(world, "subscribe", channel_id=thread, user_id=world.discord.owner_id)
    world.discord.rate_limit(f"/channels/{thread}/messages", retry_after=0.01)
    report = await world.app.delivery.tick(SATURDAY_9)
    assert len(report.delivered) == 1 and world.discord.rate_limited
    assert f"https://arxiv.org/abs/{SEED_IDS[-1]}" in texts(world.discord.sent(thread))


async def test_forum_channel_gets_one_post_per_day(world: World) -> None:
    forum = world.discord.forum_channel_id
    target = Target("discord", str(forum))
    await world.app.subscriptions.subscribe(target)
    await world.app.subscriptions.set(target, "top", "15")
    extra = [make_item(f"2501.0{n}999", f"Extra paper {n}", votes=1) for n in range(1, 6)]
    world.hf.set_day("2025-01-10", world.hf.days["2025-01-10"] + extra)  # > 10 embeds: 2 parts
    await world.app.delivery.tick(SATURDAY_9)
    posts = world.discord.threads_in(forum)
    assert len(posts) == 1 and "2025-01-10" in posts[0]["name"]
    first_day = world.discord.sent(int(posts[0]["id"]))
    assert len(first_day) >= 2  # every part of the delivery went into the one post
    assert f"https://arxiv.org/abs/{SEED_IDS[-1]}" in texts(first_day)
    assert all(m["_allowed_mentions"] == NO_PINGS for m in first_day)  # the starter too

    await world.restart()
    await world.app.delivery.tick(SATURDAY_9 + timedelta(hours=1))
    assert len(world.discord.threads_in(forum)) == 1
    # a delivery resumed by a new process finds the day's post again (by name, from the cache)
    part = world.adapter.publisher.render(Reply(title=posts[0]["name"], text="more", day=FRIDAY))
    await world.adapter.publisher.send(target, part[0])
    assert len(world.discord.threads_in(forum)) == 1
    assert world.discord.sent(int(posts[0]["id"]))[-1]["content"].endswith("\nmore")

    world.hf.set_day("2025-01-13", world.hf.days["2025-01-10"][:3])
    await world.app.delivery.tick(datetime(2025, 1, 14, 9, 0, tzinfo=UTC))
    names = [p["name"] for p in world.discord.threads_in(forum)]
    assert len(names) == 2 and "2025-01-13" in names[1]


async def test_deleted_channel_is_deactivated_and_admins_told_once(world: World) -> None:
    fake = world.discord
    extra = fake.add_channel(fake.guild_id, "news")
    await fake.dispatch("CHANNEL_CREATE", fake.channels[extra])
    await command(world, "subscribe", channel_id=extra, user_id=fake.admin_id)
    target = Target("discord", str(extra))
    await fake.delete_channel(extra)
    system_before = len(fake.sent(fake.system_channel_id))
    world.hf.set_day("2025-01-14", world.hf.days["2025-01-13"])  # a third day with papers
    # failures on three different digest days (Friday's, Monday's, Tuesday's) deactivate;
    # retries within one morning count once
    mornings = [SATURDAY_9, SATURDAY_9 + timedelta(days=3), SATURDAY_9 + timedelta(days=4)]
    for day in mornings:
        report = await world.app.delivery.tick(day)
        assert report.failed and bool(report.deactivated) == (day == mornings[-1])
        if day == SATURDAY_9:  # a gone channel is a fact: that morning is not tried again
            later = await world.app.delivery.tick(day + timedelta(minutes=1))
            assert later.failed == [] and later.deactivated == []
    day += timedelta(minutes=1)
    row = await world.app.subscriptions.get(target)
    assert row is not None and not row.active
    notices = fake.sent(fake.system_channel_id)[system_before:]
    assert len(notices) == 1 and str(extra) in notices[0]["content"]
    calls = len(fake.requests)
    report = await world.app.delivery.tick(day)
    assert report.failed == [] and report.delivered == []
    assert not [r for r in fake.requests[calls:] if str(extra) in r[1]]


async def test_missing_access_counts_as_unreachable(world: World) -> None:
    fake = world.discord
    await command(world, "subscribe", user_id=fake.admin_id)
    fake.fail_channel(fake.text_channel_id, 403, 50001)
    report = await world.app.delivery.tick(SATURDAY_9)
    assert report.failed and not report.deactivated
    row = await world.app.subscriptions.get(Target("discord", str(fake.text_channel_id)))
    assert row is not None and "50001" in (row.last_error or "")


async def test_guild_sync_for_development(world: World) -> None:
    assert world.discord.command_puts == ["global"]
    world.settings = world.settings.model_copy(update={"discord_guild_id": world.discord.guild_id})
    await world.restart()
    assert world.discord.command_puts[-1] == str(world.discord.guild_id)
    guild_commands = world.discord.guild_commands[world.discord.guild_id]
    assert {c["name"] for c in guild_commands} >= {"today", "subscribe"}
    replies = await command(world, "help")  # resolved as a guild command (data.guild_id)
    assert replies and "/today" in texts(replies)


async def test_dm_commands_are_private_chats(world: World) -> None:
    replies = await command(world, "subscribe", dm=True, user_id=world.discord.member_id)
    assert "Subscribed" in replies[0]["content"]
    dm = world.discord.dm_channels[world.discord.member_id]
    row = await world.app.subscriptions.get(Target("discord", str(dm)))
    assert row is not None and row.subscribed
    await world.app.delivery.tick(SATURDAY_9)
    assert f"https://arxiv.org/abs/{SEED_IDS[0]}" in texts(world.discord.sent(dm))


async def test_settings_shortcut_buttons_check_who_clicks(world: World) -> None:
    target = Target("discord", str(world.discord.text_channel_id))
    shown = await command(world, "settings", user_id=world.discord.admin_id)
    message = next(m for m in shown if m["components"])
    ids = [b.get("custom_id") for row in message["components"] for b in row["components"]]
    assert "/subscribe" in ids and "/settings style cards" in ids
    stored = world.discord._by_id[int(message["id"])]
    iid = await world.discord.inject_button(stored, "/subscribe", user_id=world.discord.member_id)
    await world.discord.wait_replied(iid)
    refusal = world.discord.replies(iid)[0]
    assert "admins" in refusal["content"]
    assert refusal["flags"] & 64  # ephemeral: only the member who clicked sees it
    row = await world.app.subscriptions.get(target)
    assert row is None or not row.subscribed
    iid = await world.discord.inject_button(stored, "/subscribe", user_id=world.discord.admin_id)
    await world.discord.wait_replied(iid)
    assert "Subscribed" in world.discord.replies(iid)[0]["content"]
    row = await world.app.subscriptions.get(target)
    assert row is not None and row.subscribed


async def test_a_channel_override_that_denies_manage_channels_is_respected(world: World) -> None:
    """The member's permissions in this channel decide, not their server-wide roles."""
    target = Target("discord", str(world.discord.text_channel_id))
    in_channel = EVERYONE_PERMISSIONS  # a channel overwrite removed Manage Channels here
    refused = await command(
        world, "subscribe", user_id=world.discord.admin_id, permissions=in_channel
    )
    assert "admins" in refused[0]["content"]
    row = await world.app.subscriptions.get(target)
    assert row is None or not row.subscribed


async def test_subscribe_a_forum_from_a_text_channel(world: World) -> None:
    """Nobody can type a command in a forum: an admin names it with the channel option."""
    fake = world.discord
    forum, here = fake.forum_channel_id, fake.text_channel_id
    option = next(o for o in fake.global_commands if o["name"] == "subscribe")["options"][0]
    assert option["name"] == "channel" and option["type"] == 7 and not option["required"]
    assert {0, 15, 11} <= set(option["channel_types"]) and 2 not in option["channel_types"]

    replies = await command(world, "subscribe", {"channel": forum}, user_id=fake.admin_id)
    assert replies[0]["content"].startswith("\\#paper-forum: ") and "Subscribed" in texts(replies)
    row = await world.app.subscriptions.get(Target("discord", str(forum)))
    assert row is not None and row.subscribed and row.chat_title == "paper-forum"
    assert await world.app.subscriptions.get(Target("discord", str(here))) is None
    assert fake.sent(forum) == []  # the reply stays in the channel the command came from

    report = await world.app.delivery.tick(SATURDAY_9)
    assert len(report.delivered) == 1
    posts = fake.threads_in(forum)
    assert len(posts) == 1 and "2025-01-10" in posts[0]["name"]
    assert f"https://arxiv.org/abs/{SEED_IDS[0]}" in texts(fake.sent(int(posts[0]["id"])))


async def test_channel_option_checks_permissions_in_that_channel(world: World) -> None:
    fake = world.discord
    forum = fake.forum_channel_id
    target = Target("discord", str(forum))
    refused = await command(world, "subscribe", {"channel": forum}, user_id=fake.member_id)
    assert "admins" in refused[0]["content"] and refused[0]["flags"] & 64
    # the moderator manages the text channel but an overwrite denies it in the forum
    fake.set_overwrite(forum, fake.admin_id, member=True, deny=MANAGE_CHANNELS)
    here = await command(world, "subscribe", user_id=fake.admin_id)
    assert "Subscribed" in here[0]["content"]
    refused = await command(world, "subscribe", {"channel": forum}, user_id=fake.admin_id)
    assert "admins" in refused[0]["content"]
    row = await world.app.subscriptions.get(target)
    assert row is None or not row.subscribed
    accepted = await command(world, "subscribe", {"channel": forum}, user_id=fake.owner_id)
    assert "Subscribed" in texts(accepted)


async def test_settings_and_unsubscribe_with_the_channel_option(world: World) -> None:
    fake = world.discord
    forum, here = fake.forum_channel_id, fake.text_channel_id
    await command(world, "subscribe", user_id=fake.admin_id)
    await command(world, "subscribe", {"channel": forum}, user_id=fake.admin_id)
    changed = await command(
        world,
        "settings",
        {"key": "time", "value": "07:30", "channel": forum},
        user_id=fake.admin_id,
    )
    assert changed[0]["content"].startswith("\\#paper-forum: ") and "07:30" in changed[0]["content"]
    forum_row = await world.app.subscriptions.get(Target("discord", str(forum)))
    here_row = await world.app.subscriptions.get(Target("discord", str(here)))
    assert forum_row is not None and forum_row.post_time == "07:30"
    assert here_row is not None and here_row.post_time != "07:30"

    shown = await command(world, "settings", {"channel": forum}, user_id=fake.admin_id)
    assert "paper-forum" in texts(shown) and "07:30" in texts(shown)
    # shortcut buttons would act on the channel they are clicked in: none for another channel
    assert not [b for m in shown for row in m["components"] for b in row["components"]]

    gone = await command(world, "unsubscribe", {"channel": forum}, user_id=fake.admin_id)
    assert gone[0]["content"].startswith("\\#paper-forum: ")
    forum_row = await world.app.subscriptions.get(Target("discord", str(forum)))
    here_row = await world.app.subscriptions.get(Target("discord", str(here)))
    assert forum_row is not None and not forum_row.subscribed
    assert here_row is not None and here_row.subscribed


async def test_channel_option_with_a_thread_escapes_its_name(world: World) -> None:
    fake = world.discord
    thread = fake.add_channel(
        fake.guild_id, "**bold** <@123>", 11, parent_id=fake.text_channel_id
    )  # never announced to the bot: found through its parent, like an archived thread
    replies = await command(world, "subscribe", {"channel": thread}, user_id=fake.admin_id)
    content = replies[0]["content"]
    assert content.startswith("\\#\\*\\*bold\\*\\* <\u200b@123\\>: "), content
    row = await world.app.subscriptions.get(Target("discord", str(thread)))
    assert row is not None and row.subscribed
    with pytest.raises(ValueError, match="cannot be picked"):
        await fake.inject_command("subscribe", {"channel": 42}, user_id=fake.admin_id)


async def test_rating_buttons_count_every_members_vote_privately(world: World) -> None:
    replies = await command(world, "paper", {"arxiv_id": SEED_IDS[0]})
    message = next(m for m in replies if m["components"])
    ids = [b.get("custom_id") for row in message["components"] for b in row["components"]]
    assert f"/like {SEED_IDS[0]}" in ids and f"/dislike {SEED_IDS[0]}" in ids
    stored = world.discord._by_id[int(message["id"])]
    for user in (world.discord.member_id, world.discord.admin_id):
        iid = await world.discord.inject_button(stored, f"/like {SEED_IDS[0]}", user_id=user)
        await world.discord.wait_replied(iid)
        answer = world.discord.replies(iid)[0]
        assert answer["content"].startswith("👍 Noted: “Search-o1")
        assert answer["flags"] & 64  # ephemeral: only the presser sees it
    target = Target("discord", str(world.discord.text_channel_id))
    assert await world.app.commands.ranking.ratings.profile(target) == {SEED_IDS[0]: 2}
    shown = await command(world, "ratings")
    assert "👍×2 Search-o1" in shown[0]["content"]


async def test_discord_py_honours_the_channel_bucket_and_the_fake_announces_it(
    world: World,
) -> None:
    """The fake answers like Discord (X-RateLimit-* on every message, 5 per 5 s per channel);
    discord.py reads the headers and waits, so eight posts in a row draw no 429."""
    channel = world.discord.text_channel_id
    target = Target("discord", str(channel))
    reply = Reply(title="Bucket", text="one line")
    [post] = world.adapter.publisher.render(reply)
    for _ in range(8):
        await world.adapter.publisher.send(target, post)
    posts = world.discord.messages[channel]
    assert len(posts) == 8 and world.discord.too_many == 0
    arrivals = [m["_at"] for m in posts]
    assert max_in_window(arrivals, 4.9) <= 5  # the sixth waited for the bucket to reset


async def test_paper_is_deferred_while_it_may_wait_for_a_summary(world: World) -> None:
    replies = await command(world, "paper", {"arxiv_id": SEED_IDS[0]})
    interaction = world.discord.interactions[max(world.discord.interactions)]
    assert interaction.callback_type == 5  # "thinking…" while the summary is made
    assert f"https://arxiv.org/abs/{SEED_IDS[0]}" in texts(replies)
    assert SORRY not in texts(replies)
