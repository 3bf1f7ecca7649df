"""The product as a user runs it: the real ``dailypapers`` CLI in a subprocess, against fakes."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.telegram.render import validate_telegram_html
from tests.fakes.hf_data import SEED_IDS
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.net import free_port
from tests.fakes.openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    async def __call__(self, *args: str, stdin: str = "", **env: str) -> Result:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**self.env, **env},
            cwd=ROOT,
        )
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
        assert process.returncode is not None
        return Result(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as fake:
        yield fake


@pytest.fixture
def cli(hf: FakeHuggingFace, tmp_path: Path) -> Cli:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("HF_", "LLM_", "TELEGRAM_", "DISCORD_", "DATABASE_", "ARXIV_", "FULLTEXT")
        )
    }
    env.update(
        FULLTEXT="off",  # never arxiv.org: tests/test_fulltext_cli.py turns it on with its fake
        HF_API_BASE_URL=hf.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        NO_PROXY="127.0.0.1,localhost",
        HF_MAX_RETRIES="1",
        LOG_LEVEL="WARNING",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(free_port()),  # `run` may start /healthz before a platform fails
    )
    (tmp_path / ".env").write_text("")
    return Cli(env)


async def test_digest_markdown_is_seed_shaped(cli: Cli) -> None:
    result = await cli("digest", "--date", "2025-01-10", "--format", "markdown")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "## Daily Papers (2025-01-10)"
    titles = [line for line in lines if line.startswith("### [")]
    assert len(titles) == len(SEED_IDS) == 10
    assert titles[0] == (
        "### [Search-o1: Agentic Search-Enhanced Large Reasoning Models]"
        "(https://arxiv.org/abs/2501.05366)"
    )
    block = result.out.split("### [")[1]
    assert "![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.05366.png)" in (
        block
    )
    assert "\nVote: 39\n" in block
    assert "\nAuthors: Xiaoxi Li, Zhicheng Dou" in block
    assert "Traceback" not in result.err


async def test_digest_telegram_passes_telegrams_rules(cli: Cli) -> None:
    import re

    result = await cli("digest", "--date", "2025-01-10", "--format", "telegram")
    assert result.code == 0, result.err
    header = re.compile(r"^──── Telegram message \d+/\d+ \((text|photo \S+)\) ────$", re.M)
    chunks = header.split(result.out)[1:]
    messages = []
    for kind, body in zip(chunks[::2], chunks[1::2], strict=True):
        lines = body.strip("\n").splitlines()
        while lines and lines[-1].startswith("[") and " → " in lines[-1]:
            lines.pop()  # the inline keyboard, printed under the message
        messages.append((kind, "\n".join(lines)))
    assert len(messages) >= 10
    for kind, html in messages:
        if kind.startswith("photo"):
            validate_telegram_html(html, limit=1024, allow_empty=True)
        else:
            validate_telegram_html(html)
    assert 'href="https://arxiv.org/abs/2501.05366"' in result.out


async def test_digest_other_formats_and_limit(cli: Cli) -> None:
    import json

    result = await cli("digest", "--date", "2025-01-10", "--format", "json", "--limit", "3")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert len(data["cards"]) == 3
    text = await cli("digest", "--date", "2025-01-10", "--limit", "2")
    assert "Search-o1" in text.out and text.code == 0
    discord = await cli("digest", "--date", "2025-01-10", "--format", "discord")
    assert discord.code == 0 and "embeds" in discord.out


async def test_default_digest_is_todays_digest(cli: Cli) -> None:
    result = await cli("digest", "--format", "markdown")
    assert result.code == 0, result.err
    assert result.out.startswith("## Daily Papers (")


async def test_console_answers_a_script(cli: Cli) -> None:
    script = "/search diffusion\n/top 3\n/date 2025-13-45\n"
    # search covers stored days: store a few first, as a running bot would have
    fetched = await cli("fetch", "--since", "2025-01-06", "--until", "2025-01-14")
    assert fetched.code == 0, fetched.err
    result = await cli("console", stdin=script)
    assert result.code == 0, result.err
    out = result.out
    assert "diffusion" in out.lower()
    assert "Top 3" in out
    assert "'2025-13-45' is not a date" in out and "YYYY-MM-DD" in out
    assert "Traceback" not in out + result.err


async def test_network_failure_is_one_clear_line(cli: Cli) -> None:
    result = await cli("digest", "--date", "2025-01-10", HF_API_BASE_URL="http://127.0.0.1:9")
    assert result.code != 0
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "HF_API_BASE_URL" in lines[0] or "Hugging Face" in lines[0]


async def test_bad_options_are_explained(cli: Cli) -> None:
    bad_date = await cli("digest", "--date", "2025-13-45")
    assert bad_date.code != 0 and "YYYY-MM-DD" in bad_date.err
    bad_format = await cli("digest", "--format", "pdf")
    assert bad_format.code != 0 and "Traceback" not in bad_format.err
    bad_tz = await cli("digest", DEFAULT_TIMEZONE="Mars/Olympus")
    assert bad_tz.code != 0 and "DEFAULT_TIMEZONE" in bad_tz.err


async def test_db_upgrade_and_channels(cli: Cli) -> None:
    assert (await cli("db", "upgrade")).code == 0
    empty = await cli("channels", "list")
    assert "No subscriptions" in empty.out
    added = await cli("channels", "add", "telegram", "-1001234")
    assert added.code == 0 and "#1" in added.out
    changed = await cli("channels", "set", "1", "time", "07:45")
    assert changed.code == 0 and "07:45" in changed.out
    bad = await cli("channels", "set", "1", "timezone", "Nowhere/Land")
    assert bad.code != 0 and "IANA" in bad.err
    shown = await cli("channels", "show", "1")
    assert "Time: 07:45 (UTC)" in shown.out
    missing = await cli("channels", "show", "99")
    assert missing.code != 0 and "#99" in missing.err
    assert (await cli("channels", "remove", "1")).code == 0
    assert "No subscriptions" in (await cli("channels", "list")).out


async def test_korean_summaries_cached_and_offline_when_down(cli: Cli) -> None:
    async with FakeOpenAI() as llm:
        env = {"LLM_BASE_URL": llm.base_url, "LLM_MODEL": "fake-summarizer", "LLM_API_KEY": "k"}
        args = ("digest", "--date", "2025-01-10", "--format", "markdown", "--language", "ko")
        first = await cli(*args, **env)
        assert first.code == 0, first.err
        assert first.out.count("- ***What's New***: ") == 10
        assert first.out.count("- ***Technical Details***: ") == 10
        assert first.out.count("- ***Performance Highlights***: ") == 10
        assert any("\uac00" <= ch <= "\ud7a3" for ch in first.out)  # Hangul
        calls = llm.calls
        assert calls == 10
        second = await cli(*args, **env)
        assert second.code == 0 and llm.calls == calls  # zero new LLM calls
        stats = await cli("summaries", "stats", **env)
        assert stats.code == 0 and "10" in stats.out
    down = await cli(
        "digest",
        "--date",
        "2025-01-09",
        "--format",
        "markdown",
        "--language",
        "ko",
        LLM_BASE_URL="http://127.0.0.1:9/v1",
        LLM_MODEL="fake-summarizer",
    )
    assert down.code == 0, down.err
    assert down.out.count("### [") >= 1 and "Traceback" not in down.err


async def test_run_explains_a_platform_that_cannot_start(cli: Cli) -> None:
    nothing = await cli("run")
    assert nothing.code != 0 and "TELEGRAM_BOT_TOKEN" in nothing.err
    down = await cli(
        "run", TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot"
    )
    assert down.code != 0 and "Traceback" not in down.err
    assert "error: Telegram could not start" in down.err and "TELEGRAM_API_BASE_URL" in down.err
