"""HuggingFaceSource through the real httpx client against the loopback FakeHuggingFace."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest

from bot.errors import SourceUnavailable
from bot.huggingface import HuggingFaceSource
from tests.fakes.hf_data import SEED_IDS, load_day, make_item
from tests.fakes.huggingface import FakeHuggingFace


class Waits:
    """The injected sleep: records how long the source wanted to wait, never sleeps."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as fake:
        yield fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


@pytest.fixture
def waits() -> Waits:
    return Waits()


def source_for(client: httpx.AsyncClient, base: str, waits: Waits, **kw) -> HuggingFaceSource:
    kw.setdefault("token", None)
    return HuggingFaceSource(client, base, sleep=waits, **kw)


async def test_seed_day_parses_every_paper(hf, client, waits):
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))

    assert [fp.paper.arxiv_id for fp in papers] == list(SEED_IDS)
    first = papers[0]
    assert first.day == date(2025, 1, 10)
    assert first.paper.title == "Search-o1: Agentic Search-Enhanced Large Reasoning Models"
    assert first.votes == 39
    assert first.comments == 2
    assert first.paper.authors[:2] == ("Xiaoxi Li", "Zhicheng Dou")
    assert len(first.paper.authors) == 8
    assert first.paper.published_at == datetime(2025, 1, 9, 17, 59, 58, tzinfo=UTC)
    assert first.paper.thumbnail and first.paper.thumbnail.endswith("/2501.05366.png")
    # old-style items: the newer optional fields are simply absent
    assert first.paper.organization is None
    assert first.paper.github_repo is None
    assert first.paper.keywords == ()
    assert first.paper.ai_summary is None
    assert hf.count(date="2025-01-10", limit="50", p="0") == 1
    assert hf.requests[0].headers.get("Authorization") is None


async def test_whitespace_in_titles_and_abstracts_is_collapsed(hf, client, waits):
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))
    raw = {item["paper"]["id"]: item["paper"] for item in load_day("2025-01-10")}

    assert "\n" in raw["2501.04377"]["title"]
    by_id = {fp.paper.arxiv_id: fp.paper for fp in papers}
    assert by_id["2501.04377"].title == (
        "On Computational Limits and Provably Efficient Criteria of Visual Autoregressive "
        "Models: A Fine-Grained Complexity Analysis"
    )
    assert "\n" in raw["2501.05366"]["summary"]
    assert "\n" not in by_id["2501.05366"].abstract
    assert "  " not in by_id["2501.05366"].abstract


async def test_rich_day_reads_the_newer_fields(hf, client, waits):
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 6, 25))
    by_id = {fp.paper.arxiv_id: fp.paper for fp in papers}

    omnigen = by_id["2506.18871"]
    assert omnigen.organization == "Beijing Academy of Artificial Intelligence"
    assert omnigen.github_repo == "https://github.com/VectorSpaceLab/OmniGen2"
    assert omnigen.github_stars == 2310
    assert omnigen.project_page == "https://vectorspacelab.github.io/OmniGen2"
    assert "image editing" in omnigen.keywords
    assert omnigen.ai_summary and omnigen.ai_summary.startswith("OmniGen2 unifies")
    assert by_id["2506.19851"].organization == "ByteDance"  # only on the item
    assert by_id["2506.18898"].organization == "Qwen"  # only a name, no fullname
    assert "Hao Chen" in by_id["2506.18898"].authors  # hidden authors are still authors
    assert by_id["2506.19290"].organization is None


async def test_paged_day_fetches_two_pages(hf, client, waits):
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 5, 27))

    assert len(papers) == 57
    assert len({fp.paper.arxiv_id for fp in papers}) == 57
    assert hf.count(date="2025-05-27", p="0") == 1
    assert hf.count(date="2025-05-27", p="1") == 1
    assert hf.count(date="2025-05-27") == 2


async def test_exactly_full_page_asks_for_one_more_then_stops(hf, client, waits):
    hf.set_day("2025-05-28", load_day("2025-05-27")[:50])
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 5, 28))

    assert len(papers) == 50
    assert hf.count(date="2025-05-28") == 2  # page 1 came back empty


