"""The archive: Daily Papers days kept in the database, fetched from the source only when needed.

Why these papers? Hugging Face features papers on a *day* D (not their arXiv date), and keeps adding
papers and votes to D until about 02:40 UTC on D+1. So "today's digest" is the most recent day that
has settled and that had papers at all: on a Monday morning that is last Friday, because weekends
and holidays feature nothing. A settled day is fetched once more after it settles and then never
again; an unfinished day is re-fetched at most once per refresh interval, however many chats ask.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from sqlalchemy import delete, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.db import Database
from bot.domain import FeaturedPaper, PaperInfo
from bot.errors import BadArgument, SourceUnavailable, TooManyRequests
from bot.models import FeaturedRow, FetchedDayRow, PaperRow
from bot.ports import PaperSource

log = logging.getLogger(__name__)
T = TypeVar("T")

SETTLE_TIME = time(2, 40)  # UTC, on the day after: a day's list no longer changes much after this
LOOKBACK_DAYS = 10  # how far back "today's digest" looks for a day with papers
MAX_SEARCH_WORDS = 32
MAX_SEARCH_RESULTS = 500  # /search counts (and pages through) at most this many matches

# The exact expression of the GIN index ix_paper_search (migration 0001): PostgreSQL uses the
# index only when the query repeats it word for word.
PG_SEARCH_DOCUMENT = (
    "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(abstract, '') "
    "|| ' ' || coalesce(ai_summary, '') || ' ' || coalesce(authors::text, '') "
    "|| ' ' || coalesce(keywords::text, ''))"
)


@dataclass
class Patience:
    """How long an interactive command may wait for the source, and whether it had to stop."""

    deadline: float  # event loop time
    late: bool = False  # some data shown is older than the source would have given


_patience: ContextVar[Patience | None] = ContextVar("archive_patience", default=None)


@contextmanager
def impatient(seconds: float) -> Iterator[Patience]:
    """Within this block the archive waits at most ``seconds`` in all for the source.

    A fetch that takes longer goes on in the background (and stores what it gets); meanwhile
    the stored copy is served and ``Patience.late`` is set, so the reply can say so. Fetches
    started here count against the interactive share of the source's quota.
    """
    state = Patience(asyncio.get_running_loop().time() + seconds)
    token = _patience.set(state)
    try:
        yield state
    finally:
        _patience.reset(token)


def note_late() -> None:
    """Within ``impatient``: what is shown is the stored copy, not the source's latest."""
    patience = _patience.get()
    if patience is not None:
        patience.late = True


async def _within_patience(work: Awaitable[T], what: str) -> T:
    """``await work``, but within ``impatient`` only until its deadline."""
    patience = _patience.get()
    if patience is None:
        return await work
    remaining = patience.deadline - asyncio.get_running_loop().time()
    try:
        return await asyncio.wait_for(work, timeout=max(remaining, 0.01))
    except TimeoutError:
        raise SourceUnavailable(f"Hugging Face has not answered for {what} in time") from None


def settle_time(day: date) -> datetime:
    """When the papers of ``day`` stop changing: 02:40 UTC the next day."""
    return datetime.combine(day + timedelta(days=1), SETTLE_TIME, tzinfo=UTC)


def latest_settled_day(now: datetime) -> date:
    """The most recent Daily Papers day that is finished at ``now``.

    Why these papers? A day D keeps collecting papers until about 02:40 UTC on D+1. Before that
    time on day N, yesterday (N-1) is still filling up, so the last finished day is N-2.
    """
    now = _utc(now)
    yesterday = now.date() - timedelta(days=1)
    return yesterday if now.time() >= SETTLE_TIME else yesterday - timedelta(days=1)


