# ruff: noqa: F811  (reuses tests/test_run.py's fixtures: a parameter shadows the import)
"""The delivery engine in real ``dailypapers run`` processes: killed, stopped, and three at once.

Each test subscribes a few dozen private chats with a post time that has just passed, slows
the fake Bot API down so the fan-out takes a few seconds, and interrupts it:

* SIGKILL, then a restart under the same ``INSTANCE_ID`` (its previous boot's claims are
  freed at once; the ledger resumes each chat at ``messages_sent``), or another instance
  that is already running and takes the dead one's claims when its heartbeat goes stale;
* SIGTERM: the message in flight is finished and every claim is given back;
* three processes on one PostgreSQL database sharing one morning.

Every chat gets its digest; only a message that was in flight at a SIGKILL may come twice.
Two regressions found this way: an instance that took longer than LEASE_SECONDS to start was
taken for dead (its claims freed under it: digests sent twice), and a tick landing while the
claimer prepared a page lost the fan-out's INFO line.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import SubscriptionRow
from tests.fakes.net import free_port
from tests.fakes.telegram import FakeTelegram
from tests.test_run import (  # noqa: F401  (fakes and env are fixtures)
    ALICE,
    CAROL,
    BotProcess,
    digests,
    env,
    fakes,
    just_passed,
)
from tests.test_several_instances import FAST, wait_log

WORKERS = 4  # DELIVERY_CONCURRENCY: at most this many messages are in flight at a kill
SLOW = 0.5  # seconds the fake Bot API takes to answer each sendMessage during a fan-out
DIGEST = "Daily Papers ("
ENDED = "morning post "  # the delivery log's one line per fan-out: "morning post DAY: N chats"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, env: dict[str, str]) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return env["DATABASE_URL"]


def add_chats(tg: FakeTelegram, first: int, count: int) -> list[int]:
    """Private chats the fake Bot API accepts messages to."""
    chats = list(range(first, first + count))
    for chat in chats:
        tg.add_private_chat(chat, f"Reader {chat}")
    return chats


async def open_database(url: str) -> Database:
    return await asyncio.to_thread(Database.from_url, url)  # migrated, like the bot does


async def subscribe(url: str, chats: Iterable[int], *, at_once: bool = True) -> None:
    """Subscribe the chats with a post time that has just passed: due at the next tick.

    ``at_once``: in one transaction (the first claimer to see them takes them all); else one
    transaction per chat, so running instances claim them as they come."""
    rows = [
        SubscriptionRow(
            platform="telegram", chat_id=str(chat), post_time=just_passed(), timezone="UTC"
        )
        for chat in chats
    ]
    db = await open_database(url)
    try:
        for batch in [rows] if at_once else [[row] for row in rows]:

            def write(session: Session, batch: list[SubscriptionRow] = batch) -> None:
                session.add_all(batch)
                session.commit()

            await db.run(write)
    finally:
        db.dispose()


async def claim_holders(url: str) -> set[str]:
    """The instances ("id", without the boot) holding claims right now."""
    db = await open_database(url)
    try:

        def read(session: Session) -> set[str]:
            by = col(SubscriptionRow.claimed_by)
            held = session.exec(select(by).where(by.is_not(None)).distinct()).all()
            return {str(holder).rsplit(":", 1)[0] for holder in held}

        return await db.run(read)
    finally:
        db.dispose()


async def wait_settled(url: str, chats: list[int], within: float = 30) -> None:
    """Until the chats' subscriptions are all back in the queue for their next post moment
    (none claimed, none due): nothing more is sent today, whichever instance had them."""
    db = await open_database(url)

    def unsettled(session: Session) -> list[tuple[object, ...]]:
        ids = [str(chat) for chat in chats]
        query = select(SubscriptionRow).where(col(SubscriptionRow.chat_id).in_(ids))
        rows = session.exec(query.order_by(col(SubscriptionRow.id))).all()
        assert len(rows) == len(chats)
        now = datetime.now(UTC)
        return [
            (row.id, row.chat_id, row.next_post_at, row.due_at, row.claimed_by, row.claimed_at)
            for row in rows
            if row.claimed_by is not None
            or row.next_post_at is None
            or row.next_post_at.replace(tzinfo=row.next_post_at.tzinfo or UTC) <= now
        ]

    try:
        deadline = time.monotonic() + within
        while left := await db.run(unsettled):
            assert time.monotonic() < deadline, f"{len(left)} of {len(chats)} not settled: {left}"
            await asyncio.sleep(0.2)
    finally:
        db.dispose()


def counts(tg: FakeTelegram, chats: Iterable[int]) -> dict[int, int]:
    """Digests per chat."""
    return {chat: len(digests(tg.sent_to(chat))) for chat in chats}


def delivered(tg: FakeTelegram, chats: Iterable[int]) -> int:
    return sum(1 for n in counts(tg, chats).values() if n)


def slow_fan_out(tg: FakeTelegram, chats: list[int]) -> None:
    """Every sendMessage is posted at once but answered after SLOW seconds: a message is "in
    flight" (posted, not yet recorded by the bot) for that long."""
    tg.slow_next("sendMessage", SLOW, times=4 * len(chats) + 20)