async def test_small_page_size_dedupes_and_stops_when_paging_is_ignored(hf, client, waits):
    hf.ignore_paging = True
    papers = await source_for(client, hf.base_url, waits, page_size=4).fetch_day(date(2025, 1, 10))

    assert [fp.paper.arxiv_id for fp in papers] == list(SEED_IDS[:4])
    assert hf.count(date="2025-01-10") == 2  # the second page repeated the first: stop


async def test_empty_weekend_day(hf, client, waits):
    assert await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 11)) == []
    assert hf.count(date="2025-01-11") == 1


async def test_token_is_sent_as_bearer(hf, client, waits):
    await source_for(client, hf.base_url, waits, token="hf_secret").fetch_day(date(2025, 1, 11))
    assert hf.requests[0].headers["Authorization"] == "Bearer hf_secret"


async def test_429_waits_retry_after_then_succeeds(hf, client, waits):
    hf.rate_limit_next(retry_after=7)
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))

    assert len(papers) == 10
    assert waits.seconds == [7]
    assert hf.count(date="2025-01-10") == 2


async def test_429_without_retry_after_uses_ratelimit_reset(hf, client, waits):
    hf.rate_limit_next(retry_after=None, reset=12)
    await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))
    assert waits.seconds == [12]


async def test_429_with_a_long_wait_gives_up_at_once(hf, client, waits):
    hf.rate_limit_next(retry_after=280)
    with pytest.raises(SourceUnavailable) as err:
        await source_for(client, hf.base_url, waits, max_wait=60).fetch_day(date(2025, 1, 10))

    assert "rate limiting" in str(err.value)
    assert "5 minutes" in str(err.value)
    assert "HF_TOKEN" in str(err.value)
    assert waits.seconds == []
    assert hf.count() == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_then_success(hf, client, waits, status):
    hf.fail_next(status)
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))

    assert len(papers) == 10
    assert len(waits.seconds) == 1
    assert 0 < waits.seconds[0] <= 60


async def test_persistent_500_raises_source_unavailable(hf, client, waits):
    hf.fail_next(500, times=10)
    with pytest.raises(SourceUnavailable) as err:
        await source_for(client, hf.base_url, waits, max_retries=3).fetch_day(date(2025, 1, 10))

    message = str(err.value)
    assert "HTTP 500" in message and "2025-01-10" in message and "tried 4 times" in message
    assert "\n" not in message
    assert hf.count() == 4
    assert len(waits.seconds) == 3
    assert 1 <= waits.seconds[0] <= 2 and 4 <= waits.seconds[2] <= 5  # exponential, jittered


async def test_malformed_json_raises_source_unavailable(hf, client, waits):
    hf.malformed_next()
    with pytest.raises(SourceUnavailable) as err:
        await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))
    assert "not the expected JSON" in str(err.value)
    assert hf.count() == 1


async def test_json_that_is_not_a_list_raises_source_unavailable(hf, client, waits):
    hf.fail_next(200, body='{"papers": []}')
    with pytest.raises(SourceUnavailable, match="not the expected JSON"):
        await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))


async def test_undecodable_body_raises_source_unavailable(hf, client, waits):
    # a proxy that mangles compression: httpx raises DecodingError, not a TransportError
    hf.fail_next(200, body="this is not gzip", headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceUnavailable, match="could not be decoded"):
        await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 10))
    assert hf.count() == 1


async def test_redirect_loop_raises_source_unavailable(hf, waits):
    loop = {"Location": "/api/daily_papers?date=2025-01-10"}
    hf.fail_next(302, times=10, headers=loop)
    async with httpx.AsyncClient(trust_env=False, follow_redirects=True, max_redirects=3) as http:
        with pytest.raises(SourceUnavailable, match="HF_API_BASE_URL"):
            await source_for(http, hf.base_url, waits).fetch_day(date(2025, 1, 10))
    assert hf.count() == 4  # the first request and three redirects, never retried


