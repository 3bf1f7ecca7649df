"""The few interfaces the core depends on; adapters and sources implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from bot.domain import FeaturedPaper, PaperExtract, PaperInfo, PaperText, Reply, Summary, Target


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


class DeliveryError(Exception):
    """A message could not be delivered; the subclasses say what the core should do."""


class ChatUnreachable(DeliveryError):
    """The bot was blocked, kicked, lost access, or the chat/channel no longer exists."""


class ChatMoved(DeliveryError):
    """The chat has a new id (a Telegram group became a supergroup)."""

    def __init__(self, new_chat_id: str, message: str = "chat moved") -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class ThreadGone(DeliveryError):
    """The topic/thread no longer exists; the main chat still does."""