class Archive:
    """Days of featured papers in the database, filled from a ``PaperSource`` on demand."""

    def __init__(
        self,
        db: Database,
        source: PaperSource,
        *,
        refresh: timedelta = timedelta(minutes=30),
        lookback_days: int = LOOKBACK_DAYS,
        interactive_fetches: int = 250,
    ) -> None:
        self.db = db
        self.source = source
        self.refresh = refresh
        self.lookback_days = lookback_days
        # one fetch per day at a time; everyone who needs that day waits for the same one
        self._inflight: dict[date, asyncio.Task[None]] = {}
        # the share of Hugging Face's 500 requests / 5 minutes chat commands may use
        self._interactive = AsyncLimiter(max(interactive_fetches, 1), 300)

    async def aclose(self) -> None:
        """Cancel fetches still running in the background (at shutdown)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- which day -------------------------------------------------------------------------------

    async def todays_digest_date(self, now: datetime) -> date:
        """The day today's digest shows: the latest settled day that featured any papers.

        Why these papers? Walking back from ``latest_settled_day(now)`` skips weekends and holidays,
        which feature nothing, so Monday's digest is Friday's papers. If no day of the last
        ``lookback_days`` has papers, that is a fault of the source (empty answers), not ten
        empty days: ``SourceUnavailable``, so nobody is sent an empty morning post.
        """
        settled = latest_settled_day(now)
        unreachable: SourceUnavailable | None = None
        for back in range(self.lookback_days):
            day = settled - timedelta(days=back)
            try:
                await self._ensure_or_stale(day, now)
            except SourceUnavailable as exc:  # never fetched, source down: look further back
                unreachable = unreachable or exc
                continue
            if await self._count(day) > 0:
                if unreachable is not None:
                    note_late()
                return day
        if unreachable is not None:
            raise unreachable
        raise SourceUnavailable(
            f"Hugging Face listed no papers for any of the {self.lookback_days} days up to "
            f"{settled}; that looks like a fault on its side, asking again later."
        )

    # --- fetching --------------------------------------------------------------------------------

    async def ensure_day(self, day: date, now: datetime) -> None:
        """Fetch ``day`` from the source and store it, unless the stored copy is good enough.

        Fetched when never fetched, or when not complete and either the last fetch is older
        than the refresh interval or the day has settled since (that copy is known to be
        unfinished). A day fetched after its settle time is complete and never fetched again,
        unless the answer was a suspicious empty list (see ``_store_day``).
        Future days are not fetched. Raises ``SourceUnavailable`` when the source fails.
        """
        now = _utc(now)
        if day > now.date():
            return
        task = self._inflight.get(day)
        if task is None:
            fetched = await self.db.run(lambda session: session.get(FetchedDayRow, day))
            if fetched is not None and (fetched.complete or not self._stale(day, fetched, now)):
                return
            if _patience.get() is not None:  # a chat command: within its share of the quota
                if not self._interactive.has_capacity():
                    raise TooManyRequests(
                        "Too many requests to Hugging Face from chats; try again in a minute.",
                        retry_after=60,
                    )
                await self._interactive.acquire()  # has capacity: returns at once
            task = self._inflight.get(day) or self._start_fetch(day, now)
        patience = _patience.get()
        if patience is None:
            await asyncio.shield(task)
            return
        remaining = patience.deadline - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=max(remaining, 0))
        except TimeoutError:
            raise SourceUnavailable(
                f"Hugging Face has not answered for {day} yet (still asking)"
            ) from None

    def _start_fetch(self, day: date, now: datetime) -> asyncio.Task[None]:
        task = asyncio.create_task(self._fetch(day, now), name=f"fetch {day}")
        self._inflight[day] = task
        task.add_done_callback(lambda done: self._fetched(day, done))
        return task

    async def _fetch(self, day: date, now: datetime) -> None:
        papers = await self.source.fetch_day(day)
        await self.db.run(lambda session: _store_day(session, day, papers, now))

    def _fetched(self, day: date, task: asyncio.Task[None]) -> None:
        if self._inflight.get(day) is task:
            del self._inflight[day]
        if not task.cancelled() and task.exception() is not None:
            log.debug("fetching %s failed: %s", day, task.exception())

    def _stale(self, day: date, fetched: FetchedDayRow, now: datetime) -> bool:
        """An unfinished copy is refreshed once per interval, and once more after settling."""
        fetched_at = _utc(fetched.fetched_at)
        settles = settle_time(day)
        return now - fetched_at >= self.refresh or (fetched_at < settles <= now)

    async def _ensure_or_stale(self, day: date, now: datetime) -> None:
        """``ensure_day``, but a day fetched before is served stale when the source is down."""
        try:
            await self.ensure_day(day, now)
        except (SourceUnavailable, TooManyRequests) as exc:
            if await self.db.run(lambda session: session.get(FetchedDayRow, day)) is None:
                raise
            log.warning("Serving stored papers of %s: %s", day, exc)
            note_late()

    async def backfill(self, since: date, until: date, now: datetime) -> int:
        """Ensure every day from ``since`` to ``until`` (inclusive); returns the papers stored."""
        return (await self.backfill_report(since, until, now))[0]

    async def backfill_report(
        self,
        since: date,
        until: date,
        now: datetime,
        on_day: Callable[[date], None] | None = None,
    ) -> tuple[int, int]:
        """``backfill``, returning (featured papers stored for these days, how many are new),
        and calling ``on_day(day)`` after each day (a progress bar)."""
        if since > until:
            raise BadArgument(f"The start day {since} is after the end day {until}.")
        until = min(until, _utc(now).date())
        total = new = 0
        day = since
        while day <= until:
            before = await self._count(day)
            await self.ensure_day(day, now)
            after = await self._count(day)
            total += after
            new += max(after - before, 0)
            if on_day is not None:
                on_day(day)
            day += timedelta(days=1)
        return total, new

    # --- reading ---------------------------------------------------------------------------------

    async def day(self, day: date, now: datetime) -> list[FeaturedPaper]:
        """The papers featured on ``day``, most votes first (then by id)."""
        await self._ensure_or_stale(day, now)

        def work(session: Session) -> list[FeaturedPaper]:
            rows = session.exec(
                select(FeaturedRow, PaperRow)
                .join(PaperRow, col(PaperRow.arxiv_id) == col(FeaturedRow.arxiv_id))
                .where(col(FeaturedRow.day) == day)
                .order_by(col(FeaturedRow.votes).desc(), col(FeaturedRow.arxiv_id))
            ).all()
            return [_featured(paper, featured) for featured, paper in rows]

        return await self.db.run(work)

    async def top(
        self, n: int, days: int, now: datetime, *, end: date | None = None
    ) -> list[FeaturedPaper]:
        """The ``n`` most voted papers of the ``days`` days ending at ``end``.

        ``end`` defaults to today's digest date. Each paper appears once, with its best votes
        and the day it had them.
        """
        if n < 1 or days < 1:
            raise BadArgument("Ask for at least one paper over at least one day.")
        end = end or await self.todays_digest_date(now)
        start = end - timedelta(days=days - 1)
        for back in range(days):
            await self._ensure_or_stale(end - timedelta(days=back), now)

        def work(session: Session) -> list[tuple[FeaturedRow, PaperRow]]:
            return list(
                session.exec(
                    select(FeaturedRow, PaperRow)
                    .join(PaperRow, col(PaperRow.arxiv_id) == col(FeaturedRow.arxiv_id))
                    .where(col(FeaturedRow.day) >= start, col(FeaturedRow.day) <= end)
                ).all()
            )

        rows = await self.db.run(work)
        best: dict[str, tuple[FeaturedRow, PaperRow]] = {}
        for featured, paper in rows:
            seen = best.get(paper.arxiv_id)
            if seen is None or (featured.votes, featured.day) > (seen[0].votes, seen[0].day):
                best[paper.arxiv_id] = (featured, paper)
        ranked = sorted(best.values(), key=lambda pair: (-pair[0].votes, pair[1].arxiv_id))
        return [_featured(paper, featured) for featured, paper in ranked[:n]]

    async def search(self, query: str, limit: int = 10) -> list[FeaturedPaper]:
        """The best ``limit`` matches of ``search_all``."""
        return (await self.search_all(query))[: max(limit, 0)]

    async def search_all(self, query: str, cap: int = MAX_SEARCH_RESULTS) -> list[FeaturedPaper]:
        """Every stored paper matching all the query's words, best first: papers whose title
        holds every word above the others, then most votes, then id. The same order on SQLite
        and PostgreSQL: each database only says which papers match (in the title, anywhere),
        with its own stemming; the ranking is ours. ``len()`` is the true number of matches
        (up to ``cap``).

        The user's words are taken as plain words that must all appear (no search operators), so
        no input can be a query syntax error. Each result carries its most recent featured day.
        """
        if not query.strip():
            raise BadArgument("Type some words to search for, for example: /search diffusion")
        words = _search_words(query)
        if not words:
            return []
        return await self.db.run(lambda session: _search_all(session, words, cap))

    async def paper(self, arxiv_id: str, now: datetime | None = None) -> FeaturedPaper | None:
        """One paper: from the archive, else fetched from the source and stored.

        The result carries the paper's most recent featured day and votes. A paper that no stored
        day features (asked for by id) gets its arXiv publication date as ``day`` (or the date it
        was stored, when unknown) and 0 votes: the source does not tell us its votes per day.
        ``now`` only stamps the stored row.
        """
        stored = await self.stored_paper(arxiv_id)
        if stored is not None:
            return stored
        info = await _within_patience(self.source.fetch_paper(arxiv_id), f"paper {arxiv_id}")
        if info is None:
            return None
        stamp = _utc(now) if now else datetime.now(UTC)

        def store(session: Session) -> list[FeaturedPaper]:
            upsert_papers(session, [info], stamp)
            session.commit()
            return _with_latest_day(session, [info.arxiv_id])

        found = await self.db.run(store)
        return found[0] if found else None

    async def stored_paper(self, arxiv_id: str) -> FeaturedPaper | None:
        """One paper if the archive holds it, as ``paper`` returns it; never asks the source."""
        found = await self.db.run(lambda session: _with_latest_day(session, [arxiv_id]))
        return found[0] if found else None

    async def stored_days(self) -> list[date]:
        """Days with at least one stored paper, oldest first."""

        def work(session: Session) -> list[date]:
            return list(
                session.exec(
                    select(col(FeaturedRow.day)).distinct().order_by(col(FeaturedRow.day))
                ).all()
            )

        return await self.db.run(work)

    # --- helpers ---------------------------------------------------------------------------------

    async def _count(self, day: date) -> int:
        def work(session: Session) -> int:
            count = session.exec(
                select(func.count()).select_from(FeaturedRow).where(col(FeaturedRow.day) == day)
            ).one()
            return int(count)

        return await self.db.run(work)


def _store_day(session: Session, day: date, papers: Sequence[FeaturedPaper], now: datetime) -> None:
    """Store a fetched day. An empty answer is not proof of an empty day.

    ``[]`` for a weekday (Hugging Face features papers every weekday) or for a day we had
    papers for is kept unfinished, so it is asked again at the next refresh, and never
    replaces the papers we have. Only an empty weekend day can be complete.
    """
    settled = now >= settle_time(day)
    complete = settled
    ids = [fp.paper.arxiv_id for fp in papers]
    stored = int(
        session.exec(
            select(func.count()).select_from(FeaturedRow).where(col(FeaturedRow.day) == day)
        ).one()
    )
    if not papers and (day.weekday() < 5 or stored > 0):
        complete = False
        if settled or stored:
            log.warning(
                "Hugging Face listed no papers for %s (%d stored); keeping what we had "
                "and asking again later",
                day,
                stored,
            )
    if papers:
        upsert_papers(session, [fp.paper for fp in papers], now)
        _upsert(
            session,
            FeaturedRow,
            [
                {
                    "day": day,
                    "arxiv_id": fp.paper.arxiv_id,
                    "votes": fp.votes,
                    "comments": fp.comments,
                    "updated_at": now,
                }
                for fp in papers
            ],
            keys=["day", "arxiv_id"],
            update=["votes", "comments", "updated_at"],
        )
        # An unfinished day can lose papers (un-featured); forget those for this day.
        session.execute(
            delete(FeaturedRow).where(
                col(FeaturedRow.day) == day, col(FeaturedRow.arxiv_id).not_in(ids)
            )
        )
    _upsert(
        session,
        FetchedDayRow,
        [{"day": day, "fetched_at": now, "paper_count": len(ids) or stored, "complete": complete}],
        keys=["day"],
        update=["fetched_at", "paper_count", "complete"],
    )
    session.commit()


def _search_all(session: Session, words: list[str], cap: int) -> list[FeaturedPaper]:
    """The search itself, in one session (see ``Archive.search_all``)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                # "<" and ">" as spaces: PostgreSQL's parser would take "<Retrieval>"
                # for an XML tag and drop the word, where SQLite sees a word
                "SELECT arxiv_id, to_tsvector('english', "
                "regexp_replace(coalesce(title, ''), '[<>]', ' ', 'g')) @@ q "
                "FROM paper, plainto_tsquery('english', :words) AS q "
                f"WHERE {PG_SEARCH_DOCUMENT} @@ q LIMIT :n"
            ),
            {"words": " ".join(words), "n": cap},
        ).all()
        in_title = {row[0]: bool(row[1]) for row in rows}
    else:
        phrases = ['"' + word.replace('"', '""') + '"' for word in words]
        found = session.execute(
            text(
                "SELECT paper.arxiv_id FROM paper_fts "
                "JOIN paper ON paper.rowid = paper_fts.rowid "
                "WHERE paper_fts MATCH :match LIMIT :n"
            ),
            {"match": " ".join(phrases), "n": cap},
        ).all()
        titled = session.execute(
            text(
                "SELECT paper.arxiv_id FROM paper_fts "
                "JOIN paper ON paper.rowid = paper_fts.rowid "
                "WHERE paper_fts MATCH :match"
            ),
            {"match": " ".join(f"title : {phrase}" for phrase in phrases)},
        ).all()
        title_ids = {row[0] for row in titled}
        in_title = {row[0]: row[0] in title_ids for row in found}
    results = _with_latest_day(session, in_title)
    results.sort(key=lambda fp: (not in_title[fp.paper.arxiv_id], -fp.votes, fp.paper.arxiv_id))
    return results