async def test_timeout_is_retried_then_reported(hf, client, waits):
    hf.delay_next(1.0, times=2)
    source = source_for(client, hf.base_url, waits, timeout=0.2, max_retries=1)
    with pytest.raises(SourceUnavailable) as err:
        await source.fetch_day(date(2025, 1, 10))
    assert "did not answer within 0.2 s" in str(err.value)
    assert len(waits.seconds) == 1


async def test_timeout_once_then_success(hf, client, waits):
    hf.delay_next(1.0)
    source = source_for(client, hf.base_url, waits, timeout=0.2, max_retries=2)
    assert len(await source.fetch_day(date(2025, 1, 10))) == 10


async def test_connection_refused_message(client, waits):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with pytest.raises(SourceUnavailable) as err:
        await source_for(client, base, waits, max_retries=1).fetch_day(date(2025, 1, 10))

    assert str(err.value) == (
        f"Could not reach Hugging Face at {base}: connection refused (tried 2 times). "
        "Check your network or HF_API_BASE_URL."
    )


async def test_bad_date_is_400_and_not_retried(hf, client, waits):
    source = source_for(client, hf.base_url, waits)
    with pytest.raises(SourceUnavailable) as err:
        await source._get_json("/api/daily_papers", {"date": "2025-13-40"}, what="a bad day")
    assert "HTTP 400" in str(err.value) and '"date" must be a valid date' in str(err.value)
    assert hf.count() == 1
    assert waits.seconds == []


async def test_missing_optional_fields_and_broken_items(hf, client, waits, caplog):
    minimal = {"paper": {"id": "2501.09999", "title": "Only\n   the   basics"}}
    hf.set_day(
        "2025-01-15",
        [
            minimal,
            {"paper": {"title": "no id"}},
            {"paper": {"id": "2501.09998"}},  # no title anywhere
            {"paper": {"id": "୫1൩.᱀៨", "title": "not an arXiv id"}},
            "not an object",
            {"title": "no paper object"},
            {
                "paper": {
                    "id": "2501.09997",
                    "title": "Odd types",
                    "authors": [{"name": "A. Author"}, {"name": None}, "x", {"_id": "1"}],
                    "upvotes": "many",
                    "githubStars": True,
                    "ai_keywords": "not a list",
                    "publishedAt": "yesterday",
                    "organization": "not an object",
                },
                "numComments": None,
            },
            make_item("2501.09996", "Complete <&> item", votes=3, authors=["B. Author"]),
        ],
    )
    papers = await source_for(client, hf.base_url, waits).fetch_day(date(2025, 1, 15))

    assert [fp.paper.arxiv_id for fp in papers] == ["2501.09999", "2501.09997", "2501.09996"]
    basic = papers[0]
    assert basic.paper.title == "Only the basics"
    assert basic.paper.abstract == "" and basic.paper.authors == ()
    assert basic.votes == 0 and basic.comments == 0
    odd = papers[1].paper
    assert odd.authors == ("A. Author",)
    assert odd.github_stars is None and odd.keywords == () and odd.published_at is None
    assert odd.organization is None
    assert papers[2].paper.title == "Complete <&> item"  # kept raw: renderers escape
    assert sum("Skipping" in r.message for r in caplog.records) == 5


async def test_fetch_paper_found_and_not_found(hf, client, waits):
    source = source_for(client, hf.base_url, waits)

    paper = await source.fetch_paper("2501.05441")
    assert paper is not None
    assert paper.title == "The GAN is dead; long live the GAN! A Modern GAN Baseline"
    assert paper.authors[0] == "Aaron Gokaslan"
    assert await source.fetch_paper("2501.99999") is None
    assert hf.count("/api/papers/2501.99999") == 1


async def test_fetch_paper_server_error_raises(hf, client, waits):
    hf.fail_next(503, times=5)
    with pytest.raises(SourceUnavailable, match=r"HTTP 503 for paper 2501\.05441"):
        await source_for(client, hf.base_url, waits, max_retries=2).fetch_paper("2501.05441")
