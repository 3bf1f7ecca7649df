"""The Telegram adapter: PTB updates → core commands → rendered replies, plus the publisher.

It shares the event loop with Discord and the ticker, so it drives PTB's Application by hand
(initialize, start, updater.start_polling) instead of ``run_polling``, which owns the loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberRestricted,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from adapters.telegram.publisher import TelegramPublisher
from adapters.telegram.ratelimit import PacedRateLimiter
from bot.app import App
from bot.cards import clip
from bot.commands import ChatContext, parse_command
from bot.domain import Reply, Target
from bot.i18n import t
from bot.ports import DeliveryError

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,  # the bot was added, removed or blocked
]
# what an inline button may run; settings changes still pass the core's admin check,
# made for the user who pressed the button
CALLBACK_COMMANDS = frozenset(
    {
        "paper",
        "date",
        "today",
        "top",
        "search",
        "help",
        "settings",
        "subscribe",
        "unsubscribe",
        "like",
        "dislike",
    }
)
# 👍/👎 answer with a pop-up for the presser, not a message in the chat
RATING_COMMANDS = frozenset({"like", "dislike"})
_MEMBER_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}
_CHAT_TYPES = {
    Chat.PRIVATE: "private",
    Chat.GROUP: "group",
    Chat.SUPERGROUP: "group",
    Chat.CHANNEL: "channel",
}
_ADMIN_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}
_PRESENT_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}
# read-only buttons under a channel post open the bot's private chat instead of posting into
# the channel (any subscriber can press them); the command rides in the /start payload
PRIVATE_CALLBACK_COMMANDS = frozenset({"paper", "date", "today", "top", "search", "help"})
CALLBACK_ANSWER_LIMIT = 200  # characters of an answerCallbackQuery pop-up
_START_PAYLOAD_LIMIT = 64  # Telegram: 1-64 characters of A-Z a-z 0-9 _ -
# commands that may wait for an LLM: the chat shows "typing…" until the answer is sent
TYPING_COMMANDS = frozenset({"paper"})
TYPING_EVERY = 4.0  # seconds; Telegram shows an action for 5 s or until a message arrives


def start_payload(command: str) -> str | None:
    """``command`` as a t.me/bot?start= payload (base64url), or None if it does not fit."""
    payload = base64.urlsafe_b64encode(command.encode("utf-8")).decode("ascii").rstrip("=")
    return payload if 1 <= len(payload) <= _START_PAYLOAD_LIMIT else None


def command_from_payload(payload: str) -> str | None:
    """The command behind a /start payload made by ``start_payload``, if it is one we run."""
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        command = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    parsed = parse_command(command)
    return command if parsed and parsed[0] in PRIVATE_CALLBACK_COMMANDS else None


def rating_from_payload(payload: str) -> tuple[str, str, int] | None:
    """``(name, arxiv id, channel id)`` behind a /start payload made for a 👍/👎 under a
    channel post (``/like 2501.05366 -1001234``), or None."""
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        parsed = parse_command(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return None
    if parsed is None or parsed[0] not in RATING_COMMANDS:
        return None
    parts = parsed[1].split()
    if len(parts) != 2 or not re.fullmatch(r"-?\d{1,20}", parts[1]):
        return None
    return parsed[0], parts[0], int(parts[1])


Context = ContextTypes.DEFAULT_TYPE


def bot_present(member: ChatMember) -> bool:
    """Whether this status lets the bot receive posts (a restricted member still counts,
    one that is no longer a member does not; left and kicked never)."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT_STATUSES


