"""The Discord adapter: discord.py's Client and CommandTree in front of the core.

Slash commands and button clicks become ``ChatContext`` + ``Commands.run``/``handle_text``; the
reply is rendered by ``adapters.discord.render`` and sent as the interaction's response and
follow-ups. Nothing here decides what to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.app_commands import AppCommandChannel, AppCommandThread

from adapters.discord.commands import SUBSCRIBABLE, Picked, register_commands
from adapters.discord.publisher import DiscordPublisher
from adapters.discord.render import DiscordMessage, render_reply
from adapters.discord.send import command_of, message_kwargs
from bot.app import App
from bot.commands import ChatContext, parse_command
from bot.domain import Reply
from bot.i18n import t

log = logging.getLogger(__name__)

# commands that may fetch from Hugging Face: acknowledge at once, answer with follow-ups
SLOW_COMMANDS = frozenset({"today", "date", "top", "search", "paper", "foryou"})
SORRY = t("discord_sorry", "en")


def is_admin(perms: discord.Permissions) -> bool:
    return perms.administrator or perms.manage_channels or perms.manage_guild


def is_channel_admin(interaction: discord.Interaction) -> bool:
    """Manage Channels or Manage Server in this channel (Discord resolves Administrator and
    the channel's overwrites into ``interaction.permissions``; server-wide roles do not count
    where an overwrite denies them)."""
    return is_admin(interaction.permissions)


def chat_context(interaction: discord.Interaction, channel: Picked | None = None) -> ChatContext:
    """A thread is its own channel in Discord, so ``thread_id`` stays None. With a picked
    ``channel`` (checked by ``picked_channel_problem``) the context is that channel, and the
    admin check uses the member's permissions there, as Discord resolved them."""
    picked = channel if isinstance(channel, AppCommandChannel | AppCommandThread) else None

    async def check_admin() -> bool:
        return is_admin(picked.permissions) if picked else is_channel_admin(interaction)

    return ChatContext(
        platform="discord",
        chat_id=str(picked.id if picked else interaction.channel_id),
        thread_id=None,
        user_id=str(interaction.user.id),
        chat_type="group" if interaction.guild_id else "private",
        chat_title=picked.name if picked else getattr(interaction.channel, "name", None),
        check_admin=check_admin,
    )


def picked_channel_problem(interaction: discord.Interaction, channel: Picked) -> str | None:
    """Why a channel picked in a command cannot be used (a catalogue key), or None. Discord
    offers only this server's channels of the right types; this checks again against the
    client's cache."""
    guild = interaction.guild
    if guild is None:
        return "discord_channel_server_only"
    if not isinstance(channel, AppCommandChannel | AppCommandThread):
        return "discord_channel_unresolved"
    if channel.type not in SUBSCRIBABLE:
        return "discord_channel_type"
    home = channel.parent_id if isinstance(channel, AppCommandThread) else channel.id
    if guild.get_channel(home) is None:
        return "discord_channel_missing"
    return None


def about_channel(reply: Reply, interaction: discord.Interaction, channel: Picked) -> Reply:
    """The core's answer names no channel: say which one (the renderer escapes the name).
    Command buttons would act on the channel they are clicked in, so they go."""
    name = f"#{getattr(channel, 'name', channel.id)}"
    if reply.title:
        reply = dataclasses.replace(reply, title=f"{name} · {reply.title}")
    else:
        reply = dataclasses.replace(reply, text=f"{name}: {reply.text}")
    if channel.id != interaction.channel_id:
        reply = dataclasses.replace(reply, buttons=tuple(b for b in reply.buttons if b.url))
    return reply


