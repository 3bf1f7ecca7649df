"""The fake Discord, checked against the real discord.py (so adapter tests can trust it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord import app_commands

from tests.fakes.discord import FORUM, FakeDiscord


class _Client(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.seen: list[str] = []

        @self.tree.command(name="echo", description="Echo a text")
        @app_commands.describe(text="what to say")
        async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
            self.seen.append(text)
            await interaction.response.send_message(text * times)

        @self.tree.command(name="slow", description="Defers, then follows up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done")
            await interaction.followup.send("and more")

    async def setup_hook(self) -> None:
        await self.tree.sync()


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    base = await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[_Client]:
    bot = _Client()
    await bot.login(fake.token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 5)
    yield bot
    await bot.close()
    await asyncio.wait_for(task, 5)


async def test_login_sync_and_guild_cache(fake: FakeDiscord, client: _Client) -> None:
    assert (
        client.user is not None and str(client.user.id) == fake.bot_user["id"] and client.user.bot
    )
    assert client.application_id == fake.app_id
    assert [c["name"] for c in fake.global_commands] == ["echo", "slow"]
    guild = client.get_guild(fake.guild_id)
    assert guild is not None and guild.owner_id == fake.owner_id
    assert isinstance(guild.get_channel(fake.forum_channel_id), discord.ForumChannel)
    assert isinstance(guild.get_channel(fake.text_channel_id), discord.TextChannel)
    assert isinstance(guild.get_thread(fake.thread_id), discord.Thread)
    assert guild.system_channel is not None and guild.system_channel.id == fake.system_channel_id
    assert fake.identify_payloads[0]["intents"] == discord.Intents(guilds=True).value


async def test_bad_token_is_refused(fake: FakeDiscord) -> None:
    bot = discord.Client(intents=discord.Intents(guilds=True))
    with pytest.raises(discord.LoginFailure):
        await bot.login("wrong")
    await bot.close()


async def test_slash_command_reply_and_typed_options(fake: FakeDiscord, client: _Client) -> None:
    iid = await fake.inject_command("echo", {"text": "hi", "times": 2})
    await fake.wait_replied(iid)
    assert [m["content"] for m in fake.replies(iid)] == ["hihi"]
    assert fake.sent(fake.text_channel_id)[-1]["content"] == "hihi"
    with pytest.raises(ValueError, match="required"):
        await fake.inject_command("echo", {})
    with pytest.raises(KeyError):
        await fake.inject_command("nope")


async def test_defer_then_followups(fake: FakeDiscord, client: _Client) -> None:
    iid = await fake.inject_command("slow")
    await fake.wait_replied(iid, count=2)
    assert [m["content"] for m in fake.replies(iid)] == ["done", "and more"]
    assert fake.interactions[iid].callback_type == 5


async def test_embed_limits_are_enforced(fake: FakeDiscord, client: _Client) -> None:
    channel = client.get_channel(fake.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send(embed=discord.Embed(title="x" * 257))
    assert err.value.status == 400 and err.value.code == 50035
    assert "embeds.0.title" in str(err.value)
    big = [discord.Embed(description="y" * 4000) for _ in range(2)]
    with pytest.raises(discord.HTTPException, match="6000"):
        await channel.send(embeds=big)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("z" * 2001)
    assert "content" in str(err.value)
    fields = discord.Embed(title="ok")
    for i in range(26):
        fields.add_field(name=f"f{i}", value="v")
    with pytest.raises(discord.HTTPException, match="fields"):
        await channel.send(embed=fields)
    msg = await channel.send(embed=discord.Embed(title="fine", description="ok"))
    assert fake.sent(fake.text_channel_id)[-1]["id"] == str(msg.id)


async def test_errors_map_to_discord_exceptions(fake: FakeDiscord, client: _Client) -> None:
    fake.fail_channel(fake.text_channel_id, 403, 50013, times=1)
    channel = client.get_channel(fake.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("hello")
    assert forbidden.value.code == 50013
    await channel.send("hello again")  # the failure was for one request only
    await fake.delete_channel(fake.text_channel_id, notify=False)
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("anyone?")
    assert missing.value.code == 10003
    forum = client.get_channel(fake.forum_channel_id)
    assert isinstance(forum, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as wrong:
        await client.http.send_message(forum.id, params=_params("hi"))
    assert wrong.value.code == 50008


def _params(content: str) -> Any:
    from discord.http import handle_message_parameters

    with handle_message_parameters(content=content) as params:
        return params


async def test_rate_limit_is_retried_by_discord_py(fake: FakeDiscord, client: _Client) -> None:
    fake.rate_limit(f"/channels/{fake.text_channel_id}/messages", retry_after=0.01)
    channel = client.get_channel(fake.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after the 429")
    assert fake.rate_limited and fake.sent(fake.text_channel_id)[-1]["content"] == "after the 429"


async def test_forum_post_creates_thread_with_starter_message(
    fake: FakeDiscord, client: _Client
) -> None:
    forum = client.get_channel(fake.forum_channel_id)
    assert isinstance(forum, discord.ForumChannel) and forum.type.value == FORUM
    post = await forum.create_thread(name="Daily Papers 2025-01-10", embed=discord.Embed(title="t"))
    assert post.thread.parent_id == forum.id
    await post.thread.send("second part")
    threads = fake.threads_in(fake.forum_channel_id)
    assert [t["name"] for t in threads] == ["Daily Papers 2025-01-10"]
    sent = fake.sent(int(threads[0]["id"]))
    assert [m["embeds"][0]["title"] if m["embeds"] else m["content"] for m in sent] == [
        "t",
        "second part",
    ]


async def test_late_callback_is_unknown_interaction(fake: FakeDiscord, client: _Client) -> None:
    iid = await fake.inject_command("echo", {"text": "late"})
    await fake.wait_replied(iid)
    fake.interactions[iid].callback_type = None
    fake.interactions[iid].created -= 10
    with pytest.raises(discord.NotFound) as err:
        await client.http.request(
            discord.http.Route(
                "POST", "/interactions/{i}/{t}/callback", i=iid, t=fake.interactions[iid].token
            ),
            json={"type": 4, "data": {"content": "too late"}},
        )
    assert err.value.code == 10062


async def test_button_interaction_reaches_on_interaction(
    fake: FakeDiscord, client: _Client
) -> None:
    got: asyncio.Queue[str] = asyncio.Queue()

    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await got.put(str((interaction.data or {}).get("custom_id")))
            await interaction.response.send_message("clicked")

    client.event(on_interaction)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="More", custom_id="more:1"))
    view.add_item(discord.ui.Button(label="arXiv", url="https://arxiv.org/abs/2501.05366"))
    channel = client.get_channel(fake.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("pick", view=view)
    message = fake.sent(fake.text_channel_id)[-1]
    iid = await fake.inject_button(message, "more:1")
    assert await asyncio.wait_for(got.get(), 5) == "more:1"
    await fake.wait_replied(iid)
    assert fake.replies(iid)[0]["content"] == "clicked"
