"""A fake Telegram Bot API on 127.0.0.1 that answers like the real one.

It speaks ``POST /bot{token}/{method}`` with form-encoded, JSON or multipart bodies, returns the
real envelopes with the real HTTP statuses, validates what Telegram validates (HTML entities,
lengths in UTF-16 units, callback_data size, unknown chats), enforces the flood limits (more than
30 messages in any one-second window overall — 1,000 with ``allow_paid_broadcast`` — or more than
20 in any 60 seconds to one group or channel answers 429 with ``retry_after``; about one a second
per chat) and has programmable chat states (blocked, kicked, migrated, forum topics, admins).
Every accepted message is recorded with its arrival time (``SentMessage.at``), every 429 counted
(``too_many``), for assertions and the benchmark; helpers inject updates for long polling.

Standalone: ``python -m tests.fakes.telegram --port 8767`` then ``POST /_inject`` with
``{"chat_id": 1, "text": "/today"}`` (or a whole update under ``"update"``), ``GET /_sent``,
and ``POST /_block`` with ``{"chat_id": 1}`` to block (private) or kick (group) the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from adapters.telegram.render import validate_telegram_html

DEFAULT_TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot", the sender of anonymous admins

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

# fields Telegram reads as JSON when a form body carries them as text
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "entities",
    "caption_entities",
    "allowed_updates",
    "link_preview_options",
    "scope",
    "reply_parameters",
}
_INT_FIELDS = {"message_thread_id", "offset", "limit", "timeout", "user_id", "message_id"}
_BOOL_FIELDS = {
    "disable_web_page_preview",
    "disable_notification",
    "protect_content",
    "drop_pending_updates",
    "show_alert",
    "allow_sending_without_reply",
    "allow_paid_broadcast",
}


def utf16_len(text: str) -> int:
    """Telegram measures lengths in UTF-16 code units (an emoji can count 2)."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- HTML entities


class EntityError(ValueError):
    """Telegram's "can't parse entities" with its explanation."""


_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]*);")
_START_TAG = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)/?$", re.S)
_ATTR = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int]:
    match = _ENTITY.match(text, index)
    if not match:
        raise EntityError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}"
        )
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        value = chr(int(body[2:], 16))
    elif body.startswith("#"):
        value = chr(int(body[1:]))
    elif body in _NAMED_ENTITIES:
        value = _NAMED_ENTITIES[body]
    else:
        raise EntityError(
            f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(text, index)}'
        )
    return value, match.end()


def _decode_attr(value: str) -> str:
    if value[:1] in {'"', "'"}:
        value = value[1:-1]
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            char, i = _decode_entity(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str) -> str:
    """Parse Telegram HTML the strict way and return the plain text it shows.

    Raises EntityError with a Telegram-like explanation for anything Telegram refuses:
    unsupported tags (``<br>``, ``<p>``), unescaped ``<``/``>``/``&``, bad nesting, unclosed tags.
    """
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            end = text.find(">", i)
            if end == -1:
                raise EntityError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
            inner = text[i + 1 : end]
            offset = _byte_offset(text, i)
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityError(f'Unexpected end tag "{name}" at byte offset {offset}')
                if stack[-1] != name:
                    raise EntityError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                match = _START_TAG.match(inner)
                if not match:
                    raise EntityError(f"Unsupported start tag at byte offset {offset}")
                name = match.group(1).lower()
                if name not in _ALLOWED_TAGS:
                    raise EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
                attrs = {
                    key.lower(): _decode_attr(value) if value else ""
                    for key, value in _ATTR.findall(match.group(2) or "")
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                    )
                if name == "a" and "href" in attrs and not _valid_url(attrs["href"]):
                    raise EntityError(f'Wrong URL "{attrs["href"]}" at byte offset {offset}')
                if (
                    stack
                    and stack[-1] in {"code", "pre"}
                    and not (stack[-1] == "pre" and name == "code")
                ):
                    raise EntityError(
                        f'Tag "{name}" can\'t be nested in "{stack[-1]}" at byte offset {offset}'
                    )
                stack.append(name)
            i = end + 1
        elif char == ">":
            raise EntityError(
                f"Character '>' is reserved and must be escaped at byte offset "
                f"{_byte_offset(text, i)}"
            )
        elif char == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _valid_url(url: str) -> bool:
    return bool(re.match(r"^(https?|tg)://[^\s]+$", url))


