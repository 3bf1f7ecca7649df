"""The operator CLI validates like /settings: a bad value is one ``error:`` line, exit 2, and
nothing changes. Also: fetch counts only what is new, digest refuses future days and warns when
summaries fell back, piped console echoes each command."""

from __future__ import annotations

import asyncio
import os
import pty
import sys

from tests.fakes.openai import FakeOpenAI
from tests.test_cli import ROOT, Cli, cli, hf  # noqa: F401  (fixtures)


def one_error(result) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2, (result.code, result.err)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


async def test_channels_refuse_bad_values_and_change_nothing(cli: Cli) -> None:  # noqa: F811
    added = await cli("channels", "add", "telegram", "-100123")
    assert added.code == 0, added.err
    before = (await cli("channels", "list")).out
    assert "subscribed" in before and "inactive" not in before

    assert "maybe" in one_error(await cli("channels", "set", "1", "active", "maybe"))
    assert "not a valid" in one_error(await cli("channels", "set", "1", "top", "500"))
    assert "Mars/Base" in one_error(await cli("channels", "set", "1", "tz", "Mars/Base"))
    assert (await cli("channels", "list")).out == before  # nothing changed

    assert "notanumber" in one_error(await cli("channels", "add", "telegram", "notanumber"))
    assert "12" in one_error(await cli("channels", "add", "discord", "12"))
    assert "irc" in one_error(await cli("channels", "add", "irc", "5"))
    assert "irc" in one_error(await cli("channels", "list", "--platform", "irc"))
    assert (await cli("channels", "list")).out == before

    ok = await cli("channels", "set", "1", "active", "off")
    assert ok.code == 0 and "inactive" in ok.out


async def test_fetch_counts_only_what_is_new(cli: Cli) -> None:  # noqa: F811
    first = await cli("fetch", "--since", "2025-01-06", "--until", "2025-01-10")
    assert first.code == 0, first.err
    assert "Stored 21 featured papers new since 2025-01-06" in first.out, first.out
    again = await cli("fetch", "--since", "2025-01-06", "--until", "2025-01-10")
    assert again.code == 0, again.err
    assert "Nothing new since 2025-01-06" in again.out and "21 featured papers" in again.out
    assert "Stored" not in again.out


async def test_digest_in_the_future_says_so(cli: Cli) -> None:  # noqa: F811
    line = one_error(await cli("digest", "--date", "2999-01-01"))
    assert "2999-01-01 is in the future" in line


async def test_digest_warns_once_when_summaries_fell_back(cli: Cli) -> None:  # noqa: F811
    async with FakeOpenAI() as llm:
        env = {"LLM_BASE_URL": llm.base_url, "LLM_MODEL": "no-such-model", "LLM_API_KEY": "k"}
        result = await cli("digest", "--date", "2025-01-10", "--language", "ko", **env)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.err
    assert "10 of 10 summaries are the original English ones" in warnings[0]
    assert "does not know LLM_MODEL='no-such-model'" in warnings[0]
    dead = await cli(
        "digest",
        "--date",
        "2025-01-10",
        "--language",
        "ko",
        LLM_BASE_URL="http://127.0.0.1:9/v1",
        LLM_MODEL="fake-summarizer",
    )
    assert dead.code == 0, dead.err
    assert "could not be reached" in dead.err and dead.err.count("warning:") == 1


async def test_piped_console_echoes_commands(cli: Cli) -> None:  # noqa: F811
    result = await cli("console", stdin="/help\n/date 2025-01-10\n/more\n")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    echoed = [line for line in lines if line.startswith("dailypapers> ")]
    assert echoed == ["dailypapers> /help", "dailypapers> /date 2025-01-10", "dailypapers> /more"]
    assert lines.index("dailypapers> /help") < lines.index("dailypapers> /date 2025-01-10")


async def test_fetch_shows_a_progress_bar_on_a_terminal_only(cli: Cli) -> None:  # noqa: F811
    """stderr on a pseudo-terminal gets rich's bar ("Fetched DAY", "n/m"); a pipe gets none."""
    primary, secondary = pty.openpty()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot.cli", "fetch", "--since", "2025-01-06", "--until", "2025-01-10"),
            stdout=asyncio.subprocess.PIPE,
            stderr=secondary,
            env={**cli.env, "TERM": "xterm", "COLUMNS": "100"},
            cwd=ROOT,
        )
        os.close(secondary)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        terminal = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(primary)
    assert process.returncode == 0
    shown = terminal.decode(errors="replace")
    assert "Fetched 2025-01-" in shown and "/5" in shown, shown
    assert "Stored 21 featured papers" in out.decode()
    piped = await cli("fetch", "--since", "2025-01-06", "--until", "2025-01-10")
    assert "Fetched" not in piped.err and "Nothing new" in piped.out
