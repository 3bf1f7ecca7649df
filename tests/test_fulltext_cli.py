"""Full-text summaries as a user runs them: the real CLI in a subprocess, against the fakes
(Hugging Face, an OpenAI-compatible LLM, arXiv)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.fakes.arxiv import FakeArxiv
from tests.fakes.arxiv_data import BY_ID, REFERENCE_MARKER, abstract
from tests.fakes.openai import FakeOpenAI
from tests.test_cli import Cli, cli, hf  # noqa: F401  (fixtures)

ARGS = ("digest", "--date", "2025-01-10", "--format", "markdown", "--language", "ko")


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as fake:
        yield fake


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


def env_for(llm: FakeOpenAI, arxiv_url: str) -> dict[str, str]:
    return {
        "LLM_BASE_URL": llm.base_url,
        "LLM_MODEL": "fake-summarizer",
        "LLM_API_KEY": "k",
        "FULLTEXT": "on",
        "ARXIV_BASE_URL": arxiv_url,
        "ARXIV_DELAY_SECONDS": "0",
        "ARXIV_MAX_RETRIES": "2",
    }


def highlights(markdown: str) -> dict[str, str]:
    """arXiv id → its Performance Highlights line, from the seed-shaped Markdown."""
    out: dict[str, str] = {}
    for block in markdown.split("\n### [")[1:]:
        aid = re.search(r"\(https://arxiv\.org/abs/([^)]+)\)", block)
        line = re.search(r"^- \*\*\*Performance Highlights\*\*\*: (.*)$", block, re.M)
        assert aid and line, block
        out[aid.group(1)] = line.group(1)
    return out


async def test_must_show_korean_highlights_quote_numbers_only_the_body_states(
    cli: Cli,  # noqa: F811
    llm: FakeOpenAI,
    arxiv: FakeArxiv,
) -> None:
    env = env_for(llm, arxiv.base_url)
    result = await cli(*ARGS, **env)
    assert result.code == 0, result.err
    lines = highlights(result.out)
    assert sorted(lines) == sorted(BY_ID)
    for aid, line in lines.items():
        paper = BY_ID[aid]
        assert any(ch >= "\uac00" and ch <= "\ud7a3" for ch in line)  # Korean
        body_only = [n for n in paper.body_only if n in line]
        assert body_only, f"{aid}: no body-only number in {line!r}"
        for number in body_only:
            assert number not in abstract(paper), f"{aid}: {number} is in the abstract"
    # the PDF-only paper was read from its PDF; references never reached the model
    assert "/pdf/2501.04828" in arxiv.paths() and "/html/2501.04828" in arxiv.paths()
    assert not any(REFERENCE_MARKER in prompt for prompt in llm.user_prompts())
    assert all(r.user_agent.startswith("dailypapers-bot/") for r in arxiv.requests)

    # a second language and a re-run: new LLM calls for English, but arXiv is not asked again
    fetched = len(arxiv.requests)
    english = await cli(*ARGS[:-1], "en", **env)
    assert english.code == 0, english.err
    assert all(
        any(n in line for n in BY_ID[aid].body_only)
        for aid, line in highlights(english.out).items()
    )
    again = await cli(*ARGS, **env)
    assert again.code == 0 and again.out == result.out
    assert len(arxiv.requests) == fetched

    stats = await cli("summaries", "stats", LLM_PRICE_INPUT="2.5", LLM_PRICE_OUTPUT="10", **env)
    assert stats.code == 0, stats.err
    header, _rule, en, ko, _rule2, total = stats.out.splitlines()
    assert header.split() == [
        "day",
        "model",
        "language",
        "calls",
        "fulltext",
        "abstract",
        "hits",
        "offline",
        "input",
        "tok",
        "output",
        "tok",
        "est.",
        "cost",
    ]
    # one line per day, model and language: 10 calls each, the Korean re-run all cache hits
    assert en.split()[1:8] == ["fake-summarizer", "en", "10", "10", "0", "0", "0"]
    assert ko.split()[1:8] == ["fake-summarizer", "ko", "10", "10", "0", "10", "0"]
    cells = total.split()
    assert cells[:6] == ["total", "20", "20", "0", "10", "0"]  # 2 languages x 10 papers, 1 re-run
    prompt_tokens, completion_tokens, cost = int(cells[6]), int(cells[7]), float(cells[8])
    assert prompt_tokens > 0 and completion_tokens > 0
    assert cost == pytest.approx((prompt_tokens * 2.5 + completion_tokens * 10) / 1e6, abs=1e-4)


async def test_arxiv_down_gives_abstract_summaries_and_exit_0(
    cli: Cli,  # noqa: F811
    llm: FakeOpenAI,
) -> None:
    env = env_for(llm, "http://127.0.0.1:9")
    result = await cli(*ARGS, **env)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    lines = highlights(result.out)
    assert len(lines) == 10
    for aid, line in lines.items():  # no body, so no number at all
        assert not re.search(r"\d", line), (aid, line)
    assert not any("<fulltext>" in prompt for prompt in llm.user_prompts())
    stats = await cli("summaries", "stats", **env)
    cells = stats.out.splitlines()[2].split()
    assert cells[2:6] == ["ko", "10", "0", "10"]  # 10 calls in Korean, all from the abstract
    assert "est. cost" not in stats.out  # no price set


async def test_fulltext_off_is_abstract_only(
    cli: Cli,  # noqa: F811
    llm: FakeOpenAI,
    arxiv: FakeArxiv,
) -> None:
    result = await cli(*ARGS, **{**env_for(llm, arxiv.base_url), "FULLTEXT": "off"})
    assert result.code == 0, result.err
    assert arxiv.requests == []
    assert len(llm.user_prompts()) == 10
    assert not any("<fulltext>" in prompt for prompt in llm.user_prompts())