# --------------------------------------------------------------------------- state


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class FakeChat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    topics: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    creator: int | None = None
    blocked: bool = False  # private chat: the user blocked the bot
    kicked: bool = False  # group/channel: the bot was removed
    migrated_to: int | None = None  # group upgraded to a supergroup with this id

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.username is not None:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    @property
    def is_group(self) -> bool:
        return self.type in {"group", "supergroup"}


@dataclass
class SentMessage:
    """One message the bot sent (or edited), as Telegram stored it."""

    method: str
    chat_id: int
    message_id: int
    thread_id: int | None
    text: str | None  # raw text (sendMessage / editMessageText)
    caption: str | None  # raw caption (sendPhoto)
    photo: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    disable_preview: bool
    plain: str  # what the user sees after entity parsing
    at: float = 0.0  # when the fake accepted it (its clock, monotonic by default)
    paid_broadcast: bool = False  # sent with allow_paid_broadcast

    @property
    def body(self) -> str:
        """The raw text or caption, whichever the message has."""
        return self.text if self.text is not None else (self.caption or "")

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


class ApiError(Exception):
    """An error answer: HTTP status, description and optional response parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(description: str, parameters: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {description}", parameters)


@dataclass
class _Failure:
    method: str
    error: ApiError
    chat_id: int | None
    times: int
    after: int = 0


class FakeTelegram:
    """The fake server and its state. ``await start()`` returns the base URL PTB needs."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "dailypapers_test_bot",
        *,
        clock: Callable[[], float] = time.monotonic,
        private_burst: int = 20,
        group_per_minute: int = 20,
        per_second: int | None = 30,
        paid_per_second: int = 1000,
    ) -> None:
        self.token = token
        self.bot = FakeUser(int(token.split(":")[0]), "Daily Papers", bot_username, is_bot=True)
        self.clock = clock
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.per_second = per_second  # None: no overall limit (to measure the bot's own ceiling)
        self.paid_per_second = paid_per_second
        self.too_many: int = 0  # 429 answers given for flood limits
        self._second: deque[float] = deque()  # accepted sends in the last second (free)
        self._paid_second: deque[float] = deque()  # ... with allow_paid_broadcast
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, FakeUser] = {}
        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: list[dict[str, Any]] = []
        self.answered_callbacks: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []  # sendChatAction calls ("typing"...)
        self.webhook: dict[str, Any] | None = None
        self._updates: list[dict[str, Any]] = []
        self._poll_generation = 0  # Telegram serves one getUpdates at a time per token
        self.conflicts = 0  # getUpdates calls ended by a newer one (409 Conflict)
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(9000)
        self._open_callbacks: set[str] = set()
        self._failures: list[_Failure] = []
        self._bot_admin_in: set[int] = set()  # chats where the bot is an administrator
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, last refill)
        self._group_windows: dict[int, deque[float]] = {}
        self._changed = asyncio.Condition()
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What ApplicationBuilder().base_url() wants: the token is appended by PTB."""
        return f"http://127.0.0.1:{self.port}/bot"

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_post("/_inject", self._handle_inject)
        app.router.add_get("/_sent", self._handle_sent)
        app.router.add_post("/_block", self._handle_block)
        app.router.add_get("/_stats", self._handle_stats)
        app.router.add_get("/_wait_sent", self._handle_wait_sent)
        return app

    async def start(self, port: int = 0) -> str:
        self._closing = False
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ programming chats

    def add_user(self, user_id: int, first_name: str = "User", username: str | None = None):
        user = self.users.get(user_id) or FakeUser(user_id, first_name, username)
        self.users[user_id] = user
        return user

    def add_private_chat(self, user_id: int, first_name: str = "Alice") -> FakeChat:
        user = self.add_user(user_id, first_name)
        chat = FakeChat(user_id, "private", first_name=user.first_name, username=user.username)
        self.chats[user_id] = chat
        return chat

    def add_group(
        self,
        chat_id: int,
        title: str = "Reading group",
        *,
        supergroup: bool = False,
        forum: bool = False,
        admins: tuple[int, ...] = (),
        creator: int | None = None,
    ) -> FakeChat:
        chat = FakeChat(
            chat_id,
            "supergroup" if (supergroup or forum) else "group",
            title=title,
            is_forum=forum,
            admins=set(admins),
            creator=creator,
        )
        self.chats[chat_id] = chat
        return chat

    def add_channel(self, chat_id: int, title: str = "Papers channel") -> FakeChat:
        chat = FakeChat(chat_id, "channel", title=title)
        self.chats[chat_id] = chat
        return chat

    def add_topic(self, chat_id: int, thread_id: int) -> None:
        self.chats[chat_id].topics.add(thread_id)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        self.chats[chat_id].topics.discard(thread_id)

    def block(self, chat_id: int) -> None:
        self.chats[chat_id].blocked = True

    def kick(self, chat_id: int) -> None:
        self.chats[chat_id].kicked = True

    def migrate(self, chat_id: int, new_chat_id: int) -> FakeChat:
        """Upgrade a group to a supergroup: the old id answers with migrate_to_chat_id."""
        old = self.chats[chat_id]
        old.migrated_to = new_chat_id
        new = FakeChat(
            new_chat_id,
            "supergroup",
            title=old.title,
            admins=set(old.admins),
            creator=old.creator,
        )
        self.chats[new_chat_id] = new
        return new

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        chat_id: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make ``times`` calls of ``method`` ("*": any) to ``chat_id`` (if given) fail,
        once ``after`` matching calls have gone through."""
        error = ApiError(status, description, parameters)
        self._failures.append(_Failure(method.lower(), error, chat_id, times, after))

    # ------------------------------------------------------------------ injecting updates

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an ``update_id`` is added) for the next getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        with contextlib.suppress(RuntimeError):  # no running loop: nobody is waiting
            task = asyncio.get_running_loop().create_task(self._notify())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return update

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _incoming(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        chat = self.chats[chat_id]
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat.to_json(),
            "text": text,
        }
        if user_id is not None:
            message["from"] = self.add_user(user_id).to_json()
        if sender_chat is not None:
            message["sender_chat"] = sender_chat.to_json()
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return message

    def private_message(self, user_id: int, text: str) -> dict[str, Any]:
        if user_id not in self.chats:
            self.add_private_chat(user_id)
        return self.inject({"message": self._incoming(user_id, text, user_id=user_id)})

    def group_message(
        self, chat_id: int, user_id: int, text: str, *, thread_id: int | None = None
    ) -> dict[str, Any]:
        return self.inject(
            {"message": self._incoming(chat_id, text, user_id=user_id, thread_id=thread_id)}
        )

    def topic_message(
        self, chat_id: int, thread_id: int, user_id: int, text: str
    ) -> dict[str, Any]:
        self.chats[chat_id].topics.add(thread_id)
        return self.group_message(chat_id, user_id, text, thread_id=thread_id)

    def anonymous_admin_message(self, chat_id: int, text: str) -> dict[str, Any]:
        """A message an anonymous admin sends "as the group"."""
        chat = self.chats[chat_id]
        self.add_user(ANONYMOUS_ADMIN_ID, "Group", "GroupAnonymousBot")
        message = self._incoming(chat_id, text, user_id=ANONYMOUS_ADMIN_ID, sender_chat=chat)
        return self.inject({"message": message})

    def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        chat = self.chats[chat_id]
        message = self._incoming(chat_id, text, user_id=None, sender_chat=chat)
        return self.inject({"channel_post": message})

    def press_button(
        self, sent: SentMessage, user_id: int, *, data: str | None = None
    ) -> dict[str, Any]:
        """A user taps an inline button under ``sent`` (the first callback one by default)."""
        buttons = [b for b in sent.buttons() if "callback_data" in b]
        if data is None:
            data = buttons[0]["callback_data"]
        elif data not in {b["callback_data"] for b in buttons}:
            raise AssertionError(f"no button with callback_data {data!r} under that message")
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        message = self._message_json(sent)
        return self.inject(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.add_user(user_id).to_json(),
                    "chat_instance": f"ci{sent.chat_id}",
                    "message": message,
                    "data": data,
                }
            }
        )

    def bot_member_changed(self, chat_id: int, new_status: str, by_user: int) -> dict[str, Any]:
        """The bot's membership changes as Telegram reports it: ``my_chat_member``.

        ``new_status``: ``left`` or ``kicked`` (removed from a group or channel; ``kicked`` in a
        private chat is the user blocking the bot), ``member`` or ``administrator`` (added
        back; ``member`` in a private chat is the user unblocking it). The chat's state
        follows, so sends fail (or work) as they would.
        """
        chat = self.chats[chat_id]
        old_status = self._bot_status(chat)
        gone = new_status in {"left", "kicked"}
        if chat.type == "private":
            chat.blocked = gone
        else:
            chat.kicked = gone
        if new_status == "administrator":
            self._bot_admin_in.add(chat_id)
        else:
            self._bot_admin_in.discard(chat_id)
        return self.inject(
            {
                "my_chat_member": {
                    "chat": chat.to_json(),
                    "from": self.add_user(by_user).to_json(),
                    "date": int(time.time()),
                    "old_chat_member": self._bot_member_json(chat, old_status),
                    "new_chat_member": self._bot_member_json(chat, new_status),
                }
            }
        )

    def _bot_status(self, chat: FakeChat) -> str:
        if chat.blocked:
            return "kicked"
        if chat.kicked:
            return "left"
        return "administrator" if chat.id in self._bot_admin_in else "member"

    def _bot_member_json(self, chat: FakeChat, status: str) -> dict[str, Any]:
        """A ChatMember of the bot itself, with the fields Telegram sends for ``status``."""
        if status == "administrator":
            admin = _administrator(self.bot)
            if chat.type == "channel":
                admin.update(can_post_messages=True, can_edit_messages=True)
            return admin
        member: dict[str, Any] = {"status": status, "user": self.bot.to_json()}
        if status == "kicked":
            member["until_date"] = 0  # forever
        return member

    # ------------------------------------------------------------------ assertions

    def sent_to(self, chat_id: int, thread_id: int | object | None = ...) -> list[SentMessage]:
        return [
            m
            for m in self.sent
            if m.chat_id == chat_id and (thread_id is ... or m.thread_id == thread_id)
        ]

    def sends(self, chat_id: int | None = None) -> list[SentMessage]:
        """Accepted sendMessage/sendPhoto calls (not edits), in arrival order."""
        sends = [m for m in self.sent if m.method in {"sendMessage", "sendPhoto"}]
        return [m for m in sends if chat_id is None or m.chat_id == chat_id]

    def busiest(self, width: float, chat_id: int | None = None, *, paid: bool = False) -> int:
        """The most accepted sends in any closed window of ``width`` seconds."""
        times = [m.at for m in self.sends(chat_id) if m.paid_broadcast == paid or chat_id]
        return max_in_window(times, width)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever the fake's state changes)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_sent(
        self, count: int, *, chat_id: int | None = None, within: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent (to ``chat_id`` if given)."""

        def matching() -> list[SentMessage]:
            return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

        await self.wait_for(lambda: len(matching()) >= count, within)
        return matching()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"].lower()
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            params = await _read_params(request)
            self.calls.append((method, params))
            self._maybe_fail(method, params)
            result = await handler(params)
        except ApiError as exc:
            return _error(exc)
        finally:
            await self._notify()
        return web.json_response({"ok": True, "result": result})

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method not in {method, "*"} or failure.times <= 0:
                continue
            if (
                failure.chat_id is not None
                and _as_chat_id(params.get("chat_id")) != failure.chat_id
            ):
                continue
            if failure.after > 0:
                failure.after -= 1
                continue
            failure.times -= 1
            raise failure.error

    # ------------------------------------------------------------------ methods

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = command.get("command", "")
            description = command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url", "")
        if not str(url).startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = params
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or None

        self._poll_generation += 1
        mine = self._poll_generation
        await self._notify()  # wakes an older long poll, which then ends with 409 below

        def pending() -> list[dict[str, Any]]:
            return [
                u
                for u in self._updates
                if allowed is None or any(key in allowed for key in u if key != "update_id")
            ][:limit]

        def superseded() -> bool:
            return self._poll_generation != mine

        if not pending() and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await self.wait_for(
                    lambda: bool(pending()) or self._closing or superseded(), timeout
                )
        if superseded():
            self.conflicts += 1
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return pending()

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, thread_id = self._target(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        plain = self._parse(text, params.get("parse_mode"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if utf16_len(plain) > TEXT_LIMIT:
            raise bad_request("message is too long")
        markup = self._markup(params)
        self._rate_limit(chat, params)
        return self._record(
            "sendMessage", chat, thread_id, params, text=text, plain=plain, markup=markup
        )

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, thread_id = self._target(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo:
            raise bad_request("there is no photo in the request")
        if "://" in photo and not _valid_url(photo):
            raise bad_request("wrong HTTP URL specified")
        caption = params.get("caption") or ""
        plain = self._parse(caption, params.get("parse_mode")) if caption else ""
        if utf16_len(plain) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        markup = self._markup(params)
        self._rate_limit(chat, params)
        return self._record(
            "sendPhoto",
            chat,
            thread_id,
            params,
            caption=caption,
            photo=photo,
            plain=plain,
            markup=markup,
        )

    async def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        message_id = params.get("message_id")
        original = next(
            (m for m in self.sent if m.chat_id == chat.id and m.message_id == message_id), None
        )
        if original is None:
            raise bad_request("message to edit not found")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        plain = self._parse(text, params.get("parse_mode"))
        if utf16_len(plain) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self._markup(params)
        if plain == original.plain and markup == original.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = SentMessage(
            "editMessageText",
            chat.id,
            original.message_id,
            original.thread_id,
            text,
            None,
            None,
            params.get("parse_mode"),
            markup,
            _preview_disabled(params),
            plain,
        )
        self.sent.append(edited)
        return self._message_json(edited)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callbacks.discard(query_id)
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.answered_callbacks.append(params)
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        self._chat(params)  # 400 "chat not found" like the real API
        action = params.get("action")
        valid = {"typing", "upload_photo", "record_video", "upload_video", "record_voice"}
        valid |= {"upload_voice", "upload_document", "choose_sticker", "find_location"}
        if action not in valid | {"record_video_note", "upload_video_note"}:
            raise bad_request("Bad Request: wrong parameter action in request")
        self.chat_actions.append(params)
        return True

    async def _m_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        user = self.users.get(user_id) or FakeUser(user_id, "User")
        if chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            return {"status": "member", "user": user.to_json()}
        if user_id == chat.creator:
            return {"status": "creator", "user": user.to_json(), "is_anonymous": False}
        if user_id in chat.admins:
            return _administrator(user)
        return {"status": "member", "user": user.to_json()}

    async def _m_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        return {**chat.to_json(), "accent_color_id": 0, "max_reaction_count": 11}

    # ------------------------------------------------------------------ validation helpers

    def _chat(self, params: dict[str, Any]) -> FakeChat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = _as_chat_id(raw)
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None and isinstance(chat_id, str):
            chat = next((c for c in self.chats.values() if f"@{c.username}" == chat_id), None)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.kicked:
            if chat.type == "channel":
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _target(self, params: dict[str, Any]) -> tuple[FakeChat, int | None]:
        chat = self._chat(params)
        thread_id = params.get("message_thread_id")
        if thread_id is not None and thread_id != 0:
            if not isinstance(thread_id, int) or thread_id not in chat.topics:
                raise bad_request("message thread not found")
            return chat, thread_id
        return chat, None

    def _parse(self, text: str, parse_mode: Any) -> str:
        if parse_mode is None:
            return text
        if str(parse_mode).upper() != "HTML":
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        try:
            plain = parse_html(text)
            # the renderer's own validator must agree: a message either refuses fails here
            validate_telegram_html(text, limit=sys.maxsize, allow_empty=True)
        except (EntityError, ValueError) as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
        return plain

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= CALLBACK_DATA_LIMIT:
                        raise bad_request("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not _valid_url(str(button["url"])):
                        raise bad_request("BUTTON_URL_INVALID")
                else:
                    raise bad_request("BUTTON_TYPE_INVALID")
        return markup

    def _rate_limit(self, chat: FakeChat, params: dict[str, Any]) -> None:
        """Telegram's flood limits; a send is counted only when every limit lets it through."""
        now = self.clock()
        paid = bool(params.get("allow_paid_broadcast"))
        overall, limit = (
            (self._paid_second, self.paid_per_second) if paid else (self._second, self.per_second)
        )
        while overall and now - overall[0] > 1.0:  # closed window: [now - 1 s, now]
            overall.popleft()
        if limit is not None and len(overall) >= limit:
            self._too_many(max(1, math.ceil(1.0 - (now - overall[0]))))
        window: deque[float] | None = None
        if chat.type in {"group", "supergroup", "channel"}:
            window = self._group_windows.setdefault(chat.id, deque())
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= self.group_per_minute:
                self._too_many(max(1, math.ceil(60 - (now - window[0]))))
        # every chat: about one message per second sustained, with a small burst allowance
        tokens, last = self._buckets.get(chat.id, (float(self.private_burst), now))
        tokens = min(float(self.private_burst), tokens + (now - last))
        if tokens < 1:
            self._buckets[chat.id] = (tokens, now)
            self._too_many(max(1, math.ceil(1 - tokens)))
        self._buckets[chat.id] = (tokens - 1, now)
        overall.append(now)
        if window is not None:
            window.append(now)

    def _too_many(self, wait: int) -> None:
        self.too_many += 1
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _record(
        self,
        method: str,
        chat: FakeChat,
        thread_id: int | None,
        params: dict[str, Any],
        *,
        plain: str,
        markup: dict[str, Any] | None,
        text: str | None = None,
        caption: str | None = None,
        photo: str | None = None,
    ) -> dict[str, Any]:
        message = SentMessage(
            method,
            chat.id,
            self._next_message_id(chat.id),
            thread_id,
            text,
            caption,
            photo,
            params.get("parse_mode"),
            markup,
            _preview_disabled(params),
            plain,
            at=self.clock(),
            paid_broadcast=bool(params.get("allow_paid_broadcast")),
        )
        self.sent.append(message)
        return self._message_json(message)

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat.to_json(),
        }
        if chat.type == "channel":
            data["sender_chat"] = chat.to_json()
        else:
            data["from"] = self.bot.to_json()
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        if message.photo is not None:
            data["photo"] = [
                {"file_id": "AgAD-photo", "file_unique_id": "AQAD", "width": 1200, "height": 648}
            ]
            if message.plain:
                data["caption"] = message.plain
        else:
            data["text"] = message.plain
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    # ------------------------------------------------------------------ manual demo endpoints

    async def _handle_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "update" in body:
            update = self.inject(body["update"])
        else:
            chat_id = int(body["chat_id"])
            user_id = int(body.get("user_id", chat_id))
            if chat_id not in self.chats:
                if chat_id > 0:
                    self.add_private_chat(chat_id)
                else:
                    self.add_group(chat_id, admins=(user_id,))
            chat = self.chats[chat_id]
            if chat.type == "channel":
                update = self.channel_post(chat_id, body["text"])
            else:
                update = self.group_message(
                    chat_id, user_id, body["text"], thread_id=body.get("thread_id")
                )
        return web.json_response({"ok": True, "result": update, "at": self.clock()})

    async def _handle_stats(self, request: web.Request) -> web.Response:
        """Counts for the benchmark: sends accepted, 429s given, the fake's clock."""
        return web.json_response(
            {"sent": len(self.sends()), "too_many": self.too_many, "now": self.clock()}
        )

    async def _handle_wait_sent(self, request: web.Request) -> web.Response:
        """``?chat_id=N&count=K&within=S``: answers with those messages once K have arrived."""
        query = request.query
        chat_id = int(query["chat_id"]) if "chat_id" in query else None
        try:
            sent = await self.wait_sent(
                int(query.get("count", 1)), chat_id=chat_id, within=float(query.get("within", 30))
            )
        except TimeoutError:
            return web.json_response({"ok": False, "description": "timed out"}, status=504)
        return web.json_response({"ok": True, "result": [asdict(m) for m in sent]})

    async def _handle_block(self, request: web.Request) -> web.Response:
        """``{"chat_id": N}``: the user blocks the bot (private) or kicks it (group)."""
        chat_id = int((await request.json())["chat_id"])
        if chat_id not in self.chats:
            return web.json_response({"ok": False, "description": "no such chat"}, status=404)
        if chat_id > 0:
            self.block(chat_id)
        else:
            self.kick(chat_id)
        return web.json_response({"ok": True})

    async def _handle_sent(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(m) for m in self.sent])


