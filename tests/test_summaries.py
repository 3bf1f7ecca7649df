"""Summaries through the real httpx client against FakeOpenAI on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from bot.cards import offline_summary
from bot.db import Database, upgrade
from bot.domain import PaperInfo
from bot.llm import LlmClient, LlmError, parse_parts, parse_retry_after
from bot.models import LlmUsageRow, PaperRow, SummaryRow
from bot.prompts import (
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    build_user_prompt,
    language_name,
    normalize_language,
)
from bot.summaries import OfflineSummarizer, SummaryService
from bot.usage import format_usage, usage_report
from tests.fakes.openai import FakeOpenAI

HANGUL = re.compile(r"[\uac00-\ud7a3]")
MODEL = "fake-summarizer"
KEY = "sk-test-0123456789"


def paper(n: int, **kw: object) -> PaperInfo:
    fields: dict[str, object] = {
        "arxiv_id": f"2501.{n:05d}",
        "title": f"Paper Number {n}: Search-Enhanced Reasoning",
        "abstract": (
            f"We present method {n} for large reasoning models. It retrieves documents when "
            "the model is unsure. On GPQA it beats human experts by 3.2 points."
        ),
    }
    fields.update(kw)
    return PaperInfo(**fields)  # type: ignore[arg-type]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(api_key=KEY, models=(MODEL,))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make_llm(
    fake: FakeOpenAI, http: httpx.AsyncClient, waits: list[float]
) -> Callable[..., LlmClient]:
    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    def build(**kw: object) -> LlmClient:
        options: dict[str, object] = {
            "base_url": fake.base_url,
            "api_key": KEY,
            "model": MODEL,
            "timeout": 5.0,
            "sleep": no_sleep,
        }
        options.update(kw)
        return LlmClient(http, **options)  # type: ignore[arg-type]

    return build


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 1, 10, 8, 0, tzinfo=UTC))


@pytest.fixture
def make_service(
    db: Database, make_llm: Callable[..., LlmClient], clock: Clock
) -> Callable[..., SummaryService]:
    def build(llm: LlmClient | None = None, **kw: object) -> SummaryService:
        return SummaryService(db, llm or make_llm(), now=clock, **kw)  # type: ignore[arg-type]

    return build


def usage_rows(db: Database) -> list[LlmUsageRow]:
    with db.session() as session:
        return list(session.exec(select(LlmUsageRow).order_by(col(LlmUsageRow.id))).all())


def cached_rows(db: Database) -> list[SummaryRow]:
    with db.session() as session:
        return list(session.exec(select(SummaryRow)).all())


# --- the happy path and the cache -----------------------------------------------------------


async def test_korean_three_parts_from_the_llm(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI, db: Database
) -> None:
    papers = [paper(1), paper(2)]
    service = make_service()
    result = await service.summarize(papers, "ko")

    assert list(result) == ["2501.00001", "2501.00002"]
    for p in papers:
        summary = result[p.arxiv_id]
        assert summary.source == "llm"
        assert summary.language == "ko"
        assert [h for h, _ in summary.sections()] == [
            "What's New",
            "Technical Details",
            "Performance Highlights",
        ]
        for _, body in summary.sections():
            assert HANGUL.search(body), body
        assert p.title in (summary.whats_new or "")  # each paper got its own answer
    assert fake.calls == 2
    request = fake.requests[0]
    assert request["model"] == MODEL
    assert request["response_format"] == {"type": "json_object"}
    assert request["temperature"] <= 0.3
    assert "Target language: Korean" in request["messages"][1]["content"]

    rows = cached_rows(db)
    assert {(r.arxiv_id, r.language, r.prompt_version, r.model) for r in rows} == {
        (p.arxiv_id, "ko", PROMPT_VERSION, MODEL) for p in papers
    }
    events = usage_rows(db)
    assert [e.event for e in events] == ["call", "call"]
    assert all(e.prompt_tokens > 0 and e.completion_tokens > 0 for e in events)


async def test_cache_hit_makes_no_call(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI, db: Database
) -> None:
    papers = [paper(1), paper(2), paper(3)]
    first = await make_service().summarize(papers, "ko")
    assert fake.calls == 3

    # a new service (a restart) still finds the cache; "KO" is the same language
    again = await make_service().summarize(papers, "KO")
    assert fake.calls == 3
    assert again == first
    assert [e.event for e in usage_rows(db)].count("hit") == 3


async def test_two_languages_make_two_calls_per_paper(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    papers = [paper(1), paper(2)]
    service = make_service()
    ko = await service.summarize(papers, "ko")
    en = await service.summarize(papers, "en")
    assert fake.calls == 4
    assert HANGUL.search(ko["2501.00001"].whats_new or "")
    english = en["2501.00001"]
    assert english.language == "en" and english.source == "llm"
    assert not HANGUL.search(english.whats_new or "")
    assert english.whats_new and english.whats_new.startswith("This paper introduces")


async def test_any_other_language_by_name(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    result = await make_service().summarize([paper(1)], "Klingon")
    assert "Target language: Klingon" in fake.requests[0]["messages"][1]["content"]
    assert result["2501.00001"].language == "klingon"
    assert (result["2501.00001"].whats_new or "").startswith("[Klingon]")


async def test_paper_already_archived_is_cached_too(
    make_service: Callable[..., SummaryService], db: Database
) -> None:
    with db.session() as session:
        session.add(PaperRow(arxiv_id="2501.00001", title="Archived title"))
        session.commit()
    await make_service().summarize([paper(1)], "ja")
    assert [r.language for r in cached_rows(db)] == ["ja"]
    with db.session() as session:
        row = session.get(PaperRow, "2501.00001")
        assert row is not None and row.title == "Archived title"  # untouched


async def test_duplicates_and_concurrent_callers_share_one_call(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    fake.delay = 0.05
    service = make_service()
    a, b = await asyncio.gather(
        service.summarize([paper(1), paper(1)], "ko"), service.summarize([paper(1)], "ko")
    )
    assert fake.calls == 1
    assert a == b


async def test_cached_is_instant_and_never_calls(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    service = make_service()
    await service.summarize([paper(1)], "ko")
    calls = fake.calls
    result = await service.cached([paper(1), paper(2)], "ko")
    assert fake.calls == calls
    assert result["2501.00001"].source == "llm"
    assert result["2501.00002"] == offline_summary(paper(2), "ko")


# --- failures fall back to the offline summary, uncached --------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        ("malformed", "invalid_json"),
        ("missing_key", "missing_part"),
        ("refuse", "refusal"),
        ("null_message", "bad_response"),
    ],
)
async def test_bad_answer_is_offline_and_retried_next_time(
    make_service: Callable[..., SummaryService],
    fake: FakeOpenAI,
    db: Database,
    behaviour: str,
    kind: str,
) -> None:
    fake.inject(behaviour, when=paper(2).title)
    service = make_service()
    papers = [paper(1), paper(2)]
    result = await service.summarize(papers, "ko")

    assert result["2501.00001"].source == "llm"
    assert result["2501.00002"] == offline_summary(paper(2), "ko")
    assert result["2501.00002"].text  # the offline text is there, in English
    assert {r.arxiv_id for r in cached_rows(db)} == {"2501.00001"}
    failed = [e for e in usage_rows(db) if e.event == "failed"]
    assert [e.arxiv_id for e in failed] == ["2501.00002"]
    assert failed[0].error and failed[0].error.startswith(kind)

    again = await service.summarize(papers, "ko")
    assert fake.calls == 3  # 2 + the retry of paper 2 only
    assert again["2501.00002"].source == "llm"


async def test_fenced_json_is_accepted(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    fake.inject("fenced")
    result = await make_service().summarize([paper(1)], "ko")
    assert result["2501.00001"].source == "llm"


async def test_429_honours_retry_after_then_succeeds(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI, waits: list[float]
) -> None:
    fake.inject("rate_limit", retry_after="7")
    result = await make_service().summarize([paper(1)], "ko")
    assert result["2501.00001"].source == "llm"
    assert fake.answers == ["rate_limit", "ok"]
    assert waits == [7.0]


async def test_retry_after_is_capped(
    make_llm: Callable[..., LlmClient], fake: FakeOpenAI, waits: list[float]
) -> None:
    fake.inject("rate_limit", retry_after="3600")
    answer = await make_llm(max_retry_after=5.0).summarize("T", "An abstract.", "en")
    assert set(answer.parts) == {"whats_new", "technical_details", "performance_highlights"}
    assert waits == [5.0]


async def test_5xx_is_retried_a_bounded_number_of_times(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI, db: Database
) -> None:
    fake.inject("server_error", times=None)
    result = await make_service().summarize([paper(1)], "ko")
    assert result["2501.00001"].source == "offline"
    assert fake.calls == 3
    failed = [e for e in usage_rows(db) if e.event == "failed"]
    assert len(failed) == 1 and failed[0].error and failed[0].error.startswith("server_error")


async def test_wrong_key_is_not_retried(
    make_service: Callable[..., SummaryService],
    make_llm: Callable[..., LlmClient],
    fake: FakeOpenAI,
    db: Database,
) -> None:
    service = make_service(make_llm(api_key="sk-wrong-key-000"))
    result = await service.summarize([paper(1)], "ko")
    assert result["2501.00001"].source == "offline"
    assert fake.answers == ["unauthorized"]
    assert "http_401" in (usage_rows(db)[0].error or "")


async def test_unknown_model_is_an_error(make_llm: Callable[..., LlmClient]) -> None:
    with pytest.raises(LlmError) as info:
        await make_llm(model="gpt-nope").summarize("T", "An abstract.", "ko")
    assert info.value.kind == "http_404"
    assert "does not exist" in info.value.message


async def test_timeout_gives_offline_quickly(
    make_service: Callable[..., SummaryService],
    make_llm: Callable[..., LlmClient],
    fake: FakeOpenAI,
    db: Database,
) -> None:
    fake.inject("hang", when=paper(1).title)
    # 1 s: short against a hang, long enough for the healthy answer on a loaded CI machine
    service = make_service(make_llm(timeout=1.0))
    started = time.monotonic()
    result = await service.summarize([paper(1), paper(2)], "ko")
    assert time.monotonic() - started < 4.0
    assert result["2501.00001"].source == "offline"
    assert result["2501.00002"].source == "llm"
    failed = [e for e in usage_rows(db) if e.event == "failed"]
    assert failed[0].error and failed[0].error.startswith("timeout")


async def test_overall_budget_returns_for_every_paper(
    make_service: Callable[..., SummaryService],
    make_llm: Callable[..., LlmClient],
    fake: FakeOpenAI,
    db: Database,
) -> None:
    fake.inject("hang", times=None)
    service = make_service(make_llm(timeout=30.0), budget_seconds=0.3)
    started = time.monotonic()
    result = await service.summarize([paper(1), paper(2)], "ko")
    assert time.monotonic() - started < 2.0
    assert [s.source for s in result.values()] == ["offline", "offline"]
    assert [e.error for e in usage_rows(db)] == ["time budget exceeded"] * 2
    await service.aclose()
    assert cached_rows(db) == []


async def test_server_down_is_offline(
    make_service: Callable[..., SummaryService], make_llm: Callable[..., LlmClient], db: Database
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = make_service(make_llm(base_url=f"http://127.0.0.1:{port}/v1"))
    started = time.monotonic()
    result = await service.summarize([paper(1)], "ko")
    assert time.monotonic() - started < 2.0
    assert result["2501.00001"] == offline_summary(paper(1), "ko")
    assert (usage_rows(db)[0].error or "").startswith("unreachable")


async def test_no_abstract_is_offline_without_a_call(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    result = await make_service().summarize([paper(1, abstract="")], "ko")
    assert result["2501.00001"].source == "offline"
    assert fake.calls == 0


async def test_concurrency_is_bounded(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI
) -> None:
    fake.delay = 0.05
    result = await make_service(concurrency=2).summarize([paper(n) for n in range(8)], "ko")
    assert len(result) == 8 and all(s.source == "llm" for s in result.values())
    assert fake.max_in_flight == 2


async def test_without_an_llm_everything_is_offline(db: Database) -> None:
    service = SummaryService(db, None)
    papers = [paper(1), paper(2, ai_summary="HF's own one-liner.")]
    result = await service.summarize(papers, "ko")
    assert result == {p.arxiv_id: offline_summary(p, "ko") for p in papers}
    assert result["2501.00002"].text == "HF's own one-liner."
    assert await service.cached(papers, "ko") == result
    assert usage_rows(db) == []
    assert await OfflineSummarizer().summarize(papers, "ko") == result


# --- stats -----------------------------------------------------------------------------------


async def test_usage_report_counts_what_the_service_recorded_per_day(
    make_service: Callable[..., SummaryService], fake: FakeOpenAI, clock: Clock, db: Database
) -> None:
    service = make_service()
    await service.summarize([paper(1), paper(2)], "ko")  # day 1: 2 calls
    clock.at += timedelta(days=1)
    fake.inject("malformed", when=paper(3).title)
    await service.summarize([paper(1), paper(3)], "ko")  # day 2: 1 hit, 1 failure

    rows = await usage_report(db, days=14, now=clock())
    assert [r.day for r in rows] == [date(2025, 1, 10), date(2025, 1, 11)]
    first, second = rows
    assert (first.calls, first.abstract, first.hits, first.offline) == (2, 2, 0, 0)
    assert (second.calls, second.hits, second.offline) == (0, 1, 1)
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    assert second.prompt_tokens == second.completion_tokens == 0
    assert await usage_report(db, days=1, now=clock()) == [second]

    table = format_usage(rows)
    assert "2025-01-10" in table and "2025-01-11" in table
    total = table.splitlines()[-1].split()
    assert total[:6] == ["total", "2", "0", "2", "1", "1"]
    assert total[6] == str(first.prompt_tokens)
    # issue 10's facts in the same report: one line per day, model and language
    assert first.language == second.language == "ko"
    assert table.splitlines()[2].split()[1:4] == [first.model, "ko", "2"]
    assert format_usage([]) == "No summarizer activity in this period."
    await service.summarize([paper(1)], "en")  # day 2, another language: a line of its own
    day2 = await usage_report(db, days=1, now=clock())
    assert [(r.language, r.calls, r.hits, r.offline) for r in day2] == [
        ("en", 1, 0, 0),
        ("ko", 0, 1, 1),
    ]
    assert "\n2025-01-11  " in format_usage(day2) and " en " in format_usage(day2)


# --- the prompt and the parser ---------------------------------------------------------------


def test_language_names() -> None:
    assert language_name("ko") == "Korean"
    assert language_name("KO") == "Korean"
    assert language_name("ja") == "Japanese"
    assert language_name("de-AT") == "German"
    assert language_name("pt_BR") == "Brazilian Portuguese"
    assert language_name("Ukrainian") == "Ukrainian"
    assert language_name("klingon") == "Klingon"
    assert language_name("Esperanto}\n{ignore") == "Esperanto ignore"
    assert normalize_language("  Pt_BR ") == "pt-br"


def test_prompt_asks_for_json_in_the_language() -> None:
    prompt = build_user_prompt("A  Title\nwith breaks", "An <b>abstract</b>.", "ko")
    assert "Target language: Korean" in prompt
    assert "<title>A Title with breaks</title>" in prompt
    assert "JSON" in prompt
    for key in ("whats_new", "technical_details", "performance_highlights"):
        assert key in SYSTEM_PROMPT and key in prompt
    assert "대규모 추론 모델(Large Reasoning Models; LRMs)" in SYSTEM_PROMPT


def test_parse_parts() -> None:
    good = '{"whats_new": "a", "technical_details": "b\\n c", "performance_highlights": "d"}'
    assert parse_parts(good)["technical_details"] == "b c"
    assert parse_parts(f"```json\n{good}\n```")["whats_new"] == "a"
    assert parse_parts(f"```\n{good}\n```")["performance_highlights"] == "d"
    for bad, kind in [
        ('{"whats_new": "a"', "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('{"whats_new": "a", "technical_details": "b"}', "missing_part"),
        (
            '{"whats_new": "a", "technical_details": " ", "performance_highlights": "d"}',
            "missing_part",
        ),
    ]:
        with pytest.raises(LlmError) as info:
            parse_parts(bad)
        assert info.value.kind == kind


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Fri, 10 Jan 2025 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.postgres
async def test_cache_and_stats_on_postgres(
    postgres_url: str, make_llm: Callable[..., LlmClient], fake: FakeOpenAI, clock: Clock
) -> None:
    pg = Database.from_url(postgres_url)
    try:
        service = SummaryService(pg, make_llm(), now=clock)
        first = await service.summarize([paper(1), paper(2)], "ko")
        again = await service.summarize([paper(1), paper(2)], "ko")
        assert again == first and fake.calls == 2
        [day] = await usage_report(pg, days=14, now=clock())
        assert (day.day, day.calls, day.hits) == (date(2025, 1, 10), 2, 2)
    finally:
        pg.dispose()


# --- the database down: one warning per outage, offline summaries meanwhile -------------------


async def test_cache_outage_logs_one_warning_then_one_line_when_back(
    tmp_path: Path,
    make_llm: Callable[..., LlmClient],
    fake: FakeOpenAI,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "not-yet"
    db = Database.from_url(f"sqlite:///{folder / 'bot.db'}", migrate=False)  # cannot be opened
    service = SummaryService(db, make_llm(), now=clock)
    try:
        with caplog.at_level(logging.DEBUG, logger="bot.summaries"):
            for _ in range(3):
                result = await service.summarize([paper(1), paper(2)], "ko")
                assert result["2501.00001"] == offline_summary(paper(1), "ko")
                cached = await service.cached([paper(3)], "en")
                assert cached["2501.00003"] == offline_summary(paper(3), "en")
                assert await service.prepare([paper(4)], "en") == 0
            assert fake.calls == 0  # no LLM call while the cache is down
            shown = [r for r in caplog.records if r.levelno >= logging.INFO]
            assert [r.levelname for r in shown] == ["WARNING"], shown
            assert "summary cache unavailable" in shown[0].getMessage()
            assert shown[0].exc_info is None and "\n" not in shown[0].getMessage()
            assert service.store_down

            caplog.clear()
            folder.mkdir()
            upgrade(db.engine)  # the database is back
            result = await service.summarize([paper(1)], "ko")
            assert result["2501.00001"].source == "llm" and len(cached_rows(db)) == 1
            await service.cached([paper(1)], "ko")
            shown = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert [r.getMessage() for r in shown] == ["summary cache is back"]
            assert not service.store_down
    finally:
        db.dispose()
