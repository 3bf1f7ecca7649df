"""Database tables (SQLModel). One table per idea; see docs/architecture.md."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    UniqueConstraint,
    and_,
    case,
    event,
    inspect,
    literal,
    not_,
    null,
)
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# subscription.next_post_at for "the engine should work out when this row posts next"
SCHEDULE_ME = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class PaperRow(SQLModel, table=True):
    """A paper, once, however many days featured it."""

    __tablename__ = "paper"

    arxiv_id: str = Field(primary_key=True, max_length=32)
    title: str
    abstract: str = ""
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    organization: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ai_summary: str | None = None
    published_at: datetime | None = None
    thumbnail: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class FeaturedRow(SQLModel, table=True):
    """A paper featured on a Daily Papers day, with its votes when last fetched."""

    __tablename__ = "featured"
    __table_args__ = (UniqueConstraint("day", "arxiv_id", name="uq_featured_day_paper"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    arxiv_id: str = Field(foreign_key="paper.arxiv_id", index=True, max_length=32)
    votes: int = 0
    comments: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class FetchedDayRow(SQLModel, table=True):
    """When a day was last fetched; a complete day is never fetched again."""

    __tablename__ = "fetched_day"

    day: date = Field(primary_key=True)
    fetched_at: datetime
    paper_count: int = 0
    complete: bool = False


class SubscriptionRow(SQLModel, table=True):
    """A chat, channel or topic that receives the morning digest, with its settings."""

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "thread_id", name="uq_subscription_target"),
        # the queue: "due on these platforms, oldest first" is one index range scan
        Index("ix_subscription_due", "platform", "next_post_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16, index=True)
    chat_id: str = Field(max_length=64)
    # "" (not NULL) means "no topic", so the unique constraint holds on every database
    thread_id: str = Field(default="", max_length=64)
    chat_title: str | None = None
    post_time: str = Field(default="09:00", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=32)
    style: str = Field(default="compact", max_length=16)
    top_n: int = 10
    min_votes: int = 0
    include_keywords: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    exclude_keywords: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    empty_note: bool = False
    paused: bool = False
    rank: str = Field(default="votes", max_length=16)  # votes | personal
    digest_period: str = Field(default="daily", max_length=16)  # daily | weekly | monthly
    weekday: str = Field(default="mon", max_length=3)  # the weekly digest's day: mon..sun
    subscribed: bool = True
    active: bool = True
    failure_count: int = 0
    # the digest days (ISO dates) on which the chat could not be reached since its last
    # success; DEACTIVATE_AFTER_FAILED_DAYS of them deactivate it (bot/subscriptions.py)
    failed_days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # the delivery queue (bot/queue.py): when the engine next takes this row up (NULL: it posts
    # nothing; EPOCH: schedule it), the post moment pending, and the instance holding it
    # (a row inserted without the ORM, in bulk, is looked at once at the first tick)
    next_post_at: datetime | None = Field(default=SCHEDULE_ME)
    due_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=180, index=True)
    claimed_at: datetime | None = None


class DeliveryRow(SQLModel, table=True):
    """The ledger: one digest day to one subscription, claimed before sending."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "day", name="uq_delivery_sub_day"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    day: date
    status: str = Field(default="claimed", max_length=16)  # claimed | done | failed
    claimed_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    messages_total: int = 0
    messages_sent: int = 0
    sent_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    errors: int = 0  # the chat's own failures; platform-wide ones (network, 5xx, 429) never count
    last_error: str | None = None


