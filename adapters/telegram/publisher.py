"""The Telegram way out: rendered messages → sendMessage / sendPhoto, errors → DeliveryError.

The core only knows ``bot.ports`` errors; this module is where Telegram's answers are read:
blocked/kicked/unknown chats become ChatUnreachable, a migrated group ChatMoved, a deleted
forum topic ThreadGone, and anything else the core can only retry later a plain DeliveryError.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from adapters.telegram.ratelimit import bulk
from adapters.telegram.render import TelegramMessage, render_reply
from bot.domain import Reply, Target
from bot.metrics import Metrics
from bot.ports import (
    ChatMoved,
    ChatUnreachable,
    DeliveryError,
    PlatformDown,
    SendUnknown,
    ThreadGone,
)

log = logging.getLogger(__name__)

# 400 answers that mean "this chat is not there for us any more"
_UNREACHABLE = (
    "chat not found",
    "not a member",
    "have no rights to send",
    "not enough rights to send",
    "need administrator rights",
    "chat_write_forbidden",
    "peer_id_invalid",
    "user is deactivated",
    "group chat was deactivated",
)
# 400 answers about the photo only: the card still goes out, as text
_BAD_PHOTO = (
    "wrong file identifier",
    "failed to get http url content",
    "wrong type of the web page content",
    "photo_invalid_dimensions",
    "image_process_failed",
    "wrong http url",
    "photo_invalid",
)


def chat_id_for_api(chat_id: str) -> int | str:
    """Telegram ids are integers; ``@channelusername`` stays a string."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def keyboard(message: TelegramMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, url=button.url)
                if button.url
                else InlineKeyboardButton(button.text, callback_data=button.callback_data)
                for button in row
            ]
            for row in message.buttons
        ]
    )


def map_error(exc: TelegramError) -> DeliveryError:
    """Translate one PTB exception into the core's delivery errors."""
    text = exc.message.lower()
    if isinstance(exc, ChatMigrated):
        return ChatMoved(str(exc.new_chat_id), exc.message)
    if isinstance(exc, Forbidden):
        return ChatUnreachable(exc.message)
    if isinstance(exc, BadRequest):
        if "message thread not found" in text or "topic_deleted" in text:
            return ThreadGone(exc.message)
        if any(marker in text for marker in _UNREACHABLE):
            return ChatUnreachable(exc.message)
        return DeliveryError(f"Telegram refused the message: {exc.message}")
    if isinstance(exc, RetryAfter):  # the bot's limit, not the chat's fault
        return PlatformDown(f"rate limited by Telegram beyond retries: {exc.message}")
    if isinstance(exc, TimedOut) and not isinstance(
        exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout
    ):
        # the request reached Telegram, which may well have posted it: do not send it again
        return SendUnknown(f"Telegram did not answer in time; the message may be posted: {exc}")
    if isinstance(exc, NetworkError):  # unreachable, or a 5xx: Telegram's trouble
        return PlatformDown(f"Telegram could not be reached: {exc.message}")
    return DeliveryError(f"Telegram error: {exc.message}")


class TelegramPublisher:
    """bot.ports.Publisher for Telegram: ``render`` is the pure renderer, ``send`` one message.

    With ``bulk`` (the morning post's publisher) its sends ride the rate limiter's bulk lane,
    behind replies, and with ``paid_broadcast`` carry ``allow_paid_broadcast`` (paced at the paid
    rate). The adapter answers commands through a second one with ``bulk=False``.
    """

    platform = "telegram"

    def __init__(
        self,
        bot: Bot,
        metrics: Metrics | None = None,
        *,
        bulk: bool = True,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self.metrics = metrics or Metrics()
        self.bulk = bulk
        self.paid_broadcast = bulk and paid_broadcast

    def render(self, reply: Reply) -> list[TelegramMessage]:
        return render_reply(reply)

    async def send(self, target: Target, message: TelegramMessage) -> str:
        """Send one message; returns its message id, raises DeliveryError subclasses."""
        try:
            sent = await self._send(target, message)
        except TelegramError as exc:
            self.metrics.messages_failed.labels(self.platform).inc()
            raise map_error(exc) from exc
        self.metrics.messages_sent.labels(self.platform).inc()
        return str(sent.message_id)

    async def notify_operator(self, user_id: str, text: str) -> None:
        """An operator alert: a private message, plain text (no markup to escape)."""
        try:
            await self.bot.send_message(chat_id_for_api(user_id), text)
        except TelegramError:
            self.metrics.messages_failed.labels(self.platform).inc()
            raise
        self.metrics.messages_sent.labels(self.platform).inc()

    async def _send(self, target: Target, message: TelegramMessage) -> Message:
        chat_id = chat_id_for_api(target.chat_id)
        thread_id = int(target.thread_id) if target.thread_id else None
        markup = keyboard(message)
        paced: dict[str, Any] = {}
        if self.bulk and getattr(self.bot, "rate_limiter", None) is not None:
            paced["rate_limit_args"] = bulk(self.paid_broadcast)
        if self.paid_broadcast:
            paced["allow_paid_broadcast"] = True
        if message.photo:
            try:
                return await self.bot.send_photo(
                    chat_id,
                    message.photo,
                    caption=message.text or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    message_thread_id=thread_id,
                    **paced,
                )
            except BadRequest as exc:
                if not any(marker in exc.message.lower() for marker in _BAD_PHOTO):
                    raise
                log.info("photo %s refused (%s); sending the card as text", message.photo, exc)
        return await self.bot.send_message(
            chat_id,
            message.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=message.disable_preview),
            reply_markup=markup,
            message_thread_id=thread_id,
            **paced,
        )