# The bot never joins voice: don't warn users about the voice libraries it doesn't need.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class DailyPapersClient(discord.Client):
    """A plain Client (guilds intent only) with the command tree synced once at login."""

    def __init__(self, app: App, *, guild_ready_timeout: float = 2.0) -> None:
        super().__init__(
            intents=discord.Intents(guilds=True),
            guild_ready_timeout=guild_ready_timeout,
            # escaping already defuses mentions; this makes Discord itself ping nobody
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=self._trace(app),
        )
        self.app = app
        self.down_since: datetime | None = None
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self._on_tree_error)
        descriptions = dict(app.commands.describe(app.settings.default_language))
        register_commands(self.tree, self.run_command, descriptions)
        self.publisher = DiscordPublisher(self, app.metrics, language=app.settings.default_language)

    @staticmethod
    def _trace(app: App) -> aiohttp.TraceConfig:
        """Count Discord's 429s (discord.py waits and retries them on its own)."""

        async def on_request_end(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            if params.response.status == 429:
                app.metrics.rate_limited.labels("discord").inc()

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(on_request_end)
        return trace

    # connectivity: the gateway says when it drops and when it is back
    async def on_disconnect(self) -> None:
        if self.down_since is None:
            self.down_since = datetime.now(UTC)

    async def on_ready(self) -> None:
        self.down_since = None

    async def on_resumed(self) -> None:
        self.down_since = None

    async def setup_hook(self) -> None:
        guild_id = self.app.settings.discord_guild_id
        try:
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
            log.info(
                "synced %d slash commands%s",
                len(synced),
                f" to guild {guild_id}" if guild_id else "",
            )
        except discord.HTTPException:
            log.exception("could not sync slash commands; the registered ones stay in place")

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.publisher.remember_guild(channel.id, channel.guild.id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons whose custom_id is a core command line ("/paper 2501.05366")."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        command = command_of(custom_id)
        if command is None:
            return
        ctx = chat_context(interaction)
        parsed = parse_command(command)
        try:
            # like slash commands: only slow ones are deferred, so a refused settings change
            # is answered at once and privately (ephemeral), not in a public "thinking" message
            if parsed is None or parsed[0] in SLOW_COMMANDS:
                await interaction.response.defer(thinking=True)
            reply = await self.app.commands.handle_text(command, ctx)
            await self.respond(interaction, reply or Reply(text="?", is_error=True))
        except Exception as exc:
            log.exception("button %r failed", custom_id)
            self.app.commands.alert_exception("a Discord button", exc)
            await self._apologise(interaction)

    async def run_command(
        self,
        interaction: discord.Interaction,
        name: str,
        args: str,
        channel: Picked | None = None,
    ) -> None:
        ctx = chat_context(interaction, channel)
        try:
            if name in SLOW_COMMANDS:
                await interaction.response.defer(thinking=True)
            if channel is None:
                reply = await self.app.commands.run(name, args, ctx)
            elif problem := picked_channel_problem(interaction, channel):
                language = await self.app.commands.language_of(ctx)
                reply = Reply(text=t(problem, language), is_error=True)
            else:
                reply = await self.app.commands.run(name, args, ctx)
                reply = about_channel(reply, interaction, channel)
            await self.respond(interaction, reply)
        except Exception as exc:
            log.exception("/%s %r failed", name, args)
            self.app.commands.alert_exception(f"Discord /{name}", exc)
            await self._apologise(interaction)

    async def respond(self, interaction: discord.Interaction, reply: Reply) -> None:
        """The first message answers the interaction; the rest are follow-ups, in order."""
        messages = render_reply(reply) or [DiscordMessage(content="✅")]
        for message in messages:
            kwargs = message_kwargs(message)
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    **kwargs, ephemeral=reply.is_error or reply.private
                )
            else:
                await interaction.followup.send(**kwargs, wait=True)
            self.app.metrics.messages_sent.labels("discord").inc()

    async def _apologise(self, interaction: discord.Interaction) -> None:
        with contextlib.suppress(discord.HTTPException):
            sorry = t("discord_sorry", self.app.settings.default_language)
            if interaction.response.is_done():
                await interaction.followup.send(sorry, ephemeral=True)
            else:
                await interaction.response.send_message(sorry, ephemeral=True)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("slash command failed: %r", error, exc_info=error)
        self.app.commands.alert_exception("a Discord slash command", error)
        await self._apologise(interaction)


class DiscordAdapter:
    """Started by ``dailypapers run`` when DISCORD_BOT_TOKEN is set."""

    needs_leader = True  # one gateway session per token: the instance holding the lease

    def __init__(
        self, app: App, *, ready_timeout: float = 60.0, guild_ready_timeout: float = 2.0
    ) -> None:
        self.app = app
        self.ready_timeout = ready_timeout
        self.client = DailyPapersClient(app, guild_ready_timeout=guild_ready_timeout)
        self.publisher = self.client.publisher
        self._task: asyncio.Task[None] | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    def _point_at_endpoints(self) -> None:
        settings = self.app.settings
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)

    async def start(self) -> None:
        """Log in and open the gateway: a bot that is the only instance."""
        await self.connect()
        await self.start_receiving()

    async def connect(self) -> None:
        """Log in over REST (commands synced in setup_hook): enough to send, not to receive."""
        token = self.app.settings.discord_bot_token
        if not token:
            raise RuntimeError("DISCORD_BOT_TOKEN is not set")
        self._point_at_endpoints()
        try:
            await self.client.login(token)
        except BaseException:
            await self.client.close()
            raise

    async def start_receiving(self) -> None:
        """Open the gateway (this instance now holds the Discord lease) and wait for READY."""
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.create_task(self.client.connect(), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            ready.cancel()
            await self.client.close()
            self._task.result()  # raises why the gateway stopped (bad intents, token...)
            raise RuntimeError("the Discord gateway closed during start-up")
        if ready not in done:
            ready.cancel()
            log.warning("Discord not ready after %.0fs; continuing to connect", self.ready_timeout)
        else:
            user: Any = self.client.user
            log.info("Discord ready as %s in %d servers", user, len(self.client.guilds))

    async def stop_receiving(self) -> None:
        """Close the gateway session (the lease went elsewhere); REST sends still work."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        ws: Any = getattr(self.client, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(code=1000)
        log.info("Discord: gateway closed (standing by)")

    async def stop(self) -> None:
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    # ------------------------------------------------------------------ connectivity

    def connected(self) -> bool:
        """With the gateway (the lease holder): ready and not dropped. A standby instance only
        sends over REST: logged in is connected."""
        client = self.client
        if client.is_closed() or client.user is None:
            return False
        if self._task is None:
            return True
        return client.is_ready() and client.down_since is None

    def down_since(self) -> datetime | None:
        return self.client.down_since

    async def probe(self) -> None:
        """discord.py reconnects by itself; on_ready/on_resumed clear ``down_since``."""