def _with_latest_day(session: Session, arxiv_ids: Iterable[str]) -> list[FeaturedPaper]:
    ids = list(arxiv_ids)
    if not ids:
        return []
    papers = session.exec(select(PaperRow).where(col(PaperRow.arxiv_id).in_(ids))).all()
    latest: dict[str, FeaturedRow] = {}
    for featured in session.exec(
        select(FeaturedRow)
        .where(col(FeaturedRow.arxiv_id).in_(ids))
        .order_by(col(FeaturedRow.day).desc())
    ).all():
        latest.setdefault(featured.arxiv_id, featured)
    return [_featured(paper, latest.get(paper.arxiv_id)) for paper in papers]


def _search_words(query: str) -> list[str]:
    """The plain words of a query, the same for SQLite and PostgreSQL.

    Every word is a plain term: quotes, ``*``, parentheses and the like are not syntax. Search
    operators typed out of habit (AND, OR...) are dropped. English stop words are dropped too,
    as PostgreSQL's ``english`` configuration does: SQLite would otherwise require them, so
    ``/search OR`` or ``/search a*`` found papers on one database and nothing on the other. An
    English possessive or contraction ending ("model's", "don’t") is dropped for the same reason.
    """
    words = re.findall(r"\w+", _CONTRACTION.sub(" ", query))
    plain = [word for word in words if word not in _OPERATORS] or words
    return [word for word in plain if word.lower() not in STOP_WORDS][:MAX_SEARCH_WORDS]