class RatingRow(SQLModel, table=True):
    """One member's 👍 (+1) or 👎 (-1) on a paper, for one chat; changing it overwrites it."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint(
            "platform", "chat_id", "thread_id", "user_id", "arxiv_id", name="uq_rating_vote"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    thread_id: str = Field(default="", max_length=64)
    user_id: str = Field(default="", max_length=64)
    arxiv_id: str = Field(foreign_key="paper.arxiv_id", index=True, max_length=32)
    value: int  # +1 or -1
    rated_at: datetime = Field(default_factory=utcnow)


class SummaryRow(SQLModel, table=True):
    """An LLM summary, cached once per (paper, language, prompt version, model)."""

    __tablename__ = "summary"
    __table_args__ = (
        UniqueConstraint("arxiv_id", "language", "prompt_version", "model", name="uq_summary_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    arxiv_id: str = Field(foreign_key="paper.arxiv_id", index=True, max_length=32)
    language: str = Field(max_length=32)
    prompt_version: str = Field(max_length=16)
    model: str = Field(max_length=128)
    whats_new: str
    technical_details: str
    performance_highlights: str
    created_at: datetime = Field(default_factory=utcnow)
    # the model's input: "fulltext" (an extract of the paper) or "abstract"; NULL before v2
    based_on: str | None = Field(default=None, max_length=16)


class LlmUsageRow(SQLModel, table=True):
    """One summarizer event (call, cache hit, failure) with its token counts."""

    __tablename__ = "llm_usage"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    arxiv_id: str = Field(max_length=32)
    language: str = Field(max_length=32)
    model: str = Field(max_length=128)
    event: str = Field(max_length=16)  # call | hit | failed
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    # for calls: what the summary was made from ("fulltext" or "abstract")
    based_on: str | None = Field(default=None, max_length=16)


class PaperExtractRow(SQLModel, table=True):
    """A paper's budgeted full-text extract, fetched from arXiv once, for every language.

    ``status`` is ``html`` or ``pdf`` (where the text came from) or ``unavailable`` (arXiv has
    neither: the abstract is used and arXiv is not asked again). Passing failures are not stored.
    """

    __tablename__ = "paper_extract"

    arxiv_id: str = Field(primary_key=True, foreign_key="paper.arxiv_id", max_length=32)
    status: str = Field(max_length=16)
    extract: str = ""
    abstract: str = ""
    tokens: int = 0  # estimate_tokens(extract)
    budget: int = 0  # the token budget the extract was built for
    fetched_at: datetime = Field(default_factory=utcnow)


class RuntimeStateRow(SQLModel, table=True):
    """What a running bot last reported about itself (for ``dailypapers status``), by key."""

    __tablename__ = "runtime_state"

    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class InstanceRow(SQLModel, table=True):
    """A running ``dailypapers run`` process: its identity and heartbeat (see bot/instances.py)."""

    __tablename__ = "instance"

    id: str = Field(primary_key=True, max_length=128)
    boot: str = Field(max_length=32)  # changes at every start of the process
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow, index=True)
    stopped: bool = False


class LeaseRow(SQLModel, table=True):
    """A named role that one instance at a time may hold until ``expires_at`` (a leader lease)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime


class PaceRow(SQLModel, table=True):
    """The next free send slot of one rate-limit key (a bot token), shared by all processes.

    ``tat`` is the GCRA's theoretical arrival time in epoch seconds on the database's clock;
    used on PostgreSQL only (see ``bot/pacing.py``).
    """

    __tablename__ = "pace"

    key: str = Field(primary_key=True, max_length=100)
    tat: float = 0.0


# the columns that decide when (and whether) a subscription posts
_SCHEDULE_COLUMNS = (
    "post_time",
    "timezone",
    "subscribed",
    "active",
    "paused",
    "digest_period",
    "weekday",
)


def posts(row: SubscriptionRow) -> bool:
    """Whether a subscription takes part in the morning post at all."""
    return bool(row.subscribed and row.active and not row.paused)


def _flag(row: SubscriptionRow, state: Any, name: str) -> Any:
    """This flush's value if it sets it, else the column: the database's value when the UPDATE
    runs (this session's copy may be stale: another session may have subscribed meanwhile)."""
    if state.attrs[name].history.has_changes():
        return literal(bool(getattr(row, name)))
    return getattr(SubscriptionRow, name)


@event.listens_for(OrmSession, "before_flush")
def _mark_schedule(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Keep the delivery queue true to the settings, whatever code path writes them.

    A new subscription, or one whose schedule changed, is marked ``SCHEDULE_ME`` (the engine
    works out its next post moment at the next tick; the ledger keeps a day from being sent
    twice) or ``NULL`` when it posts nothing, so an idle tick never looks at it.
    """
    for row in [*session.new, *session.dirty]:
        if not isinstance(row, SubscriptionRow):
            continue
        new = row in session.new
        state = inspect(row)
        if new:
            changed = row.next_post_at is None or row.next_post_at < SCHEDULE_ME + timedelta(1)
        else:
            changed = any(state.attrs[name].history.has_changes() for name in _SCHEDULE_COLUMNS)
        if not changed:
            continue
        # a distinct mark each time (SCHEDULE_ME plus a few microseconds), so a delivery in
        # flight that saw an earlier mark cannot overwrite this change when it settles
        mark = SCHEDULE_ME + timedelta(microseconds=secrets.randbelow(999_999) + 1)
        row.due_at = None
        if new:
            row.next_post_at = mark if posts(row) else None
            continue

        receiving = and_(
            _flag(row, state, "subscribed"),
            _flag(row, state, "active"),
            not_(_flag(row, state, "paused")),
        )
        row.next_post_at = case(  # type: ignore[assignment]
            (receiving, literal(mark, UTCDateTime())), else_=null()
        )
