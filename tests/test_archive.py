"""The archive on SQLite and PostgreSQL, filled by the real HuggingFaceSource from the fake API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.archive import Archive, latest_settled_day, settle_time
from bot.db import Database
from bot.errors import BadArgument, SourceUnavailable
from bot.huggingface import HuggingFaceSource
from bot.models import FeaturedRow, PaperRow
from tests.fakes.hf_data import SEED_IDS, load_day, make_item
from tests.fakes.huggingface import FakeHuggingFace

FRI = date(2025, 1, 10)
MONDAY_MORNING = datetime(2025, 1, 13, 9, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database.from_url(url)
    yield db
    db.dispose()


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as fake:
        yield fake


@pytest.fixture
async def archive(database: Database, hf: FakeHuggingFace) -> AsyncIterator[Archive]:
    async with httpx.AsyncClient(trust_env=False) as client:
        source = HuggingFaceSource(client, hf.base_url, token=None, max_retries=1, sleep=no_sleep)
        yield Archive(database, source, refresh=timedelta(minutes=30))


def featured_rows(db: Database, day: date | None = None) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(FeaturedRow)
        if day is not None:
            query = query.where(FeaturedRow.day == day)
        return int(session.exec(query).one())


# --- which day ------------------------------------------------------------------------------


def test_latest_settled_day_turns_at_0240_utc():
    assert latest_settled_day(at(date(2025, 1, 11), 2, 39)) == date(2025, 1, 9)
    assert latest_settled_day(at(date(2025, 1, 11), 2, 40)) == date(2025, 1, 10)
    assert latest_settled_day(at(date(2025, 1, 11), 0, 0)) == date(2025, 1, 9)
    assert latest_settled_day(at(date(2025, 1, 11), 23, 59)) == date(2025, 1, 10)


def test_latest_settled_day_reads_other_timezones_as_utc():
    paris = timezone(timedelta(hours=1))
    # 03:39 in Paris is 02:39 UTC: not settled yet
    assert latest_settled_day(datetime(2025, 1, 11, 3, 39, tzinfo=paris)) == date(2025, 1, 9)
    assert latest_settled_day(datetime(2025, 1, 11, 3, 40, tzinfo=paris)) == date(2025, 1, 10)
    # naive means UTC
    assert latest_settled_day(datetime(2025, 1, 11, 2, 40)) == date(2025, 1, 10)
    assert settle_time(FRI) == datetime(2025, 1, 11, 2, 40, tzinfo=UTC)


async def test_monday_morning_digest_is_friday_via_empty_weekend(archive, hf):
    assert await archive.todays_digest_date(MONDAY_MORNING) == FRI
    assert [r.query["date"] for r in hf.requests] == ["2025-01-12", "2025-01-11", "2025-01-10"]
    # the weekend was fetched after it settled: complete, never fetched again
    assert await archive.todays_digest_date(MONDAY_MORNING + timedelta(hours=5)) == FRI
    assert len(hf.requests) == 3


async def test_digest_date_before_settle_time_is_the_day_before_yesterday(archive, hf):
    # Tuesday 02:39: Monday is still filling, Sunday and Saturday are empty -> Friday
    assert await archive.todays_digest_date(at(date(2025, 1, 14), 2, 39)) == FRI
    assert await archive.todays_digest_date(at(date(2025, 1, 14), 2, 40)) == date(2025, 1, 13)


async def test_digest_date_when_everything_is_empty(database, hf):
    hf.days = {}
    async with httpx.AsyncClient(trust_env=False) as client:
        source = HuggingFaceSource(client, hf.base_url, token=None)
        archive = Archive(database, source, lookback_days=4)
        assert await archive.todays_digest_date(MONDAY_MORNING) == date(2025, 1, 12)
    assert hf.count() == 4


# --- fetching and storing -------------------------------------------------------------------


async def test_day_is_stored_best_first(archive, hf, database):
    papers = await archive.day(FRI, MONDAY_MORNING)

    assert [fp.paper.arxiv_id for fp in papers] == [
        "2501.05366",
        "2501.05441",
        "2501.05453",
        "2501.04003",
        "2501.03489",  # three papers with 5 votes: by id
        "2501.04377",
        "2501.05032",
        "2501.05122",
        "2501.04828",
        "2501.05040",
    ]
    assert sorted(fp.paper.arxiv_id for fp in papers) == sorted(SEED_IDS)
    assert papers[0].votes == 39 and papers[0].day == FRI
    assert papers[3].paper.title.startswith("Are VLMs Ready for Autonomous Driving? An Empirical")
    assert "\n" not in papers[3].paper.title
    assert papers[-1].paper.authors[-1] == "Difan Zou"
    assert featured_rows(database, FRI) == 10


async def test_complete_day_is_never_fetched_again(archive, hf):
    await archive.day(FRI, MONDAY_MORNING)
    await archive.day(FRI, MONDAY_MORNING + timedelta(hours=1))
    await archive.day(FRI, MONDAY_MORNING + timedelta(days=30))
    assert hf.count(date="2025-01-10") == 1


async def test_unfinished_day_refreshes_once_per_interval_and_updates_votes(archive, hf, database):
    noon = at(FRI, 12)
    first = await archive.day(FRI, noon)
    assert first[0].votes == 39

    hf.set_votes("2025-01-10", "2501.05040", 100)
    again = await archive.day(FRI, noon + timedelta(minutes=29))
    assert hf.count(date="2025-01-10") == 1
    assert again[0].paper.arxiv_id == "2501.05366"

    refreshed = await archive.day(FRI, noon + timedelta(minutes=31))
    assert hf.count(date="2025-01-10") == 2
    assert refreshed[0].paper.arxiv_id == "2501.05040" and refreshed[0].votes == 100
    assert featured_rows(database) == 10
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(PaperRow)).one() == 10

    # fetched once more after it settled: complete from then on
    await archive.day(FRI, at(date(2025, 1, 11), 3))
    await archive.day(FRI, at(date(2025, 1, 11), 9))
    assert hf.count(date="2025-01-10") == 3
    assert featured_rows(database) == 10


async def test_day_fetched_just_before_settling_is_fetched_again_once_settled(archive, hf):
    # fetched at 02:30 while still filling: the 02:45 digest must not show that copy
    await archive.day(FRI, at(date(2025, 1, 11), 2, 30))
    hf.set_votes("2025-01-10", "2501.05040", 100)

    papers = await archive.day(FRI, at(date(2025, 1, 11), 2, 45))
    assert hf.count(date="2025-01-10") == 2
    assert papers[0].paper.arxiv_id == "2501.05040" and papers[0].votes == 100
    await archive.day(FRI, at(date(2025, 1, 11), 2, 50))
    assert hf.count(date="2025-01-10") == 2


async def test_refetch_of_unfinished_day_drops_unfeatured_papers(archive, hf, database):
    noon = at(FRI, 12)
    await archive.day(FRI, noon)
    hf.set_day("2025-01-10", load_day("2025-01-10")[:7])

    papers = await archive.day(FRI, noon + timedelta(hours=1))
    assert len(papers) == 7
    assert featured_rows(database, FRI) == 7


async def test_empty_refetch_keeps_what_we_had(archive, hf):
    noon = at(FRI, 12)
    await archive.day(FRI, noon)
    hf.set_day("2025-01-10", [])
    assert len(await archive.day(FRI, noon + timedelta(hours=1))) == 10


async def test_future_days_are_not_fetched(archive, hf):
    assert await archive.day(date(2025, 1, 14), at(FRI, 12)) == []
    assert hf.count() == 0


async def test_paged_day_is_stored_whole(archive, hf, database):
    papers = await archive.day(date(2025, 5, 27), at(date(2025, 6, 1), 9))
    assert len(papers) == 57
    assert featured_rows(database, date(2025, 5, 27)) == 57
    assert hf.count(date="2025-05-27") == 2


async def test_concurrent_requests_for_a_day_fetch_once(archive, hf):
    hf.delay_next(0.1)
    results = await asyncio.gather(*(archive.day(FRI, MONDAY_MORNING) for _ in range(6)))
    assert all(len(papers) == 10 for papers in results)
    assert hf.count(date="2025-01-10") == 1


async def test_refetch_keeps_known_optional_fields(archive, hf):
    await archive.day(date(2025, 6, 25), at(date(2025, 6, 26), 9))
    hf.set_day(
        "2025-06-27",
        [
            make_item(
                "2506.18871", "OmniGen2: Exploration to Advanced Multimodal Generation", votes=5
            )
        ],
    )
    (again,) = await archive.day(date(2025, 6, 27), at(date(2025, 6, 28), 9))
    assert again.paper.github_repo == "https://github.com/VectorSpaceLab/OmniGen2"
    assert again.paper.organization == "Beijing Academy of Artificial Intelligence"
    assert again.votes == 5


async def test_source_down_serves_stored_day_but_reports_unknown_day(archive, hf):
    noon = at(FRI, 12)
    await archive.day(FRI, noon)
    hf.fail_next(503, times=10)

    stale = await archive.day(FRI, noon + timedelta(hours=2))
    assert len(stale) == 10
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        await archive.day(date(2025, 1, 9), noon + timedelta(hours=2))


async def test_backfill_and_stored_days(archive, hf):
    stored = await archive.backfill(date(2025, 1, 6), date(2025, 1, 20), at(date(2025, 1, 15), 9))
    assert stored == 3 + 2 + 3 + 3 + 10 + 0 + 0 + 3 + 3
    assert await archive.stored_days() == [
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
        date(2025, 1, 9),
        date(2025, 1, 10),
        date(2025, 1, 13),
        date(2025, 1, 14),
    ]
    assert hf.count(date="2025-01-16") == 0  # not past "now"
    with pytest.raises(BadArgument):
        await archive.backfill(date(2025, 1, 9), date(2025, 1, 6), at(date(2025, 1, 15), 9))


# --- top, search, paper ---------------------------------------------------------------------


async def test_top_week_ends_at_todays_digest_date(archive, hf):
    top = await archive.top(5, 7, MONDAY_MORNING)
    assert [(fp.paper.arxiv_id, fp.votes, fp.day) for fp in top] == [
        ("2501.04519", 210, date(2025, 1, 8)),
        ("2501.04682", 52, date(2025, 1, 9)),
        ("2501.03895", 41, date(2025, 1, 8)),
        ("2501.05366", 39, FRI),
        ("2501.03226", 31, date(2025, 1, 7)),
    ]
    everything = await archive.top(100, 7, MONDAY_MORNING)
    gan = [fp for fp in everything if fp.paper.arxiv_id == "2501.05441"]
    assert [(fp.votes, fp.day) for fp in gan] == [(24, FRI)]  # featured twice, listed once
    assert len(everything) == 3 + 2 + 3 + 3 + 10 - 1
    assert hf.count(date="2025-01-13") == 0  # the week ends at Friday's digest
    with pytest.raises(BadArgument):
        await archive.top(0, 7, MONDAY_MORNING)


async def test_search_finds_diffusion_with_latest_day(archive, hf):
    await archive.backfill(date(2025, 1, 6), date(2025, 1, 10), MONDAY_MORNING)
    await archive.day(date(2025, 6, 25), at(date(2025, 6, 26), 9))

    results = await archive.search("diffusion", limit=20)
    ids = {fp.paper.arxiv_id for fp in results}
    assert {"2501.05441", "2501.05453", "2501.04377", "2501.01427", "2506.19851"} <= ids
    assert "2501.05366" not in ids
    gan = next(fp for fp in results if fp.paper.arxiv_id == "2501.05441")
    assert gan.day == FRI and gan.votes == 24  # most recent featured day
    assert len(await archive.search("diffusion", limit=2)) == 2

    # a title hit outranks abstract mentions; stemming finds plurals
    assert (await archive.search("AnimaX"))[0].paper.arxiv_id == "2506.19851"
    assert (await archive.search("GANs"))[0].paper.arxiv_id == "2501.05441"
    # every word must appear
    assert [fp.paper.arxiv_id for fp in await archive.search("rStar math")] == ["2501.04519"]
    assert (await archive.search("Gokaslan"))[
        0
    ].paper.arxiv_id == "2501.05441"  # authors are indexed


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ('"', False),
        ('"diffusion', True),
        ("diffusion AND", True),
        ("AND OR NOT", False),
        ("diffusion*", True),
        ("*", False),
        ("(", False),
        ("diffusion) OR (", True),
        ("NEAR(diffusion models", True),
        ("title:diffusion", False),  # no column filters: "title" is just a word
        ("-diffusion ^models", True),
        ("'; DROP TABLE paper; --", False),
        ("x" * 10_000, False),
        ("diffusion " * 1_000, True),
    ],
)
async def test_search_never_fails_on_operators(archive, hf, database, query, finds):
    await archive.day(FRI, MONDAY_MORNING)
    await archive.day(date(2025, 1, 9), MONDAY_MORNING)
    results = await archive.search(query)
    assert bool(results) is finds
    assert all("diffusion" in fp.paper.abstract.lower() for fp in results)
    assert featured_rows(database) == 13


async def test_search_special_characters_match_words(archive, hf):
    await archive.day(date(2025, 1, 9), MONDAY_MORNING)
    assert [fp.paper.arxiv_id for fp in await archive.search("Q&A <Retrieval>")] == ["2501.04961"]
    found = await archive.search('"retrieval" AND (scale)')
    assert [fp.paper.arxiv_id for fp in found] == ["2501.04961"]


@pytest.mark.parametrize("query", ["diffusion's", "Diffusion’s", "the diffusion’s models"])
async def test_search_possessives_and_smart_apostrophes(archive, hf, query):
    # phones type ’ for '; "'s" must not become a required word "s" (SQLite) that PG drops
    await archive.day(FRI, MONDAY_MORNING)
    plain = {fp.paper.arxiv_id for fp in await archive.search("diffusion models")}
    assert plain
    assert {fp.paper.arxiv_id for fp in await archive.search(query)} >= plain


async def test_search_empty_query_is_bad_argument(archive):
    for query in ("", "   ", "\n\t"):
        with pytest.raises(BadArgument):
            await archive.search(query)
    assert await archive.search("?!") == []


async def test_paper_from_archive_then_from_source(archive, hf):
    await archive.day(FRI, MONDAY_MORNING)
    stored = await archive.paper("2501.05441")
    assert stored is not None and stored.day == FRI and stored.votes == 24
    assert hf.count("/api/papers") == 0

    hf.set_paper(
        make_item(
            "2412.19437",
            "DeepSeek-V3\n Technical Report",
            votes=300,
            authors=["DeepSeek-AI"],
            published_at="2024-12-27T06:00:00.000Z",
        )["paper"]
    )
    fetched = await archive.paper("2412.19437")
    assert fetched is not None
    assert fetched.paper.title == "DeepSeek-V3 Technical Report"
    assert fetched.day == date(2024, 12, 27) and fetched.votes == 0
    assert await archive.paper("2412.19437") == fetched
    assert hf.count("/api/papers/2412.19437") == 1
    assert (await archive.search("DeepSeek"))[0].paper.arxiv_id == "2412.19437"

    assert await archive.paper("2412.00000") is None