def assert_only_digests(tg: FakeTelegram, chats: Iterable[int]) -> None:
    """Nothing but whole digests reached the chats, each with today's papers."""
    for chat in chats:
        for message in tg.sent_to(chat):
            assert DIGEST in message.body, message.body[:300]
            assert message.body.count("https://arxiv.org/abs/") >= 5, message.body[:300]


def assert_one_digest_each(tg: FakeTelegram, chats: list[int]) -> None:
    """Every chat got exactly one whole digest: none missed, none twice."""
    assert_only_digests(tg, chats)
    got = counts(tg, chats)
    assert set(got.values()) == {1}, {chat: n for chat, n in got.items() if n != 1}


def assert_in_flight_only(tg: FakeTelegram, chats: list[int], killed_at: float) -> None:
    """At most the message each worker had in flight at the kill came twice."""
    got = counts(tg, chats)
    assert all(n == 1 for n in got.values() if n != 2), got
    twice = [chat for chat, n in got.items() if n == 2]
    assert len(twice) <= WORKERS, f"{len(twice)} chats got their digest twice: {twice}"
    for chat in twice:  # the first copy went out before the kill: it was in flight then
        first, again = digests(tg.sent_to(chat))
        assert first.at <= killed_at < again.at, (chat, first.at, killed_at, again.at)
        assert first.body == again.body


async def kill(bot: BotProcess) -> float:
    assert bot.process is not None
    bot.process.send_signal(signal.SIGKILL)
    await bot.process.wait()
    return time.monotonic()


def instance_env(base: dict[str, str], url: str, name: str) -> dict[str, str]:
    return {
        **base,
        **FAST,
        "DATABASE_URL": url,
        "INSTANCE_ID": name,
        "DELIVERY_CONCURRENCY": str(WORKERS),
        "HTTP_PORT": str(free_port()),
    }


async def test_sigkill_mid_fan_out_then_restart_delivers_the_rest(
    fakes, env, database_url: str, tmp_path: Path
) -> None:
    _, tg, _ = fakes
    chats = add_chats(tg, 700_000, 40)
    await subscribe(database_url, chats)
    slow_fan_out(tg, chats)
    first = BotProcess(instance_env(env, database_url, "solo"), tmp_path / "first.log")
    await first.start()
    restarted = BotProcess(first.env, tmp_path / "restarted.log")
    try:
        await tg.wait_for(lambda: delivered(tg, chats) >= 8, within=45)
        killed_at = await kill(first)
        done_before = delivered(tg, chats)
        assert done_before < len(chats), "the fan-out ended before the kill: slow it down"

        await restarted.start()
        began = time.monotonic()
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        assert time.monotonic() - began < 60
        await wait_settled(database_url, chats)  # nothing more to come today
        await wait_log(restarted, ENDED)

        assert_only_digests(tg, chats)
        assert_in_flight_only(tg, chats, killed_at)
        assert "Traceback" not in restarted.log()
    finally:
        await first.stop()
        if restarted.process is not None:
            assert await restarted.stop() == 0, restarted.log()