# --------------------------------------------------------------------------- helpers


def max_in_window(times: list[float], width: float) -> int:
    """The most of ``times`` that fit in one closed window ``[t, t + width]``."""
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > width:
            start += 1
        best = max(best, end - start + 1)
    return best


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": exc.status,
        "description": exc.description,
    }
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


def _administrator(user: FakeUser) -> dict[str, Any]:
    flags = [
        "can_be_edited",
        "is_anonymous",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_pin_messages",
        "can_manage_topics",
    ]
    answer: dict[str, Any] = {"status": "administrator", "user": user.to_json()}
    answer.update({flag: flag not in {"can_be_edited", "is_anonymous"} for flag in flags})
    return answer


def _as_chat_id(raw: Any) -> int | str | None:
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _preview_disabled(params: dict[str, Any]) -> bool:
    options = params.get("link_preview_options")
    if isinstance(options, dict) and options.get("is_disabled"):
        return True
    return bool(params.get("disable_web_page_preview"))


def _coerce(name: str, value: str) -> Any:
    """Read one form field the way Telegram does: JSON for objects, numbers for ids."""
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise bad_request(f"can't parse {name} JSON object") from exc
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError as exc:
            raise bad_request(f"invalid {name} specified") from exc
    if name in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    if name == "chat_id":
        return _as_chat_id(value)
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {key: _coerce(key, value) for key, value in request.query.items()}
    if request.method != "POST" or not request.can_read_body:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise bad_request("can't parse JSON") from exc
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.name is None:
                continue
            if part.filename:  # type: ignore[union-attr]
                await part.read()  # type: ignore[union-attr]
                params[part.name] = f"attach://{part.filename}"  # type: ignore[union-attr]
            else:
                params[part.name] = _coerce(part.name, await part.text())  # type: ignore[union-attr]
    else:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = _coerce(key, value)
    return params


