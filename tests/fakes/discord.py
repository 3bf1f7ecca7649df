"""A fake Discord (REST API v10 + gateway) on 127.0.0.1 for end-to-end tests through discord.py.

It answers like Discord does: snowflake ids, Discord's JSON error bodies and status codes, message
and embed limits, interaction acknowledgement rules, 429s with the headers discord.py needs. Tests
inject INTERACTION_CREATE events and read back every message per channel.

Standalone demo: ``python -m tests.fakes.discord --port 8768`` then ``POST /_inject`` with
``{"command": "today", "options": {}}`` and ``GET /_sent``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from adapters.discord.render import validate_discord_message
from tests.fakes.discord_validate import THREAD_NAME_MAX, is_empty, message_errors

TOKEN = "fake-discord-token"
APP_ID = 1300000000000000001
BOT_ID = APP_ID
GUILDS_INTENT = 1 << 0
GUILD_MEMBERS_INTENT = 1 << 1

# permission bits (https://discord.com/developers/docs/topics/permissions)
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_HISTORY = 1 << 16
USE_APP_COMMANDS = 1 << 31
SEND_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 50) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_HISTORY | USE_APP_COMMANDS | SEND_IN_THREADS
)

TEXT, DM, FORUM, PUBLIC_THREAD = 0, 1, 15, 11
CHANNEL_OPTION = 7  # application command option type
INTERACTION_WINDOW = 3.0  # seconds to acknowledge an interaction


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly "application/json"
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return _json(body, status)


def _perm_string(value: Any) -> str | None:
    """Discord stores permission bit sets as decimal strings, whatever the request sent."""
    return None if value is None else str(int(value))


def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


@dataclass
class FakeInteraction:
    id: int
    token: str
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    callback_type: int | None = None
    original_id: int | None = None
    loading: bool = False
    followups: list[int] = field(default_factory=list)
    autocomplete: list[dict[str, Any]] | None = None
    responded: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    times: int | None  # None: until cleared


class FakeDiscord:
    """One bot and one guild (ids as attributes); REST under /api/v10, the gateway at /gw/."""

    def __init__(self, *, token: str = TOKEN, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self.host = host
        self.port = port
        self._ids = itertools.count(1300000000000001000)
        self.app_id = APP_ID
        self.bot_user = _user(BOT_ID, "DailyPapers", bot=True)
        self.channels: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[int, dict[str, Any]]] = {}  # guild -> user -> member
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel -> messages, in order
        self._by_id: dict[int, dict[str, Any]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_puts: list[str] = []  # "global" or guild id, one per sync
        self.interactions: dict[int, FakeInteraction] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every REST call
        self.identify_payloads: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        self._failures: dict[int, _Failure] = {}
        self._rate_limits: list[tuple[str, float]] = []  # (path substring, retry_after)
        # Discord's limits on POST /channels/{id}/messages: a bucket per channel (5 per 5 s)
        # announced in X-RateLimit-* headers on every answer, and the global 50 requests a second
        self.channel_bucket: tuple[int, float] | None = (5, 5.0)
        self.global_per_second: int | None = 50
        self.too_many = 0  # 429s given by those two limits
        self._channel_buckets: dict[int, tuple[float, int]] = {}  # channel -> (reset at, used)
        self._global_window: deque[float] = deque()
        self.rate_limited: list[str] = []
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._nonces: dict[tuple[int, str], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self._setup_default_guild()

    # ------------------------------------------------------------------ world
    def next_id(self) -> int:
        return next(self._ids)

    def _setup_default_guild(self) -> None:
        self.guild_id = self.next_id()
        self.owner_id = self.next_id()
        self.admin_id = self.next_id()
        self.member_id = self.next_id()
        self.mod_role_id = self.next_id()
        self.users = {
            self.owner_id: _user(self.owner_id, "owner"),
            self.admin_id: _user(self.admin_id, "moderator"),
            self.member_id: _user(self.member_id, "reader"),
            BOT_ID: self.bot_user,
        }
        self.system_channel_id = self.next_id()
        self.guilds[self.guild_id] = {
            "id": str(self.guild_id),
            "name": "Paper Readers",
            "owner_id": str(self.owner_id),
            "system_channel_id": str(self.system_channel_id),
            "roles": [
                self._role(self.guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
                self._role(self.mod_role_id, "Mods", EVERYONE_PERMISSIONS | MANAGE_CHANNELS, 1),
            ],
        }
        self.members[self.guild_id] = {}
        self.add_member(self.guild_id, BOT_ID, [])
        self.add_member(self.guild_id, self.owner_id, [])
        self.add_member(self.guild_id, self.admin_id, [self.mod_role_id])
        self.add_member(self.guild_id, self.member_id, [])
        self.add_channel(self.guild_id, "general", TEXT, channel_id=self.system_channel_id)
        self.text_channel_id = self.add_channel(self.guild_id, "papers", TEXT)
        self.forum_channel_id = self.add_channel(self.guild_id, "paper-forum", FORUM)
        self.thread_id = self.add_channel(
            self.guild_id, "reading-group", PUBLIC_THREAD, parent_id=self.text_channel_id
        )
        self.dm_channels: dict[int, int] = {}  # user -> DM channel

    @staticmethod
    def _role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def add_member(self, guild_id: int, user_id: int, roles: list[int]) -> None:
        self.members[guild_id][user_id] = {
            "user": self.users[user_id],
            "nick": None,
            "avatar": None,
            "roles": [str(r) for r in roles],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def add_channel(
        self,
        guild_id: int,
        name: str,
        type_: int = TEXT,
        *,
        parent_id: int | None = None,
        channel_id: int | None = None,
    ) -> int:
        cid = channel_id or self.next_id()
        data: dict[str, Any] = {
            "id": str(cid),
            "type": type_,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "parent_id": str(parent_id) if parent_id else None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "topic": None,
        }
        if type_ == FORUM:
            data.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
                default_auto_archive_duration=1440,
            )
        if type_ == PUBLIC_THREAD:
            data.update(
                owner_id=str(self.owner_id),
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _now_iso(),
                    "locked": False,
                    "create_timestamp": _now_iso(),
                },
            )
        self.channels[cid] = data
        self.messages.setdefault(cid, [])
        return cid

    def permissions_of(self, guild_id: int, user_id: int) -> int:
        """A member's guild permissions, as Discord computes them (owner and admin get all)."""
        guild = self.guilds[guild_id]
        if int(guild["owner_id"]) == user_id:
            return ALL_PERMISSIONS
        roles = {int(r["id"]): int(r["permissions"]) for r in guild["roles"]}
        perms = roles[guild_id]
        for role in self.members[guild_id][user_id]["roles"]:
            perms |= roles[int(role)]
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def set_overwrite(
        self, channel_id: int, target_id: int, *, member: bool, allow: int = 0, deny: int = 0
    ) -> None:
        """A channel permission overwrite for a role (``member=False``) or one member."""
        overwrites = self.channels[channel_id]["permission_overwrites"]
        overwrites[:] = [o for o in overwrites if o["id"] != str(target_id)]
        overwrites.append(
            {"id": str(target_id), "type": int(member), "allow": str(allow), "deny": str(deny)}
        )

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a channel: Discord's order of overwrites (@everyone, roles,
        the member); a thread has its parent's; owner and administrators get everything."""
        channel = self.channels[channel_id]
        if channel["type"] == PUBLIC_THREAD and channel.get("parent_id"):
            channel = self.channels[int(channel["parent_id"])]
        guild_id = int(channel["guild_id"])
        perms = self.permissions_of(guild_id, user_id)
        if perms == ALL_PERMISSIONS:
            return perms
        overwrites = {o["id"]: o for o in channel.get("permission_overwrites", [])}
        everyone = overwrites.get(str(guild_id))
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        roles = [overwrites[r] for r in self.members[guild_id][user_id]["roles"] if r in overwrites]
        allow = deny = 0
        for overwrite in roles:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
        perms = (perms & ~deny) | allow
        mine = overwrites.get(str(user_id))
        if mine and mine["type"] == 1:
            perms = (perms & ~int(mine["deny"])) | int(mine["allow"])
        return perms

    # ------------------------------------------------------------- failures
    def fail_channel(
        self, channel_id: int, status: int = 403, code: int = 50013, times: int | None = None
    ) -> None:
        """Refuse sends to a channel: 403 50013 Missing Permissions / 50001 Missing Access."""
        message = {50013: "Missing Permissions", 50001: "Missing Access"}.get(code, "Forbidden")
        self._failures[channel_id] = _Failure(status, code, message, times)

    def clear_failures(self) -> None:
        self._failures.clear()

    def rate_limit(self, path_contains: str, retry_after: float = 0.05) -> None:
        """The next request whose path contains the string gets one 429 (with ``Via``)."""
        self._rate_limits.append((path_contains, retry_after))

    async def delete_channel(self, channel_id: int, *, notify: bool = True) -> None:
        """Deletes a channel; with ``notify`` the gateway sends CHANNEL_DELETE like Discord."""
        data = self.channels.pop(channel_id)
        if notify:
            event = "THREAD_DELETE" if data["type"] == PUBLIC_THREAD else "CHANNEL_DELETE"
            await self.dispatch(event, data)

    # ----------------------------------------------------------- assertions
    def sent(self, channel_id: int) -> list[dict[str, Any]]:
        """Every message in a channel (sent by the bot or by interactions), in order."""
        return list(self.messages.get(channel_id, []))

    def threads_in(self, forum_id: int) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c.get("parent_id") == str(forum_id)]

    def replies(self, interaction_id: int) -> list[dict[str, Any]]:
        """The original response (after edits) and follow-ups of one interaction."""
        inter = self.interactions[interaction_id]
        ids = ([inter.original_id] if inter.original_id else []) + inter.followups
        return [self._by_id[i] for i in ids]

    async def wait_replied(
        self, interaction_id: int, *, count: int = 1, within: float = 10
    ) -> None:
        """Waits until an interaction has ``count`` finished messages (not 'thinking')."""
        inter = self.interactions[interaction_id]
        deadline = time.monotonic() + within
        while True:
            done = [m for m in self.replies(interaction_id) if not m.get("_loading")]
            if len(done) >= count or inter.autocomplete is not None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"interaction {interaction_id}: {len(done)} replies, not {count}"
                )
            inter.responded.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inter.responded.wait(), 0.2)

    # ------------------------------------------------------------ injection
    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        for cmd in self.guild_commands.get(guild_id or 0, []):
            if cmd["name"] == name:
                return cmd
        for cmd in self.global_commands:
            if cmd["name"] == name:
                return cmd
        raise KeyError(f"/{name} was never registered (synced) with the fake Discord")

    def _options(
        self,
        command: dict[str, Any],
        values: dict[str, Any],
        guild_id: int | None = None,
        user_id: int | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The options as Discord sends them; channel options (type 7) carry the channel's id
        as ``value`` and the channel itself in ``resolved["channels"]``."""
        declared = {o["name"]: o for o in command.get("options", [])}
        out = []
        for name, value in values.items():
            option = declared.get(name)
            if option is None:
                raise KeyError(f"/{command['name']} has no option {name!r}")
            choices = [c["value"] for c in option.get("choices", [])]
            if choices and value not in choices:
                raise ValueError(f"{value!r} is not a choice of {name}: {choices}")
            if option["type"] == CHANNEL_OPTION:
                channel = self._resolved_channel(option, int(value), guild_id, user_id)
                if resolved is not None:
                    resolved.setdefault("channels", {})[channel["id"]] = channel
                value = channel["id"]
            out.append({"name": name, "type": option["type"], "value": value})
        missing = [
            o["name"] for o in declared.values() if o.get("required") and o["name"] not in values
        ]
        if missing:
            raise ValueError(f"/{command['name']}: required options missing: {missing}")
        return out

    def _resolved_channel(
        self, option: dict[str, Any], channel_id: int, guild_id: int | None, user_id: int | None
    ) -> dict[str, Any]:
        """What Discord puts in ``data.resolved.channels``: the channel (a thread with its
        metadata and parent) plus the invoking member's permissions in it. Discord's picker
        offers only channels of this server and of the option's ``channel_types``."""
        channel = self.channels.get(channel_id)
        if channel is None or guild_id is None or channel.get("guild_id") != str(guild_id):
            raise ValueError(f"channel {channel_id} cannot be picked from this server")
        allowed = option.get("channel_types")
        if allowed and channel["type"] not in allowed:
            raise ValueError(f"channel type {channel['type']} is not one of {allowed}")
        keys = [
            "id",
            "type",
            "guild_id",
            "name",
            "parent_id",
            "position",
            "nsfw",
            "flags",
            "rate_limit_per_user",
            "last_message_id",
            "topic",
            "thread_metadata",
            "owner_id",
            "message_count",
            "member_count",
            "total_message_sent",
        ]
        data = {k: channel[k] for k in keys if k in channel}
        data["permissions"] = str(self.permissions_in(channel_id, user_id or self.member_id))
        return data

    def _base_interaction(
        self,
        type_: int,
        data: dict[str, Any],
        channel_id: int,
        user_id: int,
        dm: bool,
        permissions: int | None,
    ) -> FakeInteraction:
        iid = self.next_id()
        token = f"aW50ZXJhY3Rpb246{iid}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": type_,
            "data": data,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(EVERYONE_PERMISSIONS),
        }
        guild_id: int | None = None
        if dm:
            cid = self._dm_channel(user_id)
            payload.update(
                channel_id=str(cid),
                channel=self.channels[cid],
                user=self.users[user_id],
                context=1,
                authorizing_integration_owners={"1": str(user_id)},
            )
            channel_id = cid
        else:
            channel = self.channels[channel_id]
            guild_id = int(channel["guild_id"])
            perms = self.permissions_in(channel_id, user_id) if permissions is None else permissions
            member = {**self.members[guild_id][user_id], "permissions": str(perms)}
            payload.update(
                guild_id=str(guild_id),
                guild_locale="en-US",
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                channel_id=str(channel_id),
                channel=channel,
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild_id)},
            )
        inter = FakeInteraction(iid, token, channel_id, guild_id, payload)
        self.interactions[iid] = inter
        return inter

    async def inject_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: int | None = None,
        user_id: int | None = None,
        dm: bool = False,
        permissions: int | None = None,
        focused: str | None = None,
    ) -> int:
        """Sends INTERACTION_CREATE for a slash command (or its autocomplete when ``focused``)."""
        channel_id = channel_id or self.text_channel_id
        user_id = user_id or self.member_id
        guild_id = None if dm else int(self.channels[channel_id]["guild_id"])
        command = self._find_command(name, guild_id)
        resolved: dict[str, Any] = {}
        opts = (
            self._options(command, options or {}, guild_id, user_id, resolved)
            if focused is None
            else [
                {"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
                for k, v in (options or {}).items()
            ]
        )
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        type_ = 4 if focused else 2
        inter = self._base_interaction(type_, data, channel_id, user_id, dm, permissions)
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.id

    async def inject_button(
        self, message: dict[str, Any], custom_id: str, *, user_id: int | None = None
    ) -> int:
        """Sends INTERACTION_CREATE for a click on a button of a message the bot sent."""
        buttons = [c for row in message.get("components", []) for c in row.get("components", [])]
        if custom_id not in [b.get("custom_id") for b in buttons]:
            raise KeyError(f"no button with custom_id {custom_id!r} on that message")
        channel_id = int(message["channel_id"])
        dm = self.channels[channel_id]["type"] == DM
        data = {"custom_id": custom_id, "component_type": 2}
        user = user_id or (int(message["_dm_user"]) if dm else self.member_id)
        inter = self._base_interaction(3, data, channel_id, user, dm, None)
        inter.payload["message"] = self._public(message)
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.id

    def _dm_channel(self, user_id: int) -> int:
        if user_id not in self.dm_channels:
            cid = self.next_id()
            self.channels[cid] = {
                "id": str(cid),
                "type": DM,
                "last_message_id": None,
                "recipients": [self.users[user_id]],
                "flags": 0,
            }
            self.messages[cid] = []
            self.dm_channels[user_id] = cid
        return self.dm_channels[user_id]

    # ------------------------------------------------------------- gateway
    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        for ws, seq in list(self._sockets):
            if ws.closed:
                continue
            seq[0] += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq[0], "d": data}))

    def _guild_create(self, guild_id: int, intents: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        # without the privileged GUILD_MEMBERS intent Discord sends only the bot's own member
        members = list(self.members[guild_id].values())
        if not intents & GUILD_MEMBERS_INTENT:
            members = [m for m in members if m["user"]["id"] == self.bot_user["id"]]
        chans = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        return {
            **guild,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "emojis": [],
            "stickers": [],
            "afk_timeout": 300,
            "afk_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members[guild_id]),
            "members": members,
            "channels": [c for c in chans if c["type"] != PUBLIC_THREAD],
            "threads": [c for c in chans if c["type"] == PUBLIC_THREAD],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "premium_progress_bar_enabled": False,
            "lazy": True,
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        seq = [0]
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            op = payload.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                if payload["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self.identify_payloads.append(payload["d"])
                self._sockets.append((ws, seq))
                await self._send_ready(ws, seq, request, payload["d"])
            elif op == 6:  # RESUME: we keep no session history, so ask for a fresh IDENTIFY
                await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
        self._sockets = [(w, s) for w, s in self._sockets if w is not ws]
        return ws

    async def _send_ready(
        self,
        ws: web.WebSocketResponse,
        seq: list[int],
        request: web.Request,
        identify: dict[str, Any],
    ) -> None:
        async def send(event: str, data: dict[str, Any]) -> None:
            seq[0] += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq[0], "d": data}))

        ready: dict[str, Any] = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": f"session{self.next_id()}",
            "resume_gateway_url": f"ws://{request.host}/gw/",
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        await send("READY", ready)
        intents = int(identify.get("intents", 0))
        if intents & GUILDS_INTENT:
            for guild_id in self.guilds:
                await send("GUILD_CREATE", self._guild_create(guild_id, intents))
        self.ready.set()

    # ---------------------------------------------------------------- REST
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if path.startswith("/api/v10/"):
            self.requests.append((request.method, path[len("/api/v10") :]))
            for i, (needle, retry_after) in enumerate(self._rate_limits):
                if needle in path:
                    del self._rate_limits[i]
                    self.rate_limited.append(path)
                    return _json(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": retry_after,
                            "global": False,
                        },
                        429,
                        {
                            "Retry-After": str(max(1, round(retry_after))),
                            "X-RateLimit-Limit": "5",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                            "X-RateLimit-Bucket": "fakebucket",
                            "X-RateLimit-Scope": "user",
                            "Via": "1.1 google",
                        },
                    )
            needs_bot_auth = not path.startswith(("/api/v10/webhooks/", "/api/v10/interactions/"))
            if needs_bot_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return _error(401, 0, "401: Unauthorized")
        return await handler(request)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            return json.loads(str(form.get("payload_json") or "{}"))
        if not request.can_read_body:
            return {}
        return await request.json()

    def _message(
        self, channel_id: int, payload: dict[str, Any], *, author: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        mid = self.next_id()
        msg = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": author or self.bot_user,
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(payload.get("flags") or 0),
        }
        if "allowed_mentions" in payload:  # not echoed by Discord: kept for assertions
            msg["_allowed_mentions"] = payload["allowed_mentions"]
        channel = self.channels.get(channel_id, {})
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        if channel.get("type") == DM:
            msg["_dm_user"] = channel["recipients"][0]["id"]
        self.messages.setdefault(channel_id, []).append(msg)
        self._by_id[mid] = msg
        if channel:
            channel["last_message_id"] = str(mid)
        return msg

    @staticmethod
    def _public(msg: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _invalid(self, payload: dict[str, Any]) -> web.Response | None:
        errors = message_errors(payload)
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        if is_empty(payload):
            return _error(400, 50006, "Cannot send an empty message")
        try:  # the renderer's own check too (it counts UTF-16 units: stricter, never looser)
            validate_discord_message(payload)
        except ValueError as exc:
            return _error(
                400,
                50035,
                "Invalid Form Body",
                {"_errors": [{"code": "BASE_TYPE_INVALID", "message": str(exc)}]},
            )
        return None

    def _channel_or_error(self, channel_id: int) -> dict[str, Any] | web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        failure = self._failures.get(channel_id)
        if failure:
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[channel_id]
            return _error(failure.status, failure.code, failure.message)
        return channel

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user"]))
        if user is None:
            return _error(404, 10013, "Unknown User")
        return _json(user)

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.app_id),
                "name": "DailyPapers",
                "icon": None,
                "description": "Hugging Face Daily Papers",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": self.users[self.owner_id],
                "team": None,
                "bot": self.bot_user,
                "rpc_origins": [],
                "approximate_guild_count": len(self.guilds),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": f"ws://{request.host}/gw"})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": f"ws://{request.host}/gw",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def _store_commands(
        self, body: list[dict[str, Any]], guild_id: int | None
    ) -> list[dict[str, Any]]:
        stored = []
        for cmd in body:
            item = {
                "id": str(self.next_id()),
                "application_id": str(self.app_id),
                "version": str(self.next_id()),
                "type": cmd.get("type", 1),
                "name": cmd["name"],
                "description": cmd.get("description", ""),
                "options": cmd.get("options", []),
                "default_member_permissions": _perm_string(cmd.get("default_member_permissions")),
                "dm_permission": cmd.get("dm_permission", True),
                "contexts": cmd.get("contexts"),
                "integration_types": cmd.get("integration_types", [0]),
                "nsfw": cmd.get("nsfw", False),
                "name_localizations": cmd.get("name_localizations"),
                "description_localizations": cmd.get("description_localizations"),
            }
            if guild_id:
                item["guild_id"] = str(guild_id)
            stored.append(item)
        return stored

    @staticmethod
    def _command_errors(body: Any) -> dict[str, Any] | None:
        if not isinstance(body, list) or len(body) > 100:
            return {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer."}]
            }
        errors: dict[str, Any] = {}
        for i, cmd in enumerate(body):
            desc = cmd.get("description", "")
            if cmd.get("type", 1) == 1 and not 1 <= len(desc) <= 100:
                errors[str(i)] = {
                    "description": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_BAD_LENGTH",
                                "message": "Must be between 1 and 100 in length.",
                            }
                        ]
                    }
                }
            options = cmd.get("options", [])
            if len(options) > 25:
                errors[str(i)] = {
                    "options": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": "Must be 25 or fewer in length.",
                            }
                        ]
                    }
                }
            for j, opt in enumerate(options):
                if (
                    len(opt.get("choices", [])) > 25
                    or not 1 <= len(opt.get("description", "")) <= 100
                ):
                    errors.setdefault(str(i), {}).setdefault("options", {})[str(j)] = {
                        "_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Invalid option."}]
                    }
        return errors or None

    async def _put_global_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        errors = self._command_errors(body)
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        self.global_commands = self._store_commands(body, None)
        self.command_puts.append("global")
        return _json(self.global_commands)

    async def _put_guild_commands(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild"])
        if guild_id not in self.guilds:
            return _error(403, 50001, "Missing Access")
        body = await request.json()
        errors = self._command_errors(body)
        if errors:
            return _error(400, 50035, "Invalid Form Body", errors)
        self.guild_commands[guild_id] = self._store_commands(body, guild_id)
        self.command_puts.append(str(guild_id))
        return _json(self.guild_commands[guild_id])

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        return _json(channel)

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        channel = self._channel_or_error(channel_id)
        if isinstance(channel, web.Response):
            return channel
        if channel["type"] == FORUM:
            return _error(400, 50008, "Cannot send messages in a non-text channel")
        payload = await self._body(request)
        invalid = self._invalid(payload)
        if invalid:
            return invalid
        headers, refused = self._route_limit(channel_id)
        if refused is not None:
            return refused
        nonce = payload.get("nonce")
        if nonce and payload.get("enforce_nonce") and (channel_id, str(nonce)) in self._nonces:
            return _json(self._public(self._nonces[(channel_id, str(nonce))]), headers=headers)
        msg = self._message(channel_id, payload)
        msg["_at"] = time.monotonic()  # arrival, for window checks in tests and the bench
        if nonce:
            msg["nonce"] = str(nonce)
            self._nonces[(channel_id, str(nonce))] = msg
        return _json(self._public(msg), headers=headers)

    def _route_limit(self, channel_id: int) -> tuple[dict[str, str], web.Response | None]:
        """Discord's per-channel bucket and global limit for creating messages."""
        now = time.monotonic()
        if self.global_per_second is not None:
            while self._global_window and now - self._global_window[0] >= 1.0:
                self._global_window.popleft()
            if len(self._global_window) >= self.global_per_second:
                retry = max(1.0 - (now - self._global_window[0]), 0.001)
                self.too_many += 1
                body = {"message": "You are being rate limited.", "global": True}
                body["retry_after"] = retry
                return {}, _json(
                    body,
                    429,
                    {
                        "Retry-After": str(max(1, math.ceil(retry))),
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                        "Via": "1.1 google",
                    },
                )
        if self.channel_bucket is None:
            self._global_window.append(now)
            return {}, None
        limit, period = self.channel_bucket
        reset_at, used = self._channel_buckets.get(channel_id, (now + period, 0))
        if now >= reset_at:
            reset_at, used = now + period, 0
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Reset": f"{time.time() + (reset_at - now):.3f}",
            "X-RateLimit-Reset-After": f"{reset_at - now:.3f}",
            "X-RateLimit-Bucket": "channel-messages",
        }
        if used >= limit:
            self.too_many += 1
            retry = reset_at - now
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Scope": "user",
                    "Retry-After": str(max(1, math.ceil(retry))),
                    "Via": "1.1 google",
                }
            )
            body = {"message": "You are being rate limited.", "retry_after": retry, "global": False}
            return {}, _json(body, 429, headers)
        self._channel_buckets[channel_id] = (reset_at, used + 1)
        self._global_window.append(now)
        headers["X-RateLimit-Remaining"] = str(limit - used - 1)
        return headers, None

    async def _post_thread(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        channel = self._channel_or_error(channel_id)
        if isinstance(channel, web.Response):
            return channel
        payload = await self._body(request)
        name = str(payload.get("name") or "")
        if not 1 <= len(name) <= THREAD_NAME_MAX:
            return _error(
                400,
                50035,
                "Invalid Form Body",
                {
                    "name": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_BAD_LENGTH",
                                "message": "Must be between 1 and 100 in length.",
                            }
                        ]
                    }
                },
            )
        if channel["type"] != FORUM:
            return _error(400, 50024, "Cannot execute action on this channel type")
        message = payload.get("message") or {}
        invalid = self._invalid(message)
        if invalid:
            return invalid
        guild_id = int(channel["guild_id"])
        thread_id = self.add_channel(guild_id, name, PUBLIC_THREAD, parent_id=channel_id)
        thread = self.channels[thread_id]
        thread["owner_id"] = str(BOT_ID)
        # a forum post's starter message has the thread's id
        msg = self._message(thread_id, message)
        self._by_id.pop(int(msg["id"]))
        msg["id"] = str(thread_id)
        self._by_id[thread_id] = msg
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json({**thread, "message": self._public(msg)}, 201)

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = int(body["recipient_id"])
        if user_id not in self.users:
            return _error(400, 50035, "Invalid Form Body")
        return _json(self.channels[self._dm_channel(user_id)])

    # -------------------------------------------------------- interactions
    def _interaction(self, request: web.Request) -> FakeInteraction | web.Response:
        inter = self.interactions.get(int(request.match_info["id"]))
        if inter is None or inter.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        return inter

    async def _callback(self, request: web.Request) -> web.Response:
        inter = self._interaction(request)
        if isinstance(inter, web.Response):
            return inter
        if inter.callback_type is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created > INTERACTION_WINDOW:
            return _error(404, 10062, "Unknown interaction")
        body = await request.json()
        type_ = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": type_}
        if type_ == 4:
            invalid = self._invalid(data)
            if invalid:
                return invalid
            msg = self._message(inter.channel_id, data)
            inter.original_id = int(msg["id"])
            resource["message"] = self._public(msg)
        elif type_ == 5:
            msg = self._message(inter.channel_id, {"flags": 128 | int(data.get("flags") or 0)})
            msg["_loading"] = True
            inter.original_id = int(msg["id"])
            inter.loading = True
        elif type_ == 8:
            choices = data.get("choices", [])
            if len(choices) > 25:
                return _error(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "choices": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_MAX_LENGTH",
                                    "message": "Must be 25 or fewer in length.",
                                }
                            ]
                        }
                    },
                )
            inter.autocomplete = choices
        elif type_ in (6, 7):
            if "message" not in inter.payload:
                return _error(400, 50035, "Invalid Form Body")
            if type_ == 7:
                original = self._by_id[int(inter.payload["message"]["id"])]
                original.update(
                    {k: v for k, v in data.items() if k in ("content", "embeds", "components")}
                )
        else:
            return _error(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_CHOICES",
                                "message": "Value must be one of {4, 5, 6, 7, 8}.",
                            }
                        ]
                    }
                },
            )
        inter.callback_type = type_
        inter.responded.set()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return _json(
            {
                "interaction": {
                    "id": str(inter.id),
                    "type": inter.payload["type"],
                    "response_message_id": str(inter.original_id) if inter.original_id else None,
                    "response_message_loading": type_ == 5,
                    "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
                },
                "resource": resource,
            }
        )

    def _webhook(self, request: web.Request) -> FakeInteraction | web.Response:
        if int(request.match_info["app"]) != self.app_id:
            return _error(404, 10015, "Unknown Webhook")
        for inter in self.interactions.values():
            if inter.token == request.match_info["token"]:
                if inter.callback_type is None:
                    return _error(404, 10015, "Unknown Webhook")
                return inter
        return _error(404, 10015, "Unknown Webhook")

    async def _followup(self, request: web.Request) -> web.Response:
        inter = self._webhook(request)
        if isinstance(inter, web.Response):
            return inter
        payload = await self._body(request)
        invalid = self._invalid(payload)
        if invalid:
            return invalid
        if inter.loading and inter.original_id:
            # Discord: the first follow-up after a deferral fills the "thinking" message
            msg = self._edit(inter.original_id, payload)
            inter.loading = False
        else:
            msg = self._message(inter.channel_id, payload)
            inter.followups.append(int(msg["id"]))
        inter.responded.set()
        return _json(self._public(msg))

    def _edit(self, message_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        msg = self._by_id[message_id]
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] or ([] if key != "content" else "")
        if "allowed_mentions" in payload:
            msg["_allowed_mentions"] = payload["allowed_mentions"]
        msg["flags"] = int(msg.get("flags", 0)) & ~128
        msg["edited_timestamp"] = _now_iso()
        msg.pop("_loading", None)
        return msg

    async def _original(self, request: web.Request) -> web.Response:
        inter = self._webhook(request)
        if isinstance(inter, web.Response):
            return inter
        if inter.original_id is None:
            return _error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return _json(self._public(self._by_id[inter.original_id]))
        if request.method == "DELETE":
            self._by_id[inter.original_id]["_deleted"] = True
            return web.Response(status=204)
        payload = await self._body(request)
        merged = {**self._public(self._by_id[inter.original_id]), **payload}
        invalid = self._invalid(merged)
        if invalid:
            return invalid
        msg = self._edit(inter.original_id, payload)
        inter.loading = False
        inter.responded.set()
        return _json(self._public(msg))

    # --------------------------------------------------------- demo routes
    async def _demo_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            return await self._demo_inject_checked(body)
        except (KeyError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)

    async def _demo_inject_checked(self, body: dict[str, Any]) -> web.Response:
        if "custom_id" in body:
            message = self._by_id[int(body["message_id"])]
            iid = await self.inject_button(message, body["custom_id"])
        else:
            iid = await self.inject_command(
                body["command"],
                body.get("options") or {},
                channel_id=int(body.get("channel_id") or self.text_channel_id),
                user_id=int(body.get("user_id") or self.admin_id),
            )
        return _json({"interaction_id": str(iid)})

    async def _demo_sent(self, request: web.Request) -> web.Response:
        return _json(
            {
                str(cid): [self._public(m) for m in msgs]
                for cid, msgs in self.messages.items()
                if msgs
            }
        )

    # ------------------------------------------------------------ lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        api = "/api/v10"
        r.add_get(f"{api}/users/@me", self._get_me)
        r.add_post(f"{api}/users/@me/channels", self._create_dm)
        r.add_get(f"{api}/users/{{user}}", self._get_user)
        r.add_get(f"{api}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{api}/gateway", self._get_gateway)
        r.add_get(f"{api}/gateway/bot", self._get_gateway_bot)
        r.add_put(f"{api}/applications/{{app}}/commands", self._put_global_commands)
        r.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._put_guild_commands)
        r.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        r.add_post(f"{api}/channels/{{channel}}/messages", self._post_message)
        r.add_post(f"{api}/channels/{{channel}}/threads", self._post_thread)
        r.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        original = f"{api}/webhooks/{{app}}/{{token}}/messages/@original"
        r.add_route("GET", original, self._original)
        r.add_route("PATCH", original, self._original)
        r.add_route("DELETE", original, self._original)
        r.add_get("/gw/", self._gateway)
        r.add_get("/gw", self._gateway)
        r.add_post("/_inject", self._demo_inject)
        r.add_get("/_sent", self._demo_sent)
        return app

    async def start(self) -> str:
        """Starts the server; returns the REST base URL (``.../api/v10``)."""
        self._runner = web.AppRunner(self.make_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        return self.api_base_url

    @property
    def api_base_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gw/"

    async def stop(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()


async def _serve(port: int) -> None:
    fake = FakeDiscord(port=port)
    await fake.start()
    print(f"fake Discord: DISCORD_API_BASE_URL={fake.api_base_url}")
    print(f"              DISCORD_GATEWAY_URL={fake.gateway_url} DISCORD_BOT_TOKEN={fake.token}")
    print(f"              text channel {fake.text_channel_id}, forum {fake.forum_channel_id}")
    print("POST /_inject {'command': 'today', 'options': {}} · GET /_sent")
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
