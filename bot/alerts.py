"""Operator alerts in chat: trouble the bot cannot fix itself, sent to the people in BOT_ADMIN_IDS.

The pattern of python-telegram-bot's error-handler example, for both platforms and without their
imports: each platform's publisher offers ``notify_operator(user_id, text)`` (a Telegram private
message, a Discord DM) and registers here. One alert per kind per hour, counted in this process
only (several instances may each send one); what was held back is counted in the next alert.
Secrets are masked by ``bot.redact``, the same redaction as the logs' (tokens, keys, the
database password, any URL's password).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.config import Settings
from bot.i18n import t
from bot.metrics import Metrics
from bot.redact import redact
from bot.redact import register as register_secrets

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
MAX_DETAIL = 300
# a Discord id (snowflake) has 17+ digits; Telegram user ids are shorter
SNOWFLAKE_DIGITS = 17
KINDS = ("deactivated", "source_down", "platform_down", "exception")


class OperatorNotifier(Protocol):
    """A platform that can reach an operator privately (implemented by the publishers)."""

    platform: str

    async def notify_operator(self, user_id: str, text: str) -> None: ...


@dataclass(frozen=True)
class Operator:
    platform: str
    user_id: str


def parse_operators(ids: list[str]) -> list[Operator]:
    """``BOT_ADMIN_IDS`` entries → operators. ``telegram:123`` and ``discord:456`` are explicit;
    a bare id is a Discord id when it has 17+ digits (a snowflake), else a Telegram id."""
    operators = []
    for raw in ids:
        platform, _, user_id = raw.strip().rpartition(":")
        if not user_id:
            continue
        if not platform:
            platform = "discord" if len(user_id) >= SNOWFLAKE_DIGITS else "telegram"
        operators.append(Operator(platform.lower(), user_id))
    return operators


def detail(value: object) -> str:
    """A value quoted in an alert (it may quote an error): secrets masked, one short line.
    Masked before it is cut, so that no cut leaves part of a secret unrecognised."""
    text = " ".join(redact(str(value)).split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


@dataclass
class _Kind:
    last_sent: datetime | None = None
    suppressed: int = 0


@dataclass
class Alerts:
    """``await alerts.alert(kind, text)``, or ``alerts.fire(...)`` from code that must not wait."""

    settings: Settings
    now: Callable[[], datetime]
    metrics: Metrics
    notifiers: dict[str, OperatorNotifier] = field(default_factory=dict)
    _kinds: dict[str, _Kind] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        # build_app registers them too; an Alerts built on its own must mask them as well
        register_secrets(self.settings.secret_values())

    @property
    def operators(self) -> list[Operator]:
        return parse_operators(self.settings.bot_admin_ids)

    @property
    def language(self) -> str:
        return self.settings.default_language

    def register(self, notifier: OperatorNotifier) -> None:
        self.notifiers[notifier.platform] = notifier

    def text(self, key: str, **values: Any) -> str:
        """A catalogue sentence with its values redacted (they may quote an error)."""
        return t(key, self.language, **{k: detail(v) for k, v in values.items()})

    def _admit(self, kind: str) -> tuple[bool, int]:
        """Whether ``kind`` may be sent now, and how many were held back before it."""
        state = self._kinds.setdefault(kind, _Kind())
        now = self.now()
        if state.last_sent is not None and now - state.last_sent < WINDOW:
            state.suppressed += 1
            return False, 0
        held, state.suppressed, state.last_sent = state.suppressed, 0, now
        return True, held

    async def alert(self, kind: str, text: str) -> int:
        """Send ``text`` to every operator unless ``kind`` was sent within the hour.

        Returns how many operators were reached. Never raises: an alert must not break the
        code that raised it."""
        admitted, held = self._admit(kind)
        if not admitted:
            self.metrics.alerts.labels(kind, "suppressed").inc()
            log.info("operator alert %s held back (one per hour): %s", kind, text)
            return 0
        message = t("alert_prefix", self.language, text=redact(text))
        if held:
            message += "\n" + t("alert_suppressed", self.language, count=held)
        log.warning("operator alert %s: %s", kind, text)
        reached = 0
        for operator in self.operators:
            notifier = self.notifiers.get(operator.platform)
            if notifier is None:
                continue
            try:
                await notifier.notify_operator(operator.user_id, message)
                reached += 1
            except Exception as exc:
                log.warning(
                    "could not alert operator %s:%s: %s", operator.platform, operator.user_id, exc
                )
        self.metrics.alerts.labels(kind, "sent" if reached else "unreached").inc()
        return reached

    def fire(self, kind: str, text: str) -> None:
        """Schedule an alert without waiting for it (from a handler that is answering a user)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        coro: Coroutine[Any, Any, Any] = self.alert(kind, text)
        task: asyncio.Task[None] = loop.create_task(_ignore_result(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for alerts scheduled with ``fire`` (at shutdown, and in tests)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def _ignore_result(coro: Coroutine[Any, Any, Any]) -> None:
    await coro