_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_CONTRACTION = re.compile(r"(?<=\w)['’](?:s|t|d|m|ll|re|ve)\b", re.IGNORECASE)
# PostgreSQL's english.stop (Snowball's list): the words its 'english' search configuration skips
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself
    yourselves he him his himself she her hers herself it its itself
    they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as
    until while of at by for with about against between into through
    during before after above below to from up down in out on off
    over under again further then once here there when where why how
    all any both each few more most other some such no nor not only
    own same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def _featured(paper: PaperRow, featured: FeaturedRow | None) -> FeaturedPaper:
    info = PaperInfo(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(paper.authors or ()),
        organization=paper.organization,
        github_repo=paper.github_repo,
        github_stars=paper.github_stars,
        project_page=paper.project_page,
        keywords=tuple(paper.keywords or ()),
        ai_summary=paper.ai_summary,
        published_at=paper.published_at,
        thumbnail=paper.thumbnail,
    )
    if featured is None:
        when = paper.published_at or paper.updated_at
        return FeaturedPaper(day=_utc(when).date(), paper=info)
    return FeaturedPaper(
        day=featured.day, paper=info, votes=featured.votes, comments=featured.comments
    )


_NULLABLE = (
    "organization",
    "github_repo",
    "github_stars",
    "project_page",
    "ai_summary",
    "published_at",
    "thumbnail",
)


