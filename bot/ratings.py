"""Ratings: each member's 👍/👎 on a paper, for one chat (one vote per member, changeable).

A chat's *profile* is every member's votes added up per paper: in a group everyone counts. All
access goes through ``Database.run`` (a thread pool), never on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.archive import _featured
from bot.db import Database
from bot.domain import FeaturedPaper, PaperInfo, Target
from bot.models import FeaturedRow, PaperRow, RatingRow, utcnow

LIKE, DISLIKE = 1, -1


@dataclass(frozen=True)
class RatedPaper:
    """A paper with the chat's net rating (sum of members' votes) and its members' counts."""

    paper: PaperInfo
    score: int
    likes: int
    dislikes: int
    last_rated: datetime


def _where(target: Target) -> tuple[ColumnElement[bool], ...]:
    return (
        col(RatingRow.platform) == target.platform,
        col(RatingRow.chat_id) == target.chat_id,
        col(RatingRow.thread_id) == (target.thread_id or ""),
    )


class Ratings:
    """Reads and writes the ``rating`` table; every method is async (``db.run``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def rate(self, target: Target, user_id: str | None, arxiv_id: str, value: int) -> bool:
        """Record (or change) one member's vote; True when it changed anything."""
        if value not in (LIKE, DISLIKE):
            raise ValueError("a rating is +1 or -1")
        user = user_id or ""

        def write(session: Session) -> bool:
            for _ in range(2):  # a concurrent first vote by the same member: read it back
                row = session.exec(
                    select(RatingRow).where(
                        *_where(target),
                        col(RatingRow.user_id) == user,
                        col(RatingRow.arxiv_id) == arxiv_id,
                    )
                ).first()
                if row is not None:
                    if row.value == value:
                        return False
                    row.value = value
                    row.rated_at = utcnow()
                    session.add(row)
                    session.commit()
                    return True
                session.add(
                    RatingRow(
                        platform=target.platform,
                        chat_id=target.chat_id,
                        thread_id=target.thread_id or "",
                        user_id=user,
                        arxiv_id=arxiv_id,
                        value=value,
                    )
                )
                try:
                    session.commit()
                    return True
                except IntegrityError:
                    session.rollback()
            return False

        return await self.db.run(write)

    async def profile(self, target: Target) -> dict[str, int]:
        """arxiv id → net rating (likes minus dislikes over every member of the chat)."""

        def read(session: Session) -> dict[str, int]:
            rows = session.exec(
                select(RatingRow.arxiv_id, func.sum(RatingRow.value))
                .where(*_where(target))
                .group_by(col(RatingRow.arxiv_id))
            ).all()
            return {arxiv_id: int(total or 0) for arxiv_id, total in rows}

        return await self.db.run(read)

    async def rated(self, target: Target, limit: int | None = None) -> list[RatedPaper]:
        """The chat's rated papers with their text (for training and /ratings), newest first."""

        def read(session: Session) -> list[RatedPaper]:
            votes = session.exec(select(RatingRow).where(*_where(target))).all()
            by_paper: dict[str, list[RatingRow]] = {}
            for vote in votes:
                by_paper.setdefault(vote.arxiv_id, []).append(vote)
            if not by_paper:
                return []
            papers = session.exec(
                select(PaperRow).where(col(PaperRow.arxiv_id).in_(sorted(by_paper)))
            ).all()
            result = []
            for paper in papers:
                cast = by_paper[paper.arxiv_id]
                result.append(
                    RatedPaper(
                        paper=_featured(paper, None).paper,
                        score=sum(v.value for v in cast),
                        likes=sum(1 for v in cast if v.value > 0),
                        dislikes=sum(1 for v in cast if v.value < 0),
                        last_rated=max(v.rated_at for v in cast),
                    )
                )
            result.sort(key=lambda r: (r.last_rated, r.paper.arxiv_id), reverse=True)
            return result[:limit] if limit else result

        return await self.db.run(read)

    async def forget(self, target: Target) -> int:
        """Delete every rating of the chat (``/settings rank reset``); returns how many."""

        def write(session: Session) -> int:
            result = session.exec(delete(RatingRow).where(*_where(target)))
            session.commit()
            return int(result.rowcount or 0)

        return await self.db.run(write)

    async def recent_papers(self, end: date, days: int) -> list[FeaturedPaper]:
        """Each paper featured in the ``days`` days ending at ``end``, once (its best votes)."""
        start = end - timedelta(days=days - 1)

        def read(session: Session) -> list[FeaturedPaper]:
            rows = session.exec(
                select(FeaturedRow, PaperRow)
                .join(PaperRow, col(PaperRow.arxiv_id) == col(FeaturedRow.arxiv_id))
                .where(col(FeaturedRow.day) >= start, col(FeaturedRow.day) <= end)
            ).all()
            best: dict[str, tuple[FeaturedRow, PaperRow]] = {}
            for featured, paper in rows:
                seen = best.get(paper.arxiv_id)
                if seen is None or (featured.votes, featured.day) > (seen[0].votes, seen[0].day):
                    best[paper.arxiv_id] = (featured, paper)
            ranked = sorted(best.values(), key=lambda p: (-p[0].votes, p[1].arxiv_id))
            return [_featured(paper, featured) for featured, paper in ranked]

        return await self.db.run(read)
