"""Personal ranking through the real core: ratings in the database, the model, the commands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain import FeaturedPaper, Target
from bot.huggingface import parse_item
from bot.rank_eval import CsvRating, evaluate, ndcg_at, precision_at
from bot.ranking import Ranker, examples_for
from tests.fakes.core import group, make_core, private
from tests.fakes.hf_data import all_days
from tests.fakes.memory import MemorySource, RecordingPublisher

# the day after the 57-paper fixture day: /today is 2025-05-27
NOW = datetime(2025, 5, 28, 12, 0, tzinfo=UTC)
BIG_DAY = date(2025, 5, 27)
# a reader who likes reasoning (math, o1-style, process reward models)...
LIKED = ("2501.04519", "2501.04682", "2501.05366", "2501.06186", "2501.07301")
# ...and not video, GANs or robots
DISLIKED = ("2501.01427", "2501.05441", "2501.05453", "2501.05874", "2501.03841")


def fixture_days() -> dict[date, list[FeaturedPaper]]:
    days: dict[date, list[FeaturedPaper]] = {}
    for iso, items in all_days().items():
        day = date.fromisoformat(iso)
        days[day] = [fp for item in items if (fp := parse_item(item, day)) is not None]
    return days


def reasoning(title: str) -> bool:
    return "reason" in title.lower()


@pytest.fixture
def core(db):
    app, _, _ = make_core(db, source=MemorySource(fixture_days()), now=NOW)
    return app


async def rate_reader(app, ctx) -> None:
    for arxiv_id in LIKED:
        reply = await app.commands.run("like", arxiv_id, ctx)
        assert not reply.is_error, reply.text
        assert reply.text.startswith("👍 Noted") and reply.private
    for arxiv_id in DISLIKED:
        reply = await app.commands.run("dislike", arxiv_id, ctx)
        assert reply.text.startswith("👎 Noted")


async def test_personal_ranking_puts_the_readers_topic_first(core) -> None:
    ctx = private()
    votes = await core.commands.run("date", "2025-05-27", ctx)
    votes_first = [c.title for c in votes.cards[:5]]
    assert sum(map(reasoning, votes_first)) == 1  # the five most voted hold one

    await rate_reader(core, ctx)
    reply = await core.commands.run("settings", "rank personal", ctx)
    assert reply.text == "Done: rank is now personal."
    personal = await core.commands.run("date", "2025-05-27", ctx)
    first = [c.title for c in personal.cards[:5]]
    assert sum(map(reasoning, first)) >= 4 > sum(map(reasoning, votes_first))
    assert "this chat's order" in personal.text
    # the chat's top N (10) per page, in its order; More pages through the rest, nothing dropped
    assert len(personal.cards) == len(votes.cards) == 10
    assert "Showing 10 of 57." in personal.text and "Showing 10 of 57." in votes.text
    seen, page = [c.arxiv_id for c in personal.cards], personal
    while page.more:
        command, _, args = page.more.removeprefix("/").partition(" ")
        page = await core.commands.run(command, args, ctx)
        seen += [c.arxiv_id for c in page.cards]
    assert len(seen) == len(set(seen)) == 57
    # why: the most similar liked paper, one short line
    assert personal.cards[0].because is not None
    assert personal.cards[0].because.startswith("Because you liked “")
    liked_titles = {fp.paper.title for d in fixture_days().values() for fp in d}
    assert any(t[:30] in personal.cards[0].because for t in liked_titles)
    # /today (the same day) follows the same order
    today = await core.commands.run("today", "", ctx)
    assert [c.arxiv_id for c in today.cards] == [c.arxiv_id for c in personal.cards]


async def test_rank_votes_keeps_most_voted_first_even_with_ratings(core) -> None:
    ctx = private()
    await rate_reader(core, ctx)
    reply = await core.commands.run("date", "2025-05-27", ctx)
    assert [c.votes for c in reply.cards] == sorted((c.votes for c in reply.cards), reverse=True)
    assert all(c.because is None for c in reply.cards)


async def test_foryou_answers_with_unrated_papers_most_liked_first(core) -> None:
    ctx = private()
    cold = await core.commands.run("foryou", "", ctx)
    assert cold.text.startswith("I don't know this chat's taste yet")
    await rate_reader(core, ctx)
    await core.commands.run("like", "2505.20301", ctx)  # one of the big day's reasoning papers
    reply = await core.commands.run("foryou", "4", ctx)
    assert reply.title == "For you"
    assert "2025-05-14 to 2025-05-27" in reply.text
    ids = [c.arxiv_id for c in reply.cards]
    # the other four "Reasoning With Reinforcement Learning" studies, the rated one left out
    assert set(ids) == {"2505.20311", "2505.20321", "2505.20331", "2505.20341"}
    assert "2505.20301" not in ids
    bad = await core.commands.run("foryou", "99", ctx)
    assert bad.is_error and "/foryou [N]" in bad.text


async def test_include_keywords_are_a_cold_start(core) -> None:
    ctx = private()
    await core.commands.run("settings", "include video generation", ctx)
    reply = await core.commands.run("foryou", "5", ctx)
    assert len(reply.cards) == 5
    assert all("Video Generation" in c.title for c in reply.cards)


async def test_group_members_votes_count_and_can_change(core) -> None:
    alice, bob = group(user="1", admin=False), group(user="2", admin=False)
    await core.commands.run("like", "2501.05366", alice)
    await core.commands.run("like", "2501.05366", bob)
    again = await core.commands.run("like", "2501.05366", bob)
    assert again.text.startswith("You had already rated")
    await core.commands.run("dislike", "2501.05441", alice)
    reply = await core.commands.run("ratings", "", alice)
    assert "2 rated papers (1 👍, 1 👎)" in reply.text
    assert "👍×2 Search-o1: Agentic Search-Enhanced Large Reasoning Models (2501.05366)" in (
        reply.text
    )
    # alice changes her mind: one vote per member per paper
    await core.commands.run("like", "2501.05441", alice)
    reply = await core.commands.run("ratings", "", alice)
    assert "2 rated papers (2 👍, 0 👎)" in reply.text
    # a member may rate but not change the chat's settings
    refused = await core.commands.run("settings", "rank personal", bob)
    assert refused.is_error
    # another chat's profile is its own
    assert (await core.commands.run("ratings", "", private())).text.startswith("No ratings yet")


async def test_rank_reset_forgets(core) -> None:
    ctx = private()
    await rate_reader(core, ctx)
    await core.commands.run("settings", "rank personal", ctx)
    reply = await core.commands.run("settings", "rank reset", ctx)
    assert reply.text == "Forgot this chat's 10 ratings."
    assert (await core.commands.run("ratings", "", ctx)).text.startswith("No ratings yet")
    again = await core.commands.run("date", "2025-05-27", ctx)
    assert [c.votes for c in again.cards] == sorted((c.votes for c in again.cards), reverse=True)
    shown = await core.commands.run("settings", "", ctx)
    assert "Order: personal (learnt from 👍/👎)" in shown.text  # the setting itself stays


async def test_bad_ratings_get_friendly_errors(core) -> None:
    ctx = private()
    assert (await core.commands.run("like", "", ctx)).text.startswith("Which paper?")
    assert "not an arXiv id" in (await core.commands.run("like", "<b>", ctx)).text
    missing = await core.commands.run("dislike", "2501.99999", ctx)
    assert missing.is_error and "could not find paper 2501.99999" in missing.text
    bad = await core.commands.run("settings", "rank loud", ctx)
    assert bad.is_error and "votes (most voted first)" in bad.text


async def test_paper_detail_has_rating_buttons(core) -> None:
    reply = await core.commands.run("paper", "2501.05366", private())
    commands = [b.command for b in reply.buttons if b.command]
    assert "/like 2501.05366" in commands and "/dislike 2501.05366" in commands


async def test_morning_post_takes_the_chats_top_n_in_its_order(core) -> None:
    publisher = RecordingPublisher()
    core.delivery.register(publisher)
    personal, plain = Target("test", "reader"), Target("test", "plain")
    for target in (personal, plain):
        await core.subscriptions.subscribe(target)
        await core.subscriptions.set(target, "time", "09:00")
        await core.subscriptions.set(target, "top", "5")
    await core.subscriptions.set(personal, "rank", "personal")
    ctx = private(chat="reader")
    await rate_reader(core, ctx)
    report = await core.delivery.tick(datetime(2025, 5, 28, 9, 5, tzinfo=UTC))
    assert report.day == BIG_DAY and len(report.delivered) == 2
    (intro, listing) = publisher.to("reader")
    assert "this chat's order" in intro
    titles = listing.splitlines()
    assert len(titles) == 5 and sum(map(reasoning, titles)) >= 4
    plain_titles = publisher.to("plain")[1].splitlines()
    assert sum(map(reasoning, plain_titles)) == 1


def test_ranker_cache_is_bounded_and_keyed_by_version() -> None:
    papers = {fp.paper.arxiv_id: fp.paper for d in fixture_days().values() for fp in d}
    ranker = Ranker(cache_size=2)
    examples = examples_for({"2501.05366": (1, papers["2501.05366"])}, ())
    for version in ("a", "b", "c"):
        assert ranker.model(("chat", version), examples) is not None
    assert not ranker.cached(("chat", "a")) and ranker.cached(("chat", "c"))


def test_metrics_and_eval_favour_the_readers_topic() -> None:
    assert precision_at(["a", "b", "c"], {"a", "c"}, 5) == pytest.approx(2 / 3)
    assert ndcg_at(["a", "b"], {"a"}) == 1.0
    assert ndcg_at(["b", "a"], {"a"}) == pytest.approx(1 / 1.5849625, rel=1e-6)
    days = fixture_days()
    ratings = [CsvRating("r", i, 1, date(2025, 1, 14)) for i in LIKED]
    ratings += [CsvRating("r", i, -1, date(2025, 1, 14)) for i in DISLIKED]
    ratings += [
        CsvRating("r", fp.paper.arxiv_id, 1, BIG_DAY)
        for fp in days[BIG_DAY]
        if reasoning(fp.paper.title)
    ]
    results = {r.method: r for r in evaluate(days, ratings, {"tfidf": Ranker()})}
    assert results["tfidf"].cases == results["votes"].cases == 1
    assert results["tfidf"].precision == 1.0 > results["votes"].precision


async def test_the_console_rates_too(core) -> None:
    from adapters.console import answer

    said = await answer(core, "/like 2501.05366")
    assert said is not None and said.startswith("👍 Noted: “Search-o1")
    listed = await answer(core, "ratings")
    assert listed is not None and "👍 Search-o1" in listed


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_ratings_repository_on_both_databases(
    database: str, sqlite_url: str, request
) -> None:
    from bot.archive import Archive
    from bot.db import Database
    from bot.ratings import Ratings

    url = sqlite_url if database == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database.from_url(url)
    try:
        archive = Archive(db, MemorySource(fixture_days()))
        await archive.day(date(2025, 1, 10), NOW)
        ratings = Ratings(db)
        chat, other = Target("t", "1"), Target("t", "1", "topic")
        assert await ratings.rate(chat, "a", "2501.05366", 1)
        assert not await ratings.rate(chat, "a", "2501.05366", 1)  # the same vote again
        assert await ratings.rate(chat, "b", "2501.05366", 1)
        assert await ratings.rate(chat, "a", "2501.05441", -1)
        assert await ratings.rate(chat, "a", "2501.05441", 1)  # changed her mind
        assert await ratings.rate(other, "a", "2501.05453", -1)
        assert await ratings.profile(chat) == {"2501.05366": 2, "2501.05441": 1}
        assert await ratings.profile(other) == {"2501.05453": -1}
        rated = await ratings.rated(chat)
        assert {(r.paper.arxiv_id, r.likes, r.dislikes) for r in rated} == {
            ("2501.05366", 2, 0),
            ("2501.05441", 1, 0),
        }
        recent = await ratings.recent_papers(date(2025, 1, 10), 14)
        assert [fp.paper.arxiv_id for fp in recent][:2] == ["2501.05366", "2501.05441"]
        assert await ratings.forget(chat) == 3
        assert await ratings.profile(chat) == {} and await ratings.profile(other) != {}
    finally:
        db.dispose()
