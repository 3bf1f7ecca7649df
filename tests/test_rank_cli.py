"""``dailypapers rank eval``: the real CLI in a subprocess, over the fixture days (fake HF)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.huggingface import FakeHuggingFace
from tests.test_cli import ROOT, Cli

RATINGS = ROOT / "tests" / "fixtures" / "ratings" / "topic_readers.csv"


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as fake:
        yield fake


@pytest.fixture
def cli(hf: FakeHuggingFace, tmp_path: Path) -> Cli:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "LLM_", "TELEGRAM_", "DISCORD_", "DATABASE_", "RANK_"))
    }
    env.update(
        HF_API_BASE_URL=hf.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        NO_PROXY="127.0.0.1,localhost",
        HF_MAX_RETRIES="1",
        LOG_LEVEL="WARNING",
    )
    return Cli(env)


def table(out: str) -> dict[str, tuple[int, float, float]]:
    rows = {}
    for line in out.splitlines():
        parts = line.rsplit(None, 3)
        if len(parts) == 4 and parts[1].isdigit():
            rows[parts[0].strip()] = (int(parts[1]), float(parts[2]), float(parts[3]))
    return rows


async def test_rank_eval_prints_personal_ahead_of_votes(cli: Cli) -> None:
    result = await cli("rank", "eval", "--ratings", str(RATINGS))
    assert result.code == 0, result.err
    assert "224 ratings by 4 chats over 9 days" in result.out
    assert "method" in result.out and "P@5" in result.out and "nDCG@10" in result.out
    rows = table(result.out)
    tfidf, votes = rows["personal (tfidf)"], rows["votes"]
    assert tfidf[0] == votes[0] > 10  # the same (chat, day) cases
    assert tfidf[1] > votes[1] and tfidf[2] > votes[2]
    # no embedding model here: said so in one line, no traceback
    assert "personal (embeddings): not available here" in result.out
    assert "Traceback" not in result.err


async def test_rank_eval_bad_file_is_one_error_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("chat,paper,rating,date\nreader,2501.05366,+2,2025-01-10\n")
    result = await cli("rank", "eval", "--ratings", str(bad))
    assert result.code == 2
    assert result.err.strip() == f"error: {bad}:2: the rating must be +1 or -1"
    missing = await cli("rank", "eval", "--ratings", str(tmp_path / "nope.csv"))
    assert missing.code == 2 and missing.err.startswith("error: cannot read")


async def test_embeddings_backend_without_a_model_is_a_clear_error(cli: Cli) -> None:
    result = await cli("digest", "--date", "2025-01-10", RANK_BACKEND="embeddings")
    assert result.code == 2
    assert "RANK_BACKEND=embeddings needs" in result.err and "Traceback" not in result.err