async def test_sigkill_mid_fan_out_another_instance_takes_over(
    fakes, env, postgres_url: str, tmp_path: Path
) -> None:
    _, tg, _ = fakes
    chats = add_chats(tg, 710_000, 40)
    alpha = BotProcess(instance_env(env, postgres_url, "alpha"), tmp_path / "alpha.log")
    beta = BotProcess(instance_env(env, postgres_url, "beta"), tmp_path / "beta.log")
    await alpha.start()
    try:
        await wait_log(alpha, "bot running as instance alpha", within=45)
        # alpha takes every chat (one page), sends 8 digests, then its 4 workers each have a
        # message in flight that the fake Bot API does not answer for a long while
        tg.slow_next("sendMessage", 0.3, times=8)
        tg.slow_next("sendMessage", 45, times=WORKERS)
        slow_fan_out(tg, chats)
        await subscribe(postgres_url, chats)
        await tg.wait_for(lambda: delivered(tg, chats) == 8 + WORKERS, within=30)
        stuck = [m.chat_id for m in tg.sent if m.chat_id in chats][-WORKERS:]  # posted last
        assert await claim_holders(postgres_url) == {"alpha"}

        await beta.start()  # the standby: another instance receives updates
        await wait_log(beta, "bot running as instance beta", within=45)
        assert "Telegram: another instance receives updates; standing by" in beta.log()
        assert delivered(tg, chats) == 8 + WORKERS, "alpha's fan-out went on: not stuck"
        killed_at = await kill(alpha)

        # beta frees alpha's claims once its heartbeat is LEASE_SECONDS old, and resends the
        # messages that were in flight (posted, never recorded)
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        assert time.monotonic() - killed_at < 60
        await wait_settled(postgres_url, chats)
        assert "took over 32 deliveries from stopped instances" in beta.log(), beta.log()
        await wait_log(beta, "lease telegram", within=30)  # ...and Telegram polling

        assert_only_digests(tg, chats)
        assert_in_flight_only(tg, chats, killed_at)
        twice = sorted(chat for chat, n in counts(tg, chats).items() if n == 2)
        assert twice == sorted(stuck)
        assert tg.conflicts <= 1  # at most the dead leader's last long poll, ended by beta's
        assert "Traceback" not in beta.log()
    finally:
        await alpha.stop()
        if beta.process is not None:
            assert await beta.stop() == 0, beta.log()


async def test_an_instance_slow_to_start_is_not_taken_for_dead(
    fakes, env, postgres_url: str, tmp_path: Path
) -> None:
    """Its claims are its own from the first: nobody frees them while it is still sending."""
    _, tg, _ = fakes
    chats = add_chats(tg, 750_000, 20)
    # alpha sends to Discord only: it never claims these chats, but its clock frees the claims
    # of any instance whose heartbeat is older than LEASE_SECONDS
    discord_only = {k: v for k, v in env.items() if not k.startswith("TELEGRAM_")}
    alpha = BotProcess(instance_env(discord_only, postgres_url, "alpha"), tmp_path / "alpha.log")
    beta = BotProcess(instance_env(env, postgres_url, "beta"), tmp_path / "beta.log")
    await alpha.start()
    try:
        await wait_log(alpha, "bot running as instance alpha: discord", within=45)
        await subscribe(postgres_url, chats)
        slow_fan_out(tg, chats)
        tg.slow_next("getMe", 5)  # beta takes longer than LEASE_SECONDS to connect
        await beta.start()
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        await wait_settled(postgres_url, chats)

        assert_one_digest_each(tg, chats)
        assert "took over" not in alpha.log() + beta.log()
    finally:
        await alpha.stop()
        if beta.process is not None:
            assert await beta.stop() == 0, beta.log()