def upsert_papers(session: Session, papers: Sequence[PaperInfo], now: datetime) -> None:
    """Insert or update papers; a missing optional field never erases one we already know."""
    rows = [
        {
            "arxiv_id": p.arxiv_id,
            "title": p.title,
            "abstract": p.abstract,
            "authors": list(p.authors),
            "organization": p.organization,
            "github_repo": p.github_repo,
            "github_stars": p.github_stars,
            "project_page": p.project_page,
            "keywords": list(p.keywords),
            "ai_summary": p.ai_summary,
            "published_at": p.published_at,
            "thumbnail": p.thumbnail,
            "updated_at": now,
        }
        for p in {p.arxiv_id: p for p in papers}.values()
    ]
    _upsert(
        session,
        PaperRow,
        rows,
        keys=["arxiv_id"],
        update=["title", "abstract", "authors", "keywords", "updated_at"],
        keep_known=list(_NULLABLE),
    )


def _upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    *,
    keys: list[str],
    update: list[str],
    keep_known: Sequence[str] = (),
    chunk: int = 200,
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL (no race between processes).

    Columns in ``keep_known`` take the new value unless it is NULL.
    """
    table = model.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - the project supports these two databases
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    for start in range(0, len(rows), chunk):
        stmt = insert(table).values(rows[start : start + chunk])
        changes: dict[str, Any] = {name: stmt.excluded[name] for name in update}
        for name in keep_known:
            changes[name] = func.coalesce(stmt.excluded[name], table.c[name])
        session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))


def _utc(moment: datetime) -> datetime:
    """Aware UTC (a naive datetime is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
