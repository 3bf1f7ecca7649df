"""Plain objects the core speaks in: papers, summaries, cards, digests and replies.

They carry no markup: every string here is untrusted text that a renderer escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from bot.untrusted import clean_fields

Style = Literal["compact", "cards"]
STYLES: tuple[Style, ...] = ("compact", "cards")

ARXIV_ABS = "https://arxiv.org/abs/{id}"
HF_PAPER = "https://huggingface.co/papers/{id}"
THUMBNAIL = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png"


@dataclass(frozen=True)
class PaperInfo:
    """One paper as the source describes it (every field but id and title is optional)."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    organization: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    keywords: tuple[str, ...] = ()
    ai_summary: str | None = None
    published_at: datetime | None = None
    thumbnail: str | None = None

    def __post_init__(self) -> None:
        clean_fields(self)  # no bidi controls in untrusted text


@dataclass(frozen=True)
class FeaturedPaper:
    """A paper as featured on one Daily Papers day, with its votes when last seen."""

    day: date
    paper: PaperInfo
    votes: int = 0
    comments: int = 0
    because: str | None = None  # personal ranking: the title of the liked paper it is most like


@dataclass(frozen=True)
class Summary:
    """A paper's summary: the seed's three parts, or one plain paragraph (offline)."""

    whats_new: str | None = None
    technical_details: str | None = None
    performance_highlights: str | None = None
    text: str | None = None
    language: str = "en"
    source: Literal["offline", "llm"] = "offline"
    # what an LLM summary was made from: "fulltext" (the paper's own text) or "abstract"
    based_on: str | None = None
    # made from the abstract only because the paper's text was unavailable for now: not
    # cached in the database (see SummaryService), so a later call uses the full text
    provisional: bool = False

    def __post_init__(self) -> None:
        clean_fields(self)  # no bidi controls in untrusted text

    @property
    def has_sections(self) -> bool:
        return bool(self.whats_new or self.technical_details or self.performance_highlights)

    def sections(self) -> list[tuple[str, str]]:
        """The three parts that are present, as (heading, text), in the seed's order."""
        parts = [
            ("What's New", self.whats_new),
            ("Technical Details", self.technical_details),
            ("Performance Highlights", self.performance_highlights),
        ]
        return [(heading, body) for heading, body in parts if body]


@dataclass(frozen=True)
class Card:
    """Everything a renderer needs to show one paper, on any platform."""

    arxiv_id: str
    title: str
    votes: int = 0
    authors: tuple[str, ...] = ()
    organization: str | None = None
    github_url: str | None = None
    github_stars: int | None = None
    project_url: str | None = None
    keywords: tuple[str, ...] = ()
    summary: Summary = field(default_factory=Summary)
    day: date | None = None
    because: str | None = None  # one short localised line: "Because you liked …"
    note: str | None = None  # one short line about the summary (e.g. why it is the English one)

    def __post_init__(self) -> None:
        clean_fields(self)  # no bidi controls in untrusted text

    @property
    def arxiv_url(self) -> str:
        return ARXIV_ABS.format(id=self.arxiv_id)

    @property
    def hf_url(self) -> str:
        return HF_PAPER.format(id=self.arxiv_id)

    @property
    def thumbnail_url(self) -> str:
        return THUMBNAIL.format(id=self.arxiv_id)


@dataclass(frozen=True)
class Digest:
    """A day's cards for one language, best first."""

    day: date
    cards: tuple[Card, ...]
    language: str = "en"
    title: str = ""


@dataclass(frozen=True)
class Button:
    """A link or an action button under a reply (``data`` is a core command line)."""

    label: str
    url: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        clean_fields(self)  # no bidi controls in untrusted text


@dataclass(frozen=True)
class Reply:
    """What a command answers, before any platform markup.

    ``cards`` are shown as a compact list (``style="compact"``) or one full card each
    (``style="cards"``); ``text`` is plain text shown before them.
    """

    text: str = ""
    title: str | None = None
    cards: tuple[Card, ...] = ()
    style: Style = "compact"
    day: date | None = None
    buttons: tuple[Button, ...] = ()
    is_error: bool = False
    private: bool = False  # only the person who asked needs to see it (a button's answer)
    start: int = 1  # the number of the first card (a later page goes on counting)
    item_label: str | None = None  # a word for each compact item's button ("Summarise")
    language: str = "en"  # of the renderers' own labels ("Authors", "Code"...)
    more: str | None = None  # the core command that shows the next page, if there is one

    def __post_init__(self) -> None:
        clean_fields(self)  # no bidi controls in untrusted text


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: a chat or channel, and optionally a topic/thread in it."""

    platform: str
    chat_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class TextSection:
    """One top-level section of a paper's own text: its heading, paragraphs, table captions."""

    title: str
    paragraphs: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperText:
    """A paper's text as parsed from arXiv (HTML or PDF): reading order, no references."""

    arxiv_id: str
    format: Literal["html", "pdf"]
    abstract: str
    sections: tuple[TextSection, ...]


@dataclass(frozen=True)
class PaperExtract:
    """What the summariser gets besides the abstract: a budgeted extract of the body, or none.

    ``source`` is "fulltext" when ``text`` holds the extract, "abstract" when the paper's text
    could not be had (or full text is off) and the model sees the abstract only.
    """

    text: str = ""
    source: Literal["fulltext", "abstract"] = "abstract"
    abstract: str = ""
    # False when the text could not be had *for now* (arXiv down): a summary made from the
    # abstract then is provisional, and is made again once the text can be fetched
    final: bool = True


@dataclass(frozen=True)
class Subscription:
    """A chat, channel or topic and its settings, as the core sees it (never a table row).

    ``thread_id`` is None for "no topic". ``id`` is 0 for a chat that has no stored row yet.
    """

    id: int
    platform: str
    chat_id: str
    thread_id: str | None = None
    chat_title: str | None = None
    post_time: str = "09:00"
    timezone: str = "UTC"
    language: str = "en"
    style: str = "compact"
    top_n: int = 10
    min_votes: int = 0
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    empty_note: bool = False
    paused: bool = False
    rank: str = "votes"  # votes | personal
    digest_period: str = "daily"  # daily | weekly | monthly (bot/schedule.py)
    weekday: str = "mon"  # the weekly digest's day
    subscribed: bool = False
    active: bool = True
    failure_count: int = 0
    failed_days: tuple[date, ...] = ()  # digest days it could not be reached, since a success
    last_error: str | None = None
    # the delivery queue's view (bot/queue.py): when the engine takes it up next (None: it
    # posts nothing; EPOCH: to be scheduled) and the post moment its pending delivery is for
    next_post_at: datetime | None = None
    due_at: datetime | None = None

    @property
    def target(self) -> Target:
        return Target(self.platform, self.chat_id, self.thread_id)

    @property
    def receiving(self) -> bool:
        """Subscribed and not deactivated (paused chats still count as subscribed)."""
        return self.subscribed and self.active


@dataclass(frozen=True)
class DeliveryRecord:
    """One ledger entry: one digest day to one subscription, and how far sending got."""

    id: int
    subscription_id: int
    day: date
    status: str  # claimed | done | failed
    claimed_at: datetime
    finished_at: datetime | None = None
    messages_total: int = 0
    messages_sent: int = 0
    sent_ids: tuple[str, ...] = ()
    attempts: int = 0
    errors: int = 0  # the chat's own failures (platform-wide ones are not counted)
    last_error: str | None = None