class TelegramAdapter:
    """Long polling (or a webhook when ``telegram_webhook_url`` is set) on the shared loop."""

    def __init__(
        self,
        app: App,
        *,
        poll_timeout: float = 10.0,
        pacing: bool = True,
    ) -> None:
        settings = app.settings
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.app = app
        self.poll_timeout = poll_timeout
        paid = settings.telegram_paid_broadcast
        # pacing=False only for measuring the bot's own ceiling against an unlimited fake
        self.rate_limiter: PacedRateLimiter | None = (
            PacedRateLimiter.for_token(
                settings.telegram_bot_token,
                app.pace,
                paid_per_second=settings.telegram_paid_broadcast_rate if paid else None,
                on_retry_after=app.metrics.rate_limited.labels(PLATFORM).inc,
            )
            if pacing
            else None
        )
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token)
            .base_url(settings.telegram_api_base_url)
            .concurrent_updates(16)
            .get_updates_connect_timeout(5)
            .get_updates_read_timeout(5)
        )
        if self.rate_limiter is not None:
            builder = builder.rate_limiter(self.rate_limiter)
        self.application: Application = builder.build()
        # the morning post (bulk lane, paid broadcast if enabled) and command answers (replies)
        self.publisher = TelegramPublisher(self.application.bot, app.metrics, paid_broadcast=paid)
        self.replies = TelegramPublisher(self.application.bot, app.metrics, bulk=False)
        self._down_since: datetime | None = None
        self._register_handlers()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect and receive: a bot that is the only instance."""
        await self.connect()
        await self.start_receiving()

    async def connect(self) -> None:
        """Connect for sending; with a webhook, receiving starts here too."""
        try:
            await self._start()
        except InvalidToken as exc:
            await self._close_quietly()
            raise RuntimeError(f"Telegram refused TELEGRAM_BOT_TOKEN ({exc.message})") from exc
        except BaseException:
            await self._close_quietly()
            raise

    async def _close_quietly(self) -> None:
        try:
            await self.stop()
        except Exception:
            log.exception("telegram: cleaning up after a failed start failed")

    @property
    def needs_leader(self) -> bool:
        """Long polling must be unique per token (a second getUpdates gets 409 Conflict)."""
        return not self.app.settings.telegram_webhook_url

    async def _start(self) -> None:
        """Connect for sending (getMe, setMyCommands); a webhook receives from here on too.

        Long polling starts only in :meth:`start_receiving`, called by the instance that holds
        the Telegram lease.
        """
        application = self.application
        await application.initialize()  # getMe: fails fast on a wrong token
        await self.register_commands()
        await application.start()
        updater = application.updater
        assert updater is not None
        settings = self.app.settings
        if settings.telegram_webhook_url:
            # the reverse proxy forwards https://host/PATH to listen:port/PATH
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=urlsplit(settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        log.info("telegram: connected as @%s", application.bot.username)

    async def start_receiving(self) -> None:
        """Begin long polling (this instance now holds the Telegram lease)."""
        updater = self.application.updater
        assert updater is not None
        if self.needs_leader and not updater.running:
            await updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_error,
            )
            log.info("telegram: polling for updates")

    async def stop_receiving(self) -> None:
        """Stop long polling (the lease went to another instance); sending still works."""
        updater = self.application.updater
        if self.needs_leader and updater is not None and updater.running:
            await updater.stop()
            log.info("telegram: stopped polling")

    async def stop(self) -> None:
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()

    async def register_commands(self) -> None:
        """setMyCommands, so clients list the commands (English default, Korean for ko)."""
        bot = self.application.bot
        commands = self.app.commands
        try:
            await bot.set_my_commands([BotCommand(n, d) for n, d in commands.describe()])
            korean = commands.describe("ko")
            if korean != commands.describe():
                await bot.set_my_commands([BotCommand(n, d) for n, d in korean], language_code="ko")
        except Exception:
            log.exception("telegram: setMyCommands failed; commands still work when typed")

    def _polling_error(self, exc: Exception) -> None:
        log.warning("telegram: polling failed, retrying: %s", exc)
        if self._down_since is None:
            self._down_since = datetime.now(UTC)

    # ------------------------------------------------------------------ connectivity

    def connected(self) -> bool:
        """Connected for sending (a standby instance too); polling errors mark it down."""
        return self.application.running and self._down_since is None

    def down_since(self) -> datetime | None:
        return self._down_since

    async def probe(self) -> None:
        """While polling reports errors: does getMe get through again?"""
        await self.application.bot.get_me()
        self._back()

    def _back(self) -> None:
        if self._down_since is not None:
            log.info("telegram: reachable again")
            self._down_since = None

    async def _on_any_update(self, update: object, context: Context) -> None:
        self._back()  # an update arrived: polling works

    # ------------------------------------------------------------------ handlers

    def _register_handlers(self) -> None:
        names = sorted({name for name, _ in self.app.commands.describe()} | {"start"})
        where = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        self.application.add_handler(CommandHandler(names, self._on_command, filters=where))
        self.application.add_handler(MessageHandler(filters.TEXT & where, self._on_other_text))
        self.application.add_handler(CallbackQueryHandler(self._on_callback))
        self.application.add_handler(TypeHandler(Update, self._on_any_update), group=-1)
        self.application.add_handler(
            ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        self.application.add_error_handler(self._on_error)

    async def _on_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        ctx = self.chat_context(update, message)
        text = message.text
        parsed = parse_command(text, context.bot.username)
        if parsed and parsed[0] == "start" and message.chat.type == Chat.PRIVATE:
            if (rating := rating_from_payload(parsed[1])) is not None:
                await self._rate_for_channel(ctx, *rating)
                return
            text = command_from_payload(parsed[1]) or text  # a button under a channel post
        parsed = parse_command(text, context.bot.username)
        async with self.typing(ctx, parsed[0] if parsed else ""):
            reply = await self.app.commands.handle_text(
                text, ctx, bot_username=context.bot.username
            )
            if reply is not None:
                await self.answer(ctx, reply)

    async def _rate_for_channel(
        self, private: ChatContext, name: str, arxiv_id: str, channel_id: int
    ) -> None:
        """A 👍/👎 pressed under a channel post, arriving through the private-chat deep link:
        it counts for the channel (one vote per member), if the presser is a member of it."""
        language = await self.app.commands.language_of(private)
        member = False
        if private.user_id is not None:
            try:
                found = await self.application.bot.get_chat_member(channel_id, int(private.user_id))
                member = found.status in _MEMBER_STATUSES
            except TelegramError as exc:
                log.info("telegram: getChatMember(%s) for a rating failed: %s", channel_id, exc)
        if not member:
            await self.answer(private, Reply(text=t("rating_not_member", language), is_error=True))
            return
        channel = ChatContext(
            platform=PLATFORM,
            chat_id=str(channel_id),
            user_id=private.user_id,
            chat_type="channel",
        )
        reply = await self.app.commands.run(name, arxiv_id, channel)
        await self.answer(private, reply)

    async def _on_other_text(self, update: Update, context: Context) -> None:
        """Unknown commands and plain text: a hint in private chats, silence elsewhere."""
        message = update.effective_message
        if message is None or not message.text or message.chat.type != Chat.PRIVATE:
            return
        ctx = self.chat_context(update, message)
        reply = await self.app.commands.handle_text(
            message.text, ctx, bot_username=context.bot.username
        )
        if reply is None:
            language = await self.app.commands.language_of(ctx)
            hint = t("text_hint", language)
            reply = Reply(text=hint)
        await self.answer(ctx, reply)

    async def _on_callback(self, update: Update, context: Context) -> None:
        """An inline button: run its command for the user who pressed it.

        Reading commands stop the client's spinner first. Under a channel post their answer goes
        to the presser's private chat (a t.me deep link), never into the channel: every
        subscriber of a channel can press its buttons. Settings changes run first, so that a
        refusal is a pop-up for the presser alone instead of a message in the group.
        """
        query = update.callback_query
        if query is None:
            return
        message = query.message
        data = query.data or ""
        parsed = parse_command(data)
        if not isinstance(message, Message) or parsed is None or parsed[0] not in CALLBACK_COMMANDS:
            if parsed is not None:
                log.warning("telegram: refused callback %r", data[:64])
            await self._answer_query(query)
            return
        ctx = self.chat_context(update, message)
        if parsed[0] in RATING_COMMANDS:
            await self._rate_by_button(query, message, ctx, data, context)
            return
        if parsed[0] in PRIVATE_CALLBACK_COMMANDS:
            if message.chat.type == Chat.CHANNEL:
                payload = start_payload(data)
                url = f"https://t.me/{context.bot.username}?start={payload}" if payload else None
                await self._answer_query(query, url=url)
                return
            await self._answer_query(query)
            async with self.typing(ctx, parsed[0]):
                reply = await self.app.commands.handle_text(data, ctx)
                if reply is not None:
                    await self.answer(ctx, reply)
            return
        else:
            reply = await self.app.commands.handle_text(data, ctx)
            if reply is not None and reply.is_error and message.chat.type != Chat.PRIVATE:
                popup = clip(reply.text, CALLBACK_ANSWER_LIMIT)
                await self._answer_query(query, text=popup, show_alert=True)
                return
            await self._answer_query(query)
        if reply is not None:
            await self.answer(ctx, reply)

    async def _rate_by_button(
        self, query: CallbackQuery, message: Message, ctx: ChatContext, data: str, context: Context
    ) -> None:
        """👍/👎: the vote is the presser's, for this chat; the answer is a pop-up for them alone.
        Under a channel post it goes through the private chat (a deep link naming the channel)."""
        if message.chat.type == Chat.CHANNEL:
            payload = start_payload(f"{data} {message.chat.id}")
            url = f"https://t.me/{context.bot.username}?start={payload}" if payload else None
            await self._answer_query(query, url=url)
            return
        reply = await self.app.commands.handle_text(data, ctx)
        text = clip(reply.text, CALLBACK_ANSWER_LIMIT) if reply is not None else ""
        await self._answer_query(query, text=text, show_alert=bool(reply and reply.is_error))

    async def _on_my_chat_member(self, update: Update, context: Context) -> None:
        """The bot's own membership changed: removed or blocked stops the chat's digests at
        once, added back (member or admin) or unblocked resumes the subscribed ones."""
        change = update.my_chat_member
        if change is None:
            return
        was, now = bot_present(change.old_chat_member), bot_present(change.new_chat_member)
        if was == now:
            return  # e.g. member → administrator: nothing changes for delivery
        chat = change.chat
        kind = _CHAT_TYPES.get(chat.type, "group")
        status = change.new_chat_member.status
        if now:
            reason = f"telegram: the bot is back in the {kind} chat ({status})"
        elif chat.type == Chat.PRIVATE:
            reason = "telegram: the user blocked the bot"
        else:
            reason = f"telegram: the bot was removed from the {kind} chat ({status})"
        target = Target(PLATFORM, str(chat.id))
        changed = await self.app.reachability.chat_changed(target, now, reason)
        log.info("telegram: %s; %d subscription(s) changed", reason, len(changed))

    @staticmethod
    async def _answer_query(query: CallbackQuery, **answer: Any) -> None:
        """answerCallbackQuery; a stale query (or a network blip) is logged, not fatal."""
        try:
            await query.answer(**answer)
        except TelegramError as exc:
            log.info("telegram: answerCallbackQuery failed: %s", exc)

    async def _on_error(self, update: object, context: Context) -> None:
        """Log the traceback and alert the operators (python-telegram-bot's error-handler
        pattern); a user only ever sees a short apology (private chats)."""
        log.error("telegram: handler failed", exc_info=context.error)
        if context.error is not None:
            self.app.commands.alert_exception("a Telegram handler", context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        chat = update.effective_chat
        if chat.type != Chat.PRIVATE:
            return
        try:
            await context.bot.send_message(chat.id, t("internal_error", "en"))
        except Exception:
            log.warning("telegram: could not tell chat %s about the error", chat.id)

    # ------------------------------------------------------------------ helpers

    @contextlib.asynccontextmanager
    async def typing(self, ctx: ChatContext, command: str) -> AsyncIterator[None]:
        """Show "typing…" in the chat (sendChatAction, renewed) while a slow command runs."""
        if command not in TYPING_COMMANDS:
            yield
            return
        bot = self.application.bot
        thread = int(ctx.thread_id) if ctx.thread_id else None

        async def keep_typing() -> None:
            while True:
                try:
                    await bot.send_chat_action(
                        int(ctx.chat_id), ChatAction.TYPING, message_thread_id=thread
                    )
                except TelegramError as exc:
                    log.info("telegram: sendChatAction failed: %s", exc)
                    return
                await asyncio.sleep(TYPING_EVERY)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def chat_context(self, update: Update, message: Message) -> ChatContext:
        """Where a message (or the message under a button) came from, and who sent it."""
        chat = message.chat
        chat_type = _CHAT_TYPES.get(chat.type, "group")
        user = update.effective_user
        thread_id = message.message_thread_id if message.is_topic_message else None
        return ChatContext(
            platform=PLATFORM,
            chat_id=str(chat.id),
            thread_id=str(thread_id) if thread_id else None,
            user_id=str(user.id) if user else None,
            chat_type=chat_type,
            chat_title=chat.title or chat.full_name or chat.username,
            check_admin=self._admin_check(update, message),
        )

    def _admin_check(self, update: Update, message: Message) -> Callable[[], Awaitable[bool]]:
        chat = message.chat
        user = update.effective_user
        # a channel post comes from the channel itself: only its admins can post
        from_channel = update.channel_post is not None
        # an anonymous admin writes "as the group": sender_chat is the group itself
        anonymous_admin = update.callback_query is None and (
            message.sender_chat is not None and message.sender_chat.id == chat.id
        )

        async def check_admin() -> bool:
            if from_channel or anonymous_admin:
                return True
            if user is None:
                return False
            try:
                member = await self.application.bot.get_chat_member(chat.id, user.id)
            except Exception as exc:
                log.warning("telegram: getChatMember(%s, %s) failed: %s", chat.id, user.id, exc)
                return False
            return member.status in _ADMIN_STATUSES

        return check_admin

    async def answer(self, ctx: ChatContext, reply: Reply) -> None:
        """Send a reply to where the command came from (same forum topic)."""
        for message in self.replies.render(reply):
            try:
                await self.replies.send(ctx.target, message)
            except DeliveryError as exc:
                log.warning("telegram: could not answer in %s: %s", ctx.chat_id, exc)
                return
