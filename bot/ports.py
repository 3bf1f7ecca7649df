"""The few interfaces the core depends on; adapters and sources implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain import (
    DeliveryRecord,
    FeaturedPaper,
    PaperExtract,
    PaperInfo,
    PaperText,
    Reply,
    Subscription,
    Summary,
    Target,
)


class PaperSource(Protocol):
    """Where featured papers come from (Hugging Face in production, a fake in tests)."""

    async def fetch_day(self, day: date) -> list[FeaturedPaper]: ...

    async def fetch_paper(self, arxiv_id: str) -> PaperInfo | None: ...


class Summarizer(Protocol):
    """Turns papers into summaries in one language; never raises for a single paper."""

    async def summarize(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]: ...


class PaperTextError(Exception):
    """A paper's text could not be had right now (network, 5xx, too large): try again later."""


class PaperTextSource(Protocol):
    """Where a paper's own text comes from (arXiv in production, a loopback fake in tests).

    ``fetch`` returns None when the source has no text for the paper (a lasting answer, e.g.
    404 for both HTML and PDF) and raises ``PaperTextError`` for a passing failure.
    """

    async def fetch(self, arxiv_id: str) -> PaperText | None: ...


class ExtractProvider(Protocol):
    """The summariser's input beyond the abstract; never raises (falls back to the abstract)."""

    async def extract(self, paper: PaperInfo) -> PaperExtract: ...


class Publisher(Protocol):
    """A platform's way out: render a reply to its messages (pure), then send one.

    ``send`` returns the platform's id of the sent message and raises one of the
    ``DeliveryError`` subclasses below for failures the core must react to.
    """

    platform: str

    def render(self, reply: Reply) -> list[Any]: ...

    async def send(self, target: Target, message: Any) -> str: ...


class SubscriptionStore(Protocol):
    """Where subscriptions live. Every method is async: storage never blocks the event loop."""

    async def get(self, target: Target) -> Subscription | None: ...

    async def by_id(self, sub_id: int) -> Subscription:
        """Raises ``NotFound``."""
        ...

    async def list_all(self, platform: str | None = None) -> list[Subscription]: ...

    async def deliverable(
        self, platforms: set[str], limit: int | None = None
    ) -> list[Subscription]: ...

    async def ensure(self, target: Target, title: str | None = None) -> Subscription: ...

    async def subscribe(
        self, target: Target, title: str | None = None
    ) -> tuple[Subscription, bool]: ...

    async def unsubscribe(self, target: Target) -> bool: ...

    async def set(
        self, target: Target, key: str, raw: str, language: str = "en"
    ) -> tuple[str, Any]: ...

    async def save(self, sub_id: int, **changes: Any) -> Subscription: ...

    async def remove(self, sub_id: int) -> None: ...

    async def record_failure(self, sub_id: int, error: str, day: date | None = None) -> bool:
        """The chat could not be reached delivering ``day``; True when it got deactivated."""
        ...

    async def record_success(self, sub_id: int) -> None: ...

    async def move(self, sub_id: int, new_chat_id: str) -> Subscription:
        """Follow a chat to its new id, merging into a subscription already there.

        Raises ``ChatMerged`` when that subscription carries the day being delivered.
        """
        ...

    async def set_reachable(
        self, target: Target, reachable: bool, reason: str
    ) -> list[Subscription]:
        """The platform says the bot left/was blocked (False) or is back (True); returns
        the subscriptions that were deactivated or reactivated."""
        ...


class DeliveryLedger(Protocol):
    """Who got which day: claimed before sending, progress per message, done at the end."""

    async def begin_many(
        self, keys: list[tuple[int, date]], now: datetime
    ) -> dict[tuple[int, date], DeliveryRecord]:
        """``begin`` for a page at once: the entries taken for sending (done ones left out)."""
        ...

    async def begin(self, sub_id: int, day: date, now: datetime) -> DeliveryRecord | None:
        """Take the entry for sending under a queue claim (which already rules out a second
        sender): created, or resumed where the last holder stopped; None when done."""
        ...

    async def progress(
        self, delivery_id: int, sent: int, total: int, sent_ids: Sequence[str], now: datetime
    ) -> None: ...

    async def records(self, sub_id: int | None = None) -> list[DeliveryRecord]: ...


@dataclass(frozen=True)
class Settlement:
    """How one claimed subscription leaves the queue: its ledger entry's outcome (if any) and
    when the engine takes it up next, written in one transaction (``DeliveryQueue.settle``).

    ``seen`` is the ``next_post_at`` the claim saw: if the chat's settings changed meanwhile
    (the row was marked for rescheduling), that mark wins over ``next_post_at``.
    """

    sub_id: int
    seen: datetime | None
    next_post_at: datetime | None
    due_at: datetime | None
    delivery_id: int | None = None
    status: str | None = None  # done | failed | None: leave the ledger entry as it is
    sent: int | None = None
    total: int | None = None
    sent_ids: tuple[str, ...] | None = None  # all of them so far (written whole)
    error: str | None = None
    count_error: bool = False  # the chat's own failure (not the platform's)
    success: bool = False  # delivered: the chat's failure record starts over


class DeliveryQueue(Protocol):
    """The subscriptions that are due, claimed by one instance at a time (bot/queue.py)."""

    async def claim(
        self, holder: str, platforms: set[str], now: datetime, limit: int
    ) -> list[Subscription]:
        """Up to ``limit`` due, unclaimed subscriptions, oldest due first, but the ones that
        fell due in the last minute ahead; claimed for ``holder`` ("instance:boot")."""
        ...

    async def settle(self, settlements: Sequence[Settlement], holder: str) -> None:
        """Write each outcome and next moment, for the rows ``holder`` still holds."""
        ...

    async def release(self, holder: str, keep: set[int]) -> int:
        """Give back ``holder``'s claims except ``keep`` (what its queue still holds)."""
        ...

    async def reclaim(self, holder: str, alive: set[str], dead: set[str], cutoff: datetime) -> int:
        """Free claims of holders that are gone: ``dead`` ones and this instance's earlier
        boots at once, unknown ones (not in ``alive``) when claimed before ``cutoff``."""
        ...


class DeliveryError(Exception):
    """A message could not be delivered; the subclasses say what the core should do."""


class ChatUnreachable(DeliveryError):
    """The bot was blocked, kicked, lost access, or the chat/channel no longer exists."""


class ChatMoved(DeliveryError):
    """The chat has a new id (a Telegram group became a supergroup)."""

    def __init__(self, new_chat_id: str, message: str = "chat moved") -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class ChatMerged(DeliveryError):
    """The chat moved onto one with its own subscription, which carries this day already.

    The moving subscription is retired; its delivery in flight stops (the survivor's own
    ledger entry sends the digest once, or already did).
    """

    def __init__(self, survivor_id: int, message: str) -> None:
        super().__init__(message)
        self.survivor_id = survivor_id


class ThreadGone(DeliveryError):
    """The topic/thread no longer exists; the main chat still does."""


class PlatformDown(DeliveryError):
    """The platform itself failed (network, 5xx, rate limit beyond retries): not this chat's
    fault, so it never counts against the chat; the delivery is held and retried."""


class SendUnknown(DeliveryError):
    """The platform did not answer in time: the message may or may not have been posted.

    The delivery counts it as sent (no resend): a rare lost message rather than a rare
    duplicate, see docs/architecture.md.
    """
