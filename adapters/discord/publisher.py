"""The morning post's way into Discord: text channels, threads and forum channels.

A forum channel gets one post (thread) per day: the first message of a delivery opens it, the
later ones go into it. The post is found again by its name (the day's title) among the forum's
active threads, so a delivery resumed after a restart does not open a second post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord

from adapters.discord.render import DiscordMessage, render_reply
from adapters.discord.send import message_kwargs
from bot.cards import clean_text
from bot.domain import Reply, Target
from bot.i18n import t
from bot.metrics import Metrics
from bot.ports import ChatUnreachable, DeliveryError, PlatformDown, ThreadGone

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100
UNREACHABLE = {50001: "Missing Access", 50013: "Missing Permissions", 10003: "Unknown Channel"}


@dataclass(frozen=True)
class DiscordPost(DiscordMessage):
    """A rendered message that knows the name of the day's forum post it belongs to."""

    post_title: str = "Daily Papers"


def post_title(reply: Reply) -> str:
    title = clean_text(reply.title) or (f"Daily Papers {reply.day}" if reply.day else "")
    return (title or "Daily Papers")[:THREAD_NAME_LIMIT]


class DiscordPublisher:
    """bot.ports.Publisher for Discord."""

    platform = "discord"

    def __init__(
        self, client: discord.Client, metrics: Metrics | None = None, *, language: str = "en"
    ) -> None:
        self.client = client
        self.metrics = metrics or Metrics()
        self.language = language  # of the deactivation notice (the bot's default language)
        self._posts: dict[tuple[int, str], int] = {}  # (forum id, post title) -> thread id
        self._guild_of: dict[int, int] = {}  # channel id -> guild id, for deactivation notices
        self._told: set[str] = set()

    def render(self, reply: Reply) -> list[DiscordPost]:
        title = post_title(reply)
        return [
            DiscordPost(m.content, m.embeds, m.buttons, post_title=title)
            for m in render_reply(reply)
        ]

    def remember_guild(self, channel_id: int, guild_id: int) -> None:
        self._guild_of[channel_id] = guild_id

    async def send(self, target: Target, message: Any) -> str:
        try:
            message_id = await self._send(target, message)
        except DeliveryError:
            self.metrics.messages_failed.labels(self.platform).inc()
            raise
        self.metrics.messages_sent.labels(self.platform).inc()
        return message_id

    async def notify_operator(self, user_id: str, text: str) -> None:
        """An operator alert by DM: the DM channel is opened through the REST API
        (POST /users/@me/channels); the text is sent literally (markdown escaped)."""
        try:
            channel = await self.client.create_dm(discord.Object(id=int(user_id)))
            await channel.send(content=discord.utils.escape_markdown(text))
        except discord.HTTPException:
            self.metrics.messages_failed.labels(self.platform).inc()
            raise
        self.metrics.messages_sent.labels(self.platform).inc()

    async def _send(self, target: Target, message: Any) -> str:
        channel_id = int(target.thread_id or target.chat_id)
        try:
            channel = await self._channel(channel_id)
            if isinstance(channel, discord.ForumChannel):
                sent = await self._send_forum(channel, message)
            elif isinstance(channel, discord.abc.Messageable):
                sent = await channel.send(**message_kwargs(message))
            else:
                raise ChatUnreachable(f"channel {channel_id} cannot receive messages")
        except (discord.Forbidden, discord.NotFound) as exc:
            if target.thread_id and exc.code == 10003:
                raise ThreadGone(f"thread {target.thread_id}: {exc.text}") from exc
            raise ChatUnreachable(
                f"{exc.status} {exc.code} {exc.text or UNREACHABLE.get(exc.code)}"
            ) from exc
        except discord.HTTPException as exc:
            if exc.status >= 500 or exc.status == 429:  # Discord's trouble, not the channel's
                raise PlatformDown(f"{exc.status} {exc.code} {exc.text}") from exc
            raise DeliveryError(f"{exc.status} {exc.code} {exc.text}") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise PlatformDown(f"Discord could not be reached: {exc}") from exc
        return str(sent.id)

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        guild = getattr(channel, "guild", None)
        if guild is not None:
            self._guild_of[channel_id] = guild.id
        return channel

    def _find_post(self, forum: discord.ForumChannel, title: str) -> discord.Thread | None:
        me = self.client.user.id if self.client.user else None
        known = self._posts.get((forum.id, title))
        for thread in forum.threads:
            if thread.id == known or (thread.name == title and thread.owner_id == me):
                return thread
        if known is not None:
            return forum.guild.get_thread(known)
        return None

    async def _send_forum(self, forum: discord.ForumChannel, message: Any) -> discord.Message:
        title = getattr(message, "post_title", None) or "Daily Papers"
        post = self._find_post(forum, title)
        if post is not None:
            try:
                return await post.send(**message_kwargs(message))
            except discord.NotFound:  # the post was deleted: open a new one
                self._posts.pop((forum.id, title), None)
        created = await forum.create_thread(name=title, **message_kwargs(message))
        self._posts[(forum.id, title)] = created.thread.id
        return created.message

    async def on_deactivated(self, target: Target) -> None:
        """Tell the server once: in its system channel, else by DM to its owner (best effort)."""
        if target.chat_id in self._told:
            return
        self._told.add(target.chat_id)
        guild_id = self._guild_of.get(int(target.chat_id))
        guild = self.client.get_guild(guild_id) if guild_id else None
        if guild is None:
            log.info("discord channel %s deactivated; its server is unknown", target.chat_id)
            return
        text = t("deactivated_notice", self.language, channel=f"<#{target.chat_id}>")
        system = guild.system_channel
        if system is not None and system.id != int(target.chat_id):
            try:
                await system.send(text)
                return
            except discord.HTTPException as exc:
                log.info("system channel of %s refused the notice: %s", guild.id, exc)
        if guild.owner_id is None:
            return
        try:
            owner = guild.owner or await self.client.fetch_user(guild.owner_id)
            await owner.send(
                t("deactivated_notice_dm", self.language, notice=text, server=guild.name)
            )
        except discord.HTTPException as exc:
            log.info("could not DM the owner of %s: %s", guild.id, exc)