def main() -> None:
    """Run the fake standalone for a manual demo (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--private", default="", help="START:COUNT private chats (benchmark)")
    parser.add_argument("--groups", default="", help="START:COUNT groups, ids -START-i")
    parser.add_argument("--unlimited", action="store_true", help="no flood limits at all")
    parser.add_argument("--readers", type=int, default=0, help="private chats 1002, 1003, ...")
    args = parser.parse_args()

    async def serve() -> None:
        fake = FakeTelegram(args.token)
        if args.unlimited:
            fake.per_second = None
            fake.group_per_minute = sys.maxsize
            fake.private_burst = sys.maxsize
        if args.private:
            start, count = (int(v) for v in args.private.split(":"))
            for chat_id in range(start, start + count):
                fake.add_private_chat(chat_id, f"User {chat_id}")
        if args.groups:
            start, count = (int(v) for v in args.groups.split(":"))
            for i in range(count):
                fake.add_group(-(start + i), f"Group {i}")
        fake.add_private_chat(1001, "Alice")
        fake.add_group(-1002, "Reading group", admins=(1001,))
        fake.add_channel(-1003, "Papers channel")
        await fake.start(args.port)
        print(f"TELEGRAM_API_BASE_URL={fake.base_url}  TELEGRAM_BOT_TOKEN={args.token}")
        print("chats: private 1001, group -1002 (admin 1001), channel -1003")
        print(
            f'inject: curl -d \'{{"chat_id": 1001, "text": "/today"}}\' '
            f"http://127.0.0.1:{fake.port}/_inject ; sent: curl http://127.0.0.1:{fake.port}/_sent"
        )
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
