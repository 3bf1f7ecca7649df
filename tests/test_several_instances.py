"""Several ``dailypapers run`` processes: real processes, real fakes, one database.

On PostgreSQL two processes share the work: exactly one polls Telegram and holds the Discord
gateway (no 409 Conflict, every command answered once), both can deliver (one digest per
chat), and when the leader is killed the standby takes over well within a minute. On SQLite a
second process is refused with a clear message.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.fakes.net import free_port
from tests.fakes.telegram import FakeTelegram
from tests.test_run import (  # noqa: F401  (fakes and env are fixtures)
    ALICE,
    GROUP,
    ROOT,
    BotProcess,
    digests,
    env,
    fakes,
    just_passed,
)

FAST = {"HEARTBEAT_SECONDS": "1", "LEASE_SECONDS": "3", "TICK_SECONDS": "1"}


def polling(tg: FakeTelegram) -> int:
    return sum(1 for name, _ in tg.calls if name == "getupdates")


async def wait_log(bot: BotProcess, text: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while text not in bot.log():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{bot.log()}"
        await asyncio.sleep(0.2)


async def test_sqlite_refuses_a_second_running_bot(fakes, env, tmp_path: Path) -> None:
    _, tg, _ = fakes
    first = BotProcess(env, tmp_path / "first.log")
    await first.start()
    try:
        await tg.wait_for(lambda: polling(tg) > 0, within=30)
        second = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env={**env, "HTTP_PORT": str(free_port())},
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode != 0
        lines = err.decode().strip().splitlines()
        assert lines[-1].startswith("error: another `dailypapers run` is already using")
        assert "use PostgreSQL" in lines[-1] and "Traceback" not in err.decode()
        assert tg.conflicts == 0
    finally:
        assert await first.stop() == 0, first.log()


async def test_two_processes_on_postgres_share_the_work_and_hand_over(
    fakes, env, postgres_url: str, tmp_path: Path
) -> None:
    _, tg, discord = fakes
    shared = {**env, **FAST, "DATABASE_URL": postgres_url}
    # each process serves its own /healthz and /metrics
    alpha_env = {**shared, "INSTANCE_ID": "alpha", "HTTP_PORT": str(free_port())}
    beta_env = {**shared, "INSTANCE_ID": "beta", "HTTP_PORT": str(free_port())}
    alpha = BotProcess(alpha_env, tmp_path / "alpha.log")
    beta = BotProcess(beta_env, tmp_path / "beta.log")
    await alpha.start()
    try:
        await wait_log(alpha, "bot running as instance alpha")
        await beta.start()
        await wait_log(beta, "another instance receives updates; standing by")

        # commands are answered once: one poller, one gateway session
        tg.private_message(ALICE, "/today")
        await tg.wait_sent(1, chat_id=ALICE, within=20)
        interaction = await discord.inject_command("today", user_id=discord.admin_id)
        await discord.wait_replied(interaction, within=20)
        await asyncio.sleep(2)
        assert len(tg.sent_to(ALICE)) == 1
        assert len(discord.identify_payloads) == 1

        # both deliver, one digest per chat
        tg.group_message(GROUP, ALICE, "/subscribe")
        await tg.wait_sent(1, chat_id=GROUP, within=20)
        tg.group_message(GROUP, ALICE, f"/settings time {just_passed()}")
        await tg.wait_for(lambda: len(digests(tg.sent_to(GROUP))) == 1, within=30)
        await asyncio.sleep(2)  # both claimers keep running: still one digest, and it is
        assert len(digests(tg.sent_to(GROUP))) == 1  # settled before the kill below

        assert tg.conflicts == 0, "two processes polled Telegram at once"
        # the leader dies without a word: the standby polls within the lease (3 s) + a beat
        assert alpha.process is not None
        alpha.process.kill()
        await alpha.process.wait()
        killed = time.monotonic()
        await wait_log(beta, "now holds it", within=60)
        tg.private_message(ALICE, "/help")
        await tg.wait_sent(2, chat_id=ALICE, within=60)
        assert time.monotonic() - killed < 60
        await wait_log(beta, "Discord ready", within=60)  # the gateway comes up after the lease
        interaction = await discord.inject_command("help", user_id=discord.admin_id)
        await discord.wait_replied(interaction, within=30)
        await asyncio.sleep(3)
        assert len(digests(tg.sent_to(GROUP))) == 1
        # the dead leader's last long poll is ended by beta's (a 409 nobody reads); beta
        # itself never meets a Conflict
        assert "Conflict" not in beta.log()
        assert len(discord.identify_payloads) == 2  # alpha's session, then beta's
    finally:
        await alpha.stop()
        assert await beta.stop() == 0, beta.log()
