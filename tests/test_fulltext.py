"""Full text for the summariser: parsing, the budgeted extract, polite arXiv fetching, storage,
and what reaches the model (real httpx against the fake arXiv and the fake OpenAI)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from bot.arxiv import ArxivTextSource
from bot.db import Database
from bot.domain import FeaturedPaper, PaperInfo, PaperText, TextSection
from bot.extract import (
    build_extract,
    clip_to_tokens,
    estimate_tokens,
    has_numbers,
    section_kind,
)
from bot.fulltext import FullTextExtracts
from bot.llm import LlmClient
from bot.models import LlmUsageRow, PaperExtractRow, SummaryRow
from bot.paper_parse import ParseError, parse_latexml, parse_pdf
from bot.ports import PaperTextError
from bot.prompts import PROMPT_VERSION
from bot.summaries import PROVISIONAL_FOR, SummaryService
from bot.usage import estimate_cost, format_usage, usage_report
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.arxiv_data import (
    APPENDIX_MARKER,
    BY_ID,
    FOOTNOTE_MARKER,
    PAPERS,
    REFERENCE_MARKER,
    FakePaper,
    abstract,
    latexml_html,
    pdf_blocks,
    title,
)
from tests.fakes.core import make_core
from tests.fakes.memory import MemorySource
from tests.fakes.openai import FakeOpenAI
from tests.fakes.pdf import make_pdf

GAN = BY_ID["2501.05441"]
PDF_ONLY = BY_ID["2501.04828"]
NOW = datetime(2025, 1, 11, 9, tzinfo=UTC)


def info(paper: FakePaper) -> PaperInfo:
    return PaperInfo(arxiv_id=paper.arxiv_id, title=title(paper), abstract=abstract(paper))


# --- parsing --------------------------------------------------------------------------------


def test_latexml_sections_captions_maths_and_nothing_else() -> None:
    text = parse_latexml(latexml_html(GAN).encode(), GAN.arxiv_id)
    assert text.format == "html"
    assert text.abstract == " ".join(abstract(GAN).split())
    assert [s.title for s in text.sections] == [
        "Introduction",
        "Related Work",
        "Method",
        "Experiments",
        "Conclusion",
    ]
    experiments = text.sections[3]
    assert experiments.captions == (GAN.caption,)
    assert experiments.paragraphs == (GAN.results,)  # the caption is not also a paragraph
    method = text.sections[2].paragraphs[0]
    assert GAN.math in method  # maths as its alttext ...
    assert "L=E" not in method.replace(" ", "")  # ... not the flattened MathML
    everything = repr(text)
    for marker in (REFERENCE_MARKER, FOOTNOTE_MARKER, APPENDIX_MARKER, "A. Author"):
        assert marker not in everything


def test_latexml_without_sections_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_latexml(b"<html><body><h1>No HTML for '2501.00001'</h1></body></html>", "x")


def test_pdf_headings_abstract_and_no_references() -> None:
    text = parse_pdf(make_pdf(pdf_blocks(PDF_ONLY)), PDF_ONLY.arxiv_id)
    assert text.format == "pdf"
    assert [s.title for s in text.sections] == [
        "Introduction",
        "Method",
        "Experiments",
        "Conclusion",
    ]
    assert text.abstract.startswith(abstract(PDF_ONLY)[:60])
    experiments = " ".join(text.sections[2].paragraphs)
    assert "91.21" in experiments and "61.91" in experiments
    assert REFERENCE_MARKER not in repr(text) and "Lovelace" not in repr(text)
    with pytest.raises(ParseError):
        parse_pdf(b"%PDF-1.4 not really", "x")


# --- the token estimate and the extract -------------------------------------------------------

ENGLISH = (
    "Large language models are trained on vast corpora of text and then adapted to follow "
    "instructions. In this work we study how retrieval changes the reasoning of such models "
    "when they face questions that require knowledge they have not memorised, and we report "
    "results on three benchmarks with several strong baselines."
)


def test_token_estimate_matches_the_known_ratios() -> None:
    # OpenAI: "one token is about 4 characters or 0.75 words of English text".
    estimate = estimate_tokens(ENGLISH)
    assert estimate == math.ceil(len(ENGLISH) / 4)
    by_words = len(ENGLISH.split()) / 0.75  # OpenAI's other rule of thumb
    assert abs(estimate - by_words) / by_words < 0.2  # the documented error bar
    # Hangul, Han and kana: about one token per character
    korean = "대규모 추론 모델은 외부 지식을 검색합니다"
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in korean)
    assert estimate_tokens(korean) == hangul + math.ceil((len(korean) - hangul) / 4)
    assert estimate_tokens("日本語のテキスト") == 8
    assert estimate_tokens("") == 0
    # rounding up makes the parts' estimates add up to at least the whole's
    assert estimate_tokens("abcde") + estimate_tokens("fgh") >= estimate_tokens("abcdefgh")


def test_clip_keeps_whole_sentences_within_the_budget() -> None:
    clipped = clip_to_tokens(ENGLISH, 40)
    assert estimate_tokens(clipped) <= 40 and clipped.endswith(".")
    assert ENGLISH.startswith(clipped)
    assert clip_to_tokens("short", 10) == "short"


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Introduction", "introduction"),
        ("Method", "method"),
        ("Our Approach", "method"),
        ("Experimental Setup", "results"),
        ("Results and Discussion", "results"),
        ("Ablation Studies", "results"),
        ("Conclusion and Future Work", "conclusion"),
        ("Related Work", "related"),
        ("References", "skip"),
        ("Acknowledgements", "skip"),
        ("Appendix A: Proofs", "skip"),
        ("Case Study", "other"),
    ],
)
def test_section_kinds(heading: str, kind: str) -> None:
    assert section_kind(heading) == kind


def test_numbers_that_count_as_results() -> None:
    assert has_numbers("reaches 75.3% top-1") and has_numbers("3.9x faster")
    assert has_numbers("an FID of 2.75") and has_numbers("improves by 12%")
    assert not has_numbers("as shown by Smith et al. (2021) in Section 4")


def long_text(sections: int = 300) -> PaperText:
    text = parse_latexml(latexml_html(GAN, extra_sections=sections).encode(), GAN.arxiv_id)
    refs = TextSection("References", (f"Smithee. {REFERENCE_MARKER}. 2031.",))
    return PaperText(text.arxiv_id, text.format, text.abstract, (*text.sections, refs))


def test_extract_holds_its_budget_on_a_very_long_paper() -> None:
    text = long_text()
    assert estimate_tokens(repr(text)) > 100_000
    for budget in (300, 1000, 6000):
        extract = build_extract(text, budget)
        assert estimate_tokens(extract) <= budget
        assert REFERENCE_MARKER not in extract
    # a tight budget still keeps the results first: caption and number-bearing paragraph
    tight = build_extract(text, 300)
    assert GAN.caption in tight and GAN.results in tight
    assert "Analysis paragraph" not in tight  # the long tail of other sections did not fit
    # read in the paper's order: introduction, method, results, conclusion
    roomy = build_extract(text, 6000)
    order = [roomy.index(h) for h in ("## Introduction", "## Method", "## Experiments")]
    assert order == sorted(order)


# --- polite fetching from arXiv ---------------------------------------------------------------


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, follow_redirects=True) as client:
        yield client


def source(arxiv: FakeArxiv, http: httpx.AsyncClient, **kw: object) -> ArxivTextSource:
    options: dict[str, object] = {"delay": 0.0, "backoff": 0.01, "max_attempts": 3}
    options.update(kw)
    return ArxivTextSource(http, arxiv.base_url, **options)  # type: ignore[arg-type]


async def test_html_first_then_pdf_then_none(arxiv: FakeArxiv, http: httpx.AsyncClient) -> None:
    src = source(arxiv, http)
    html = await src.fetch(GAN.arxiv_id)
    assert html is not None and html.format == "html"
    assert arxiv.paths() == [f"/html/{GAN.arxiv_id}", f"/html/{GAN.arxiv_id}v1"]  # redirect
    pdf = await src.fetch(PDF_ONLY.arxiv_id)
    assert pdf is not None and pdf.format == "pdf"
    assert "91.21" in repr(pdf)
    assert await src.fetch("2501.99999") is None  # 404 on both
    assert arxiv.paths()[-2:] == ["/html/2501.99999", "/pdf/2501.99999"]
    before = len(arxiv.requests)
    assert await src.fetch("../../etc/passwd") is None  # not an arXiv id: not even asked
    assert len(arxiv.requests) == before
    assert all(r.user_agent.startswith("dailypapers-bot/") for r in arxiv.requests)


async def test_one_request_at_a_time_with_a_pause(
    arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    src = source(arxiv, http, delay=0.25)
    arxiv.inject("slow", times=2)
    ids = [p.arxiv_id for p in PAPERS[:3]]
    results = await asyncio.wait_for(asyncio.gather(*(src.fetch(i) for i in ids)), 20)
    assert all(r is not None for r in results)
    assert arxiv.max_in_flight == 1
    gaps = [b.started - a.ended for a, b in zip(arxiv.requests, arxiv.requests[1:], strict=False)]
    assert len(gaps) == 5 and min(gaps) >= 0.24


async def test_retries_then_gives_up_and_stops_asking(
    arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    src = source(arxiv, http, max_attempts=3)
    arxiv.inject("down", times=2)
    assert await src.fetch(GAN.arxiv_id) is not None  # third try answers
    assert arxiv.paths()[:3] == [f"/html/{GAN.arxiv_id}"] * 3
    arxiv.inject("down", times=10)
    with pytest.raises(PaperTextError, match="after 3 tries"):
        await src.fetch(PDF_ONLY.arxiv_id)
    asked = len(arxiv.requests)
    with pytest.raises(PaperTextError, match="not asking again"):
        await src.fetch(BY_ID["2501.05366"].arxiv_id)
    assert len(arxiv.requests) == asked


async def test_download_size_is_capped(arxiv: FakeArxiv, http: httpx.AsyncClient) -> None:
    with pytest.raises(PaperTextError, match="cap"):
        await source(arxiv, http, max_bytes=2_000).fetch(GAN.arxiv_id)


# --- stored extracts and what reaches the model ---------------------------------------------


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


def service(
    db: Database,
    llm: FakeOpenAI,
    http: httpx.AsyncClient,
    src: ArxivTextSource,
    input_tokens: int = 6000,
) -> SummaryService:
    client = LlmClient(http, llm.base_url, "k", "fake-summarizer")
    extracts = FullTextExtracts(db, src, input_tokens=input_tokens, now=lambda: NOW)
    return SummaryService(db, client, model="fake-summarizer", now=lambda: NOW, extracts=extracts)


async def test_the_body_reaches_the_model_once_for_every_language(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    papers = [info(GAN), info(PDF_ONLY)]
    summaries = service(db, llm, http, source(arxiv, http))
    korean = await summaries.summarize(papers, "ko")
    prompts = llm.user_prompts()
    assert len(prompts) == 2
    for prompt in prompts:
        assert "<fulltext>" in prompt
        assert REFERENCE_MARKER not in prompt and FOOTNOTE_MARKER not in prompt
        assert APPENDIX_MARKER not in prompt
    gan_prompt = next(p for p in prompts if GAN.results in p)
    assert GAN.caption in gan_prompt and GAN.math in gan_prompt
    assert "2.75" in korean[GAN.arxiv_id].performance_highlights  # type: ignore[operator]
    assert "'Method'" in (korean[GAN.arxiv_id].technical_details or "")  # method specifics
    assert korean[GAN.arxiv_id].based_on == "fulltext"
    fetched = len(arxiv.requests)

    english = await summaries.summarize(papers, "en")
    assert len(llm.user_prompts()) == 4 and len(arxiv.requests) == fetched  # no refetch
    assert "91.21" in (english[PDF_ONLY.arxiv_id].performance_highlights or "")

    def rows(session):  # type: ignore[no-untyped-def]
        return (
            session.exec(select(PaperExtractRow)).all(),
            session.exec(select(SummaryRow)).all(),
            session.exec(select(LlmUsageRow)).all(),
        )

    extracts, cached, usage = await db.run(rows)
    assert sorted((e.arxiv_id, e.status) for e in extracts) == [
        (PDF_ONLY.arxiv_id, "pdf"),
        (GAN.arxiv_id, "html"),
    ]
    assert {(s.prompt_version, s.based_on) for s in cached} == {(PROMPT_VERSION, "fulltext")}
    assert [u.based_on for u in usage if u.event == "call"] == ["fulltext"] * 4


async def test_the_whole_prompt_holds_the_budget_on_a_very_long_paper(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    arxiv.add(GAN, extra_sections=300)
    summaries = service(db, llm, http, source(arxiv, http), input_tokens=2000)
    result = await summaries.summarize([info(GAN)], "ko")
    assert result[GAN.arxiv_id].based_on == "fulltext"
    (body,) = llm.requests
    whole = "".join(m["content"] for m in body["messages"])
    assert estimate_tokens(whole) <= 2000
    assert GAN.results in whole and REFERENCE_MARKER not in whole


async def test_arxiv_down_falls_back_to_the_abstract_and_tries_again_later(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    src = source(arxiv, http, max_attempts=2, down_for=0.0)
    summaries = service(db, llm, http, src)
    arxiv.inject("down", times=2)
    result = await summaries.summarize([info(GAN)], "ko")
    assert result[GAN.arxiv_id].source == "llm"
    assert result[GAN.arxiv_id].based_on == "abstract"
    assert "<fulltext>" not in llm.user_prompts()[0]
    assert not any(ch.isdigit() for ch in result[GAN.arxiv_id].performance_highlights or "")
    assert await db.run(lambda s: s.get(PaperExtractRow, GAN.arxiv_id)) is None  # not stored
    # arXiv is back: the next language gets the full text
    english = await summaries.summarize([info(GAN)], "en")
    assert english[GAN.arxiv_id].based_on == "fulltext"


async def test_an_abstract_summary_made_during_an_outage_is_redone_with_the_full_text(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    """The same language, after arXiv is back: the provisional summary is not cached for good."""
    clock = [NOW]
    src = source(arxiv, http, max_attempts=2, down_for=0.0)
    client = LlmClient(http, llm.base_url, "k", "fake-summarizer")
    extracts = FullTextExtracts(db, src, now=lambda: clock[0])
    summaries = SummaryService(
        db, client, model="fake-summarizer", now=lambda: clock[0], extracts=extracts
    )
    arxiv.inject("down", times=2)
    first = await summaries.summarize([info(GAN)], "ko")
    assert first[GAN.arxiv_id].based_on == "abstract" and first[GAN.arxiv_id].provisional
    assert await db.run(lambda s: s.get(SummaryRow, 1)) is None  # not in the cache table
    calls = len(llm.user_prompts())
    again = await summaries.summarize([info(GAN)], "ko")  # within the hour: no new LLM call
    assert again[GAN.arxiv_id] == first[GAN.arxiv_id] and len(llm.user_prompts()) == calls
    clock[0] = NOW + PROVISIONAL_FOR  # arXiv is back and the provisional summary has aged
    later = await summaries.summarize([info(GAN)], "ko")
    assert later[GAN.arxiv_id].based_on == "fulltext" and not later[GAN.arxiv_id].provisional
    assert "<fulltext>" in llm.user_prompts()[-1]
    cached = await summaries.cached([info(GAN)], "ko")  # and this one is cached for good
    assert cached[GAN.arxiv_id].based_on == "fulltext"


async def test_a_paper_arxiv_does_not_have_is_remembered(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    unknown = PaperInfo("2501.99999", "Not on arXiv", abstract="An abstract without numbers.")
    summaries = service(db, llm, http, source(arxiv, http))
    first = await summaries.summarize([unknown], "en")
    assert first[unknown.arxiv_id].based_on == "abstract"
    asked = len(arxiv.requests)
    await summaries.summarize([unknown], "ko")
    assert len(arxiv.requests) == asked
    row = await db.run(lambda s: s.get(PaperExtractRow, unknown.arxiv_id))
    assert row is not None and row.status == "unavailable" and row.extract == ""


async def test_old_prompt_versions_stay_cached_for_their_version(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    from bot.archive import upsert_papers

    def seed_v1(session):  # type: ignore[no-untyped-def]
        upsert_papers(session, [info(GAN)], NOW)
        session.add(
            SummaryRow(
                arxiv_id=GAN.arxiv_id,
                language="ko",
                prompt_version="v1",
                model="fake-summarizer",
                whats_new="v1",
                technical_details="v1",
                performance_highlights="v1",
            )
        )
        session.commit()

    await db.run(seed_v1)
    summaries = service(db, llm, http, source(arxiv, http))
    fresh = await summaries.summarize([info(GAN)], "ko")
    assert fresh[GAN.arxiv_id].performance_highlights != "v1" and llm.calls == 1
    versions = await db.run(
        lambda s: sorted(r.prompt_version for r in s.exec(select(SummaryRow)).all())
    )
    assert versions == ["v1", PROMPT_VERSION]


def test_fulltext_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    monkeypatch.setenv("FULLTEXT", "off")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.fulltext is False and settings.llm_input_tokens == 6000
    for name, bad in (
        ("ARXIV_DELAY_SECONDS", "-1"),
        ("LLM_INPUT_TOKENS", "10"),
        ("LLM_PRICE_INPUT", "-2"),
        ("FULLTEXT", "maybe"),
    ):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValidationError, match=name.lower()):
            Settings(_env_file=None)  # type: ignore[call-arg]
        monkeypatch.delenv(name)


# --- stats and cost ------------------------------------------------------------------------


async def test_usage_per_day_and_model_with_cost(db: Database) -> None:
    def seed(session):  # type: ignore[no-untyped-def]
        at = datetime(2025, 1, 11, 8, tzinfo=UTC)
        session.add_all(
            [
                LlmUsageRow(
                    at=at,
                    arxiv_id="a",
                    language="ko",
                    model="m1",
                    event="call",
                    prompt_tokens=4000,
                    completion_tokens=500,
                    based_on="fulltext",
                ),
                LlmUsageRow(
                    at=at,
                    arxiv_id="b",
                    language="ko",
                    model="m1",
                    event="call",
                    prompt_tokens=600,
                    completion_tokens=400,
                    based_on="abstract",
                ),
                LlmUsageRow(at=at, arxiv_id="c", language="ko", model="m1", event="failed"),
                LlmUsageRow(at=at, arxiv_id="a", language="ko", model="m1", event="hit"),
                LlmUsageRow(
                    at=at,
                    arxiv_id="a",
                    language="en",
                    model="m2",
                    event="call",
                    prompt_tokens=1000,
                    completion_tokens=100,
                ),
            ]
        )
        session.commit()

    await db.run(seed)
    lines = await usage_report(db, days=7, now=NOW, price_input=2.5, price_output=10.0)
    m1, m2 = lines
    assert (m1.model, m1.calls, m1.fulltext, m1.abstract, m1.hits, m1.offline) == (
        "m1",
        2,
        1,
        1,
        1,
        1,
    )
    assert (m1.prompt_tokens, m1.completion_tokens) == (4600, 900)
    assert m1.cost == pytest.approx((4600 * 2.5 + 900 * 10) / 1e6)
    assert m2.abstract == 1  # calls from before full text count as abstract
    table = format_usage(lines)
    assert "est. cost" in table and "0.0205" in table
    assert table.splitlines()[-1].split()[:3] == ["total", "3", "1"]
    assert estimate_cost(10, 10, None, None) is None
    unpriced = format_usage(await usage_report(db, days=7, now=NOW))
    assert "cost" not in unpriced
    assert format_usage([]) == "No summarizer activity in this period."


async def test_build_app_gives_an_injected_llm_the_full_text(
    db: Database, llm: FakeOpenAI, arxiv: FakeArxiv, http: httpx.AsyncClient
) -> None:
    """The composition root wires arXiv and the extracts for any LLM, the injected one too."""
    client = LlmClient(http, llm.base_url, "k", "fake-summarizer")
    off, _, _ = make_core(db, llm=client)  # the test harness keeps arxiv.org out by default
    assert off.extracts is None
    day = MemorySource({NOW.date(): [FeaturedPaper(day=NOW.date(), paper=info(GAN), votes=5)]})
    app, _, _ = make_core(
        db,
        source=day,
        llm=client,
        fulltext=True,
        arxiv_base_url=arxiv.base_url,
        arxiv_delay_seconds=0,
    )
    try:
        assert app.extracts is not None
        result = await app.summaries.summarize([info(GAN)], "ko")
        assert result[GAN.arxiv_id].based_on == "fulltext"
        assert "2.75" in (result[GAN.arxiv_id].performance_highlights or "")
        assert arxiv.paths()[0] == f"/html/{GAN.arxiv_id}"
        assert GAN.results in llm.user_prompts()[0]
    finally:
        await app.aclose()  # the arXiv client and the extracts' in-flight fetches