async def test_sigterm_mid_fan_out_finishes_in_flight_and_restart_sends_each_once(
    fakes, env, database_url: str, tmp_path: Path
) -> None:
    _, tg, _ = fakes
    chats = add_chats(tg, 720_000, 40)
    await subscribe(database_url, chats)
    slow_fan_out(tg, chats)
    first = BotProcess(instance_env(env, database_url, "solo"), tmp_path / "first.log")
    await first.start()
    restarted = BotProcess(first.env, tmp_path / "restarted.log")
    try:
        await tg.wait_for(lambda: delivered(tg, chats) >= 8, within=45)
        assert first.process is not None
        first.process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        code = await asyncio.wait_for(first.process.wait(), timeout=30)
        took = time.monotonic() - stopping
        assert code == 0, first.log()
        assert took < 10, f"SIGTERM took {took:.1f} s"
        done_before = delivered(tg, chats)
        assert done_before < len(chats), "the fan-out ended before SIGTERM: slow it down"

        await restarted.start()
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        await wait_settled(database_url, chats)
        await wait_log(restarted, ENDED)

        assert_one_digest_each(tg, chats)
        assert "Traceback" not in first.log() + restarted.log()
    finally:
        await first.stop()
        if restarted.process is not None:
            assert await restarted.stop() == 0, restarted.log()


async def test_three_instances_share_one_morning(
    fakes, env, postgres_url: str, tmp_path: Path
) -> None:
    _, tg, _ = fakes
    chats = add_chats(tg, 730_000, 60)
    bots = [
        BotProcess(instance_env(env, postgres_url, name), tmp_path / f"{name}.log")
        for name in ("a", "b", "c")
    ]
    try:
        for bot in bots:
            await bot.start()
        for bot, name in zip(bots, "abc", strict=True):
            await wait_log(bot, f"bot running as instance {name}", within=60)

        # one transaction per chat while all three tick: their claims interleave
        tg.slow_next("sendMessage", 0.2, times=2 * len(chats))
        await subscribe(postgres_url, chats, at_once=False)
        tg.private_message(ALICE, "/help")
        tg.private_message(CAROL, "/today")
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        await tg.wait_sent(1, chat_id=ALICE, within=30)
        await tg.wait_sent(1, chat_id=CAROL, within=30)
        await wait_settled(postgres_url, chats)

        assert_one_digest_each(tg, chats)
        (help_reply,) = tg.sent_to(ALICE)
        assert "/subscribe" in help_reply.body
        (today,) = tg.sent_to(CAROL)
        assert DIGEST in today.body
        assert tg.conflicts == 0, "two processes polled Telegram at once"
        for bot in bots:
            assert "Traceback" not in bot.log(), bot.log()
    finally:
        codes = [await bot.stop() for bot in bots if bot.process is not None]
        assert codes == [0, 0, 0], "\n".join(bot.log() for bot in bots)


async def test_a_fan_out_prepared_over_several_ticks_is_reported(
    fakes, env, tmp_path: Path
) -> None:
    """Hugging Face answers slowly at post time: the clock ticks while the claimer prepares
    the page, and the fan-out still gets its one INFO line, with every chat counted."""
    hf, tg, _ = fakes
    chats = add_chats(tg, 760_000, 5)
    url = env["DATABASE_URL"]
    await subscribe(url, chats)
    hf.delay_next(3.0, times=20)  # three ticks
    bot = BotProcess(instance_env(env, url, "solo"), tmp_path / "bot.log")
    await bot.start()
    try:
        await tg.wait_for(lambda: delivered(tg, chats) == len(chats), within=60)
        await wait_settled(url, chats)
        await wait_log(bot, ENDED, within=10)
        assert f": {len(chats)} chats, {len(chats)} done, 0 failed" in bot.log()
        assert set(counts(tg, chats).values()) == {1}
    finally:
        assert await bot.stop() == 0, bot.log()
