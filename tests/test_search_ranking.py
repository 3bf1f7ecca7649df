"""/search ranks the same on SQLite and PostgreSQL: papers whose title holds every word first,
then the most voted, then by id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from bot.archive import Archive
from bot.db import Database
from bot.huggingface import HuggingFaceSource
from tests.fakes.huggingface import FakeHuggingFace

QUERIES = ("retrieval", "diffusion", "models", "video generation", "reasoning", "GANs", "agent")
LATER = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)


async def no_sleep(_seconds: float) -> None:
    return None


async def ranked(url: str, hf: FakeHuggingFace) -> dict[str, list[tuple[str, bool, int]]]:
    db = Database.from_url(url)
    try:
        async with httpx.AsyncClient(trust_env=False) as client:
            source = HuggingFaceSource(client, hf.base_url, token=None, sleep=no_sleep)
            archive = Archive(db, source, refresh=timedelta(minutes=30))
            await archive.backfill(date(2025, 1, 6), date(2025, 1, 14), LATER)
            for day in (date(2025, 5, 27), date(2025, 6, 25)):
                await archive.day(day, LATER)
            out = {}
            for query in QUERIES:
                results = await archive.search_all(query)
                out[query] = [(fp.paper.arxiv_id, fp.paper.title, fp.votes) for fp in results]
            return out
    finally:
        db.dispose()


def in_title(query: str, title: str) -> bool:
    stems = [word.lower().rstrip("s")[:6] for word in query.split()]
    return all(stem in title.lower() for stem in stems)


async def test_same_order_on_sqlite_and_postgres(sqlite_url: str, postgres_url: str) -> None:
    async with FakeHuggingFace() as hf:
        lite = await ranked(sqlite_url, hf)
        pg = await ranked(postgres_url, hf)
    for query in QUERIES:
        lite_ids = [aid for aid, _, _ in lite[query]]
        assert lite_ids, query
        assert lite_ids == [aid for aid, _, _ in pg[query]], query


async def test_title_matches_first_then_votes(sqlite_url: str) -> None:
    async with FakeHuggingFace() as hf:
        results = await ranked(sqlite_url, hf)
    for query in ("retrieval", "diffusion", "reasoning"):
        rows = results[query]
        tiers = [not in_title(query, title) for _, title, _ in rows]
        assert tiers == sorted(tiers), query  # every title match before any other match
        assert False in tiers and True in tiers, query  # both kinds exist in the fixtures
        for tier in (False, True):
            votes = [v for (_, _, v), t in zip(rows, tiers, strict=True) if t is tier]
            assert votes == sorted(votes, reverse=True), query
