"""In-process fakes for core tests: a paper source, a clock and a recording publisher.

The platform fakes (loopback servers) test the adapters; these let the core's own tests run
the real archive, commands and delivery without any network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain import FeaturedPaper, PaperInfo, Reply, Target
from bot.errors import SourceUnavailable


def paper(arxiv_id: str, title: str, votes: int, day: date, **fields: Any) -> FeaturedPaper:
    info = PaperInfo(
        arxiv_id=arxiv_id,
        title=title,
        abstract=fields.pop("abstract", f"We study {title.lower()}. It works well."),
        authors=tuple(fields.pop("authors", ("Ada Lovelace", "Alan Turing"))),
        **fields,
    )
    return FeaturedPaper(day=day, paper=info, votes=votes)


class MemorySource:
    """A PaperSource serving papers from a dict; counts fetches; can be switched off."""

    def __init__(self, days: dict[date, list[FeaturedPaper]] | None = None) -> None:
        self.days = days or {}
        self.fetches: list[date] = []
        self.down = False

    async def fetch_day(self, day: date) -> list[FeaturedPaper]:
        if self.down:
            raise SourceUnavailable("Could not reach Hugging Face (test source is down).")
        self.fetches.append(day)
        return list(self.days.get(day, []))

    async def fetch_paper(self, arxiv_id: str) -> PaperInfo | None:
        if self.down:
            raise SourceUnavailable("Could not reach Hugging Face (test source is down).")
        for papers in self.days.values():
            for fp in papers:
                if fp.paper.arxiv_id == arxiv_id:
                    return fp.paper
        return None


@dataclass
class FakeClock:
    """A settable ``now`` (aware UTC)."""

    current: datetime

    def __call__(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        self.current = value.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class Sent:
    target: Target
    message: Any


@dataclass
class RecordingPublisher:
    """A Publisher that renders replies as plain text and records what it 'sends'.

    ``fail`` maps a chat id to a function that raises for that chat (or returns None).
    """

    platform: str = "test"
    sent: list[Sent] = field(default_factory=list)
    renders: int = 0
    fail: dict[str, Callable[[Target, Any], None]] = field(default_factory=dict)
    deactivated: list[Target] = field(default_factory=list)

    def render(self, reply: Reply) -> list[Any]:
        self.renders += 1
        messages: list[Any] = []
        if reply.title or reply.text:
            messages.append(f"{reply.title or ''}\n{reply.text}".strip())
        if reply.style == "cards":
            messages += [f"card {card.arxiv_id}: {card.title}" for card in reply.cards]
        elif reply.cards:
            messages.append("\n".join(f"{c.arxiv_id} {c.title} ({c.votes})" for c in reply.cards))
        return messages

    async def send(self, target: Target, message: Any) -> str:
        check = self.fail.get(target.chat_id)
        if check is not None:
            check(target, message)
        self.sent.append(Sent(target, message))
        return str(len(self.sent))

    async def on_deactivated(self, target: Target) -> None:
        self.deactivated.append(target)

    def to(self, chat_id: str) -> list[Any]:
        return [s.message for s in self.sent if s.target.chat_id == chat_id]


def raising(error: Exception) -> Callable[[Target, Any], None]:
    def check(target: Target, message: Any) -> None:
        raise error

    return check
