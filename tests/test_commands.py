"""The command layer, driven through the real archive and subscriptions with an in-memory source."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.commands import parse_arxiv_id, parse_command, parse_day, parse_top
from bot.errors import BadArgument
from bot.i18n import t
from tests.fakes.core import FRIDAY, group, make_core, private

NOW = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/today", ("today", "")),
        ("/today@PapersBot", ("today", "")),
        ("/TOP 5 week", ("top", "5 week")),
        ("/search  diffusion models ", ("search", "diffusion models")),
        ("/settings time\n08:30", ("settings", "time\n08:30")),
        ("today", None),
        ("/today@OtherBot", None),
        ("", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text, bot_username="papersbot") == expected


def test_parse_day() -> None:
    assert parse_day("2025-01-10", NOW) == date(2025, 1, 10)
    assert parse_day("yesterday", NOW) == date(2025, 1, 10)
    assert parse_day("today", NOW) is None
    for bad in ("2025-13-45", "tomorrowish", "2025-02-30", "10/01/2025", "x" * 10_000):
        with pytest.raises(BadArgument, match="YYYY-MM-DD"):
            parse_day(bad, NOW)


def test_parse_arxiv_id() -> None:
    assert parse_arxiv_id("2501.05366") == "2501.05366"
    assert parse_arxiv_id("2501.05366v2") == "2501.05366"
    assert parse_arxiv_id("https://arxiv.org/abs/2501.05366v1") == "2501.05366"
    assert parse_arxiv_id("https://huggingface.co/papers/2501.05366") == "2501.05366"
    assert parse_arxiv_id("arXiv:2501.05366") == "2501.05366"
    for bad in ("nonsense", "12345", "2501.05366 extra", "<script>", "9" * 5000):
        with pytest.raises(BadArgument, match="arXiv id"):
            parse_arxiv_id(bad)


def test_parse_top() -> None:
    assert parse_top("") == (None, 7, "period_week", None)
    assert parse_top("3") == (3, 7, "period_week", None)
    assert parse_top("5 month 2025-01-10") == (5, 30, "period_month", date(2025, 1, 10))
    for bad in ("-3", "0", "51", "year", "3 4 fortnight"):
        with pytest.raises(BadArgument, match="/top"):
            parse_top(bad)


async def test_today_is_the_last_finished_day_with_papers(db) -> None:
    # Saturday 09:00 UTC: Friday settled at 02:40 UTC, so /today shows Friday.
    app, _, _ = make_core(db, now=NOW)
    reply = await app.commands.run("today", "", private())
    assert not reply.is_error
    assert reply.day == FRIDAY
    assert [c.arxiv_id for c in reply.cards] == ["2501.05366", "2501.05441", "2501.05453"]
    assert "2025-01-10" in (reply.title or "")
    assert [b.url for b in reply.buttons] == ["https://huggingface.co/papers?date=2025-01-10"]


async def test_today_on_monday_morning_walks_back_over_the_weekend(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 13, 8, 0, tzinfo=UTC))
    reply = await app.commands.run("today", "", private())
    assert reply.day == FRIDAY


async def test_date_command_and_bad_dates(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    ok = await app.commands.run("date", "2025-01-09", private())
    assert [c.arxiv_id for c in ok.cards] == ["2501.04001", "2501.04002"]
    weekend = await app.commands.run("date", "2025-01-11", private())
    assert "No papers were featured on 2025-01-11" in weekend.text
    bad = await app.commands.run("date", "2025-13-45", private())
    assert bad.is_error and "YYYY-MM-DD" in bad.text and "2025-13-45" in bad.text
    future = await app.commands.run("date", "2030-01-01", private())
    assert future.is_error and "future" in future.text
    usage = await app.commands.run("date", "", private())
    assert usage.is_error and "/date" in usage.text


async def test_top_and_its_bad_arguments(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    top = await app.commands.run("top", "3", private())
    assert [c.votes for c in top.cards] == [39, 24, 16]
    bad = await app.commands.run("top", "-3", private())
    assert bad.is_error and "1 to 50" in bad.text


async def test_search_finds_stored_papers_and_survives_odd_queries(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    await app.commands.run("today", "", private())  # stores Friday
    await app.commands.run("date", "2025-01-09", private())
    found = await app.commands.run("search", "diffusion", private())
    assert not found.is_error
    assert {c.arxiv_id for c in found.cards} >= {"2501.04001", "2501.05453"}
    for odd in ('"unbalanced', "AND OR NOT", "*", "(", "<&>", "x" * 150):
        reply = await app.commands.run("search", odd, private())
        assert reply.text  # an answer, never an exception
    huge = await app.commands.run("search", "word " * 2000, private())
    assert huge.is_error and "too long" in huge.text


async def test_paper_command(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    await app.commands.run("today", "", private())
    reply = await app.commands.run("paper", "2501.05366", private())
    assert reply.style == "cards" and reply.cards[0].title.startswith("Search-o1")
    assert any(b.url == "https://arxiv.org/abs/2501.05366" for b in reply.buttons)
    bad = await app.commands.run("paper", "nonsense", private())
    assert bad.is_error and "arXiv id" in bad.text
    missing = await app.commands.run("paper", "2401.00001", private())
    assert missing.is_error and "2401.00001" in missing.text


async def test_a_stored_paper_answers_when_the_bucket_is_empty_an_unknown_one_does_not(db) -> None:
    """The per-chat bucket limits requests to Hugging Face: /paper of a stored paper asks it
    nothing, so it answers without a token; /paper of an unknown id must ask, and waits."""
    app, _, _ = make_core(db, now=NOW, command_burst=3, command_rate_per_minute=1)
    slow_down = t("slow_down", "en", seconds=60)
    replies = [await app.commands.run("today", "", private()) for _ in range(4)]
    assert [r.text == slow_down for r in replies] == [False, False, False, True]  # empty now
    for _ in range(3):
        stored = await app.commands.run("paper", "2501.05366", private())
        assert not stored.is_error
        assert stored.cards[0].title == "Search-o1: Agentic Search-Enhanced Large Reasoning Models"
    unknown = await app.commands.run("paper", "2401.00001", private())
    assert unknown.is_error and unknown.text == slow_down


async def test_source_down_is_a_friendly_reply(db) -> None:
    app, source, _ = make_core(db, now=NOW)
    source.down = True
    reply = await app.commands.run("today", "", private())
    assert reply.is_error and "Hugging Face could not be reached" in reply.text


async def test_unknown_command_and_help(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    unknown = await app.commands.handle_text("/frobnicate", private())
    assert unknown is not None and unknown.is_error and "/help" in unknown.text
    helped = await app.commands.handle_text("/help", private())
    assert helped is not None and "/subscribe" in helped.text
    assert await app.commands.handle_text("just chatting", private()) is None


async def test_only_admins_change_a_group(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    refused = await app.commands.run("subscribe", "", group(admin=False))
    assert refused.is_error and "admins" in refused.text
    assert await app.subscriptions.list_all() == []
    refused = await app.commands.run("settings", "time 08:00", group(admin=False))
    assert refused.is_error and "admins" in refused.text
    shown = await app.commands.run("settings", "", group(admin=False))  # reading is fine
    assert not shown.is_error and "Time: 09:00" in shown.text
    ok = await app.commands.run("subscribe", "", group(admin=True))
    assert not ok.is_error and "09:00" in ok.text
    again = await app.commands.run("subscribe", "", group(admin=True))
    assert "already" in again.text


async def test_operators_may_change_any_chat(db) -> None:
    app, _, _ = make_core(db, now=NOW, bot_admin_ids="test:7")
    ok = await app.commands.run("subscribe", "", group(user="7", admin=False))
    assert not ok.is_error


async def test_settings_round_trip_with_bad_values(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    ctx = group(admin=True)
    await app.commands.run("subscribe", "", ctx)
    changes = {
        "time 8:30": "08:30",
        "timezone asia/seoul": "Asia/Seoul",
        "top 5": "5",
        "minvotes 10": "10",
        "include diffusion, RAG": "diffusion, rag",
        "exclude survey": "survey",
        "style cards": "cards",
    }
    for args, shown in changes.items():
        reply = await app.commands.run("settings", args, ctx)
        assert not reply.is_error, reply.text
        assert shown in reply.text
    row = await app.subscriptions.get(ctx.target)
    assert row is not None
    assert (row.post_time, row.timezone, row.top_n, row.min_votes) == ("08:30", "Asia/Seoul", 5, 10)
    assert row.include_keywords == ("diffusion", "rag") and row.style == "cards"
    bad = {
        "time 25:00": "HH:MM",
        "timezone Mars/Olympus": "IANA",
        "top 0": "1 to 50",
        "minvotes lots": "0 up",
        "style fancy": "compact",
        "paused maybe": "on or off",
        "colour blue": "Settings:",
        "time": "/settings KEY VALUE",
    }
    for args, hint in bad.items():
        reply = await app.commands.run("settings", args, ctx)
        assert reply.is_error and hint in reply.text, (args, reply.text)
    again = await app.subscriptions.get(ctx.target)
    assert again is not None and again.post_time == "08:30"  # bad input lost nothing


async def test_language_setting_switches_the_bots_messages(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    ctx = private()
    reply = await app.commands.run("settings", "language ko", ctx)
    assert "완료" in reply.text
    helped = await app.commands.run("help", "", ctx)
    assert "도움말" in helped.text


async def test_top_falls_back_to_the_last_stored_week(db) -> None:
    # A year later the source has nothing new: /top shows the archive's last week instead.
    app, _, clock = make_core(db, now=NOW)
    await app.commands.run("today", "", private())
    clock.set(datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
    reply = await app.commands.run("top", "2", private())
    assert not reply.is_error
    assert "No papers were featured from 2026-01-13 to 2026-01-19" in reply.text
    assert "2025-01-04 and 2025-01-10" in reply.text
    assert [c.votes for c in reply.cards] == [39, 24]


async def test_search_on_a_fresh_archive_fetches_the_latest_days_first(db) -> None:
    app, source, _ = make_core(db, now=NOW)
    found = await app.commands.run("search", "GAN baseline", private())
    assert [c.arxiv_id for c in found.cards] == ["2501.05441"]
    source.down = True  # Hugging Face down: search still answers from what is stored
    again = await app.commands.run("search", "GAN baseline", private())
    assert [c.arxiv_id for c in again.cards] == ["2501.05441"]


async def test_search_on_an_empty_archive_says_so(db) -> None:
    app, source, _ = make_core(db, now=NOW)
    source.days.clear()  # Hugging Face has nothing either
    reply = await app.commands.run("search", "diffusion", private())
    assert "archive holds no papers yet" in reply.text and "fetch --since" in reply.text


async def test_korean_top_month_is_the_last_30_days(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    await app.commands.run("settings", "language ko", private())
    month = await app.commands.run("top", "3 month", private())
    assert not month.is_error
    assert month.title == "최근 30일 상위 3편" and "지난 달" not in month.title
    week = await app.commands.run("top", "3 week", private())
    assert week.title == "최근 7일 상위 3편"
