"""The morning fan-out against a loopback Bot API that enforces Telegram's limits.

    python bench/fanout.py paced   --chats 1000                  # SQLite, paced, /today probes
    python bench/fanout.py paced   --chats 1000 --database-url postgresql://.../db --reset \\
                                   --latency-ms 0.5              # PostgreSQL 1 ms round trip away
    python bench/fanout.py limiter --chats 1000 --concurrency 32  # the limiter alone
    python bench/fanout.py ceiling --chats 2000 [--database-url ... --latency-ms 0.5]
    python bench/fanout.py discord --chats 300 --concurrency 32  # discord.py to many channels
    python bench/fanout.py shared  --chats 1000 --instances 3 --database-url ... --reset \
                                   [--direct --concurrency 32] [--pace-backend memory]

It drives the bot only through its public entry points (``build_app``, the Telegram adapter,
``app.delivery.tick``), so it keeps working while the delivery engine changes underneath. The
fake Bot API runs in its own process (``python -m tests.fakes.telegram``): 30 messages in any
one-second window, 20 a minute per group; it records every accepted message with its arrival
time, from which the rate, windows, losses and duplicates are read. ``--reset`` DROPS the
PostgreSQL database's public schema first: point it at a scratch database only.

Prints one Markdown table row per measure, labelled with the commit it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from adapters.telegram.bot import TelegramAdapter  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.domain import Reply, Target  # noqa: E402
from bot.models import SubscriptionRow  # noqa: E402
from tests.fakes.huggingface import FakeHuggingFace  # noqa: E402
from tests.fakes.telegram import DEFAULT_TOKEN, max_in_window  # noqa: E402

SATURDAY = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)  # today's digest: the seed's Friday
READERS = list(range(1002, 1022))  # users who ask /today in turn (not subscribed; Telegram
# allows about one message a second per chat, so one reader alone would draw 429s)
PRIVATE_START = 10_000_000
GROUP_START = 1_009_000_000  # group ids are -(GROUP_START + i)
CEILING = 30


def commit() -> str:
    run = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    )
    return run.stdout.strip()[:60] or "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def chat_ids(chats: int, group_share: float = 0.1) -> tuple[list[int], list[int]]:
    groups = int(chats * group_share)
    private = [PRIVATE_START + i for i in range(chats - groups)]
    return private, [-(GROUP_START + i) for i in range(groups)]


# --------------------------------------------------------------------------- helper processes


@asynccontextmanager
async def process(
    args: list[str], ready_url: str | None = None, ready_port: int | None = None
) -> AsyncIterator[None]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if ready_url:
            async with httpx.AsyncClient(trust_env=False) as client:
                for _ in range(200):
                    with contextlib.suppress(httpx.HTTPError):
                        await client.get(ready_url)
                        break
                    await asyncio.sleep(0.05)
        elif ready_port:
            for _ in range(200):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", ready_port)
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                break
        yield
    finally:
        proc.terminate()
        await proc.wait()


class BotApi:
    """The fake Bot API process, and what it recorded."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.http = httpx.AsyncClient(trust_env=False, timeout=120)

    @property
    def telegram_url(self) -> str:
        return f"{self.base}/bot"

    async def stats(self) -> dict[str, Any]:
        return (await self.http.get(f"{self.base}/_stats")).json()

    async def sent(self) -> list[dict[str, Any]]:
        return (await self.http.get(f"{self.base}/_sent")).json()

    async def today(self, probe: int) -> float:
        """Probe number ``probe`` asks /today as the next reader; seconds (on the fake's clock)
        until the reply arrived."""
        reader, earlier = READERS[probe % len(READERS)], probe // len(READERS)
        ask = {"chat_id": reader, "text": "/today"}
        sent = await self.http.post(f"{self.base}/_inject", json=ask)
        answer = await self.http.get(
            f"{self.base}/_wait_sent",
            params={"chat_id": reader, "count": earlier + 1, "within": 60},
        )
        return float(answer.json()["result"][earlier]["at"]) - float(sent.json()["at"])


@asynccontextmanager
async def bot_api(
    private: list[int], groups: list[int], *, unlimited: bool = False
) -> AsyncIterator[BotApi]:
    port = free_port()
    args = ["-m", "tests.fakes.telegram", "--port", str(port), "--readers", str(len(READERS))]
    if private:
        args += ["--private", f"{private[0]}:{len(private)}"]
    if groups:
        args += ["--groups", f"{-groups[0]}:{len(groups)}"]
    if unlimited:
        args.append("--unlimited")
    async with process(args, f"http://127.0.0.1:{port}/_stats"):
        api = BotApi(port)
        try:
            yield api
        finally:
            await api.http.aclose()


@asynccontextmanager
async def latency(database_url: str, delay_ms: float | None) -> AsyncIterator[str]:
    """The URL to give the bot: through a delaying proxy when ``delay_ms`` is set."""
    if not delay_ms:
        yield database_url
        return
    parts = urlsplit(database_url)
    port = free_port()
    target = f"{parts.hostname}:{parts.port or 5432}"
    args = ["bench/latency_proxy.py", "--listen", str(port), "--target", target]
    async with process([*args, "--delay-ms", str(delay_ms)], ready_port=port):
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{port}"
        new = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        yield urlunsplit(parts._replace(netloc=new))


# --------------------------------------------------------------------------- database


def prepare(database_url: str, reset: bool, private: list[int], groups: list[int]) -> None:
    """Migrate and seed one subscription per chat with a bulk insert."""
    if reset and database_url.startswith("postgres"):
        from sqlalchemy import text

        from bot.db import make_engine

        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    db = Database.from_url(database_url)
    rows = [
        SubscriptionRow(platform="telegram", chat_id=str(chat)).model_dump(exclude={"id"})
        for chat in [*private, *groups]
    ]
    from sqlalchemy import insert

    with db.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(SubscriptionRow), rows[start : start + 5000])
        session.commit()
    db.dispose()


def settings_for(database_url: str, hf_url: str, api: BotApi, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        hf_api_base_url=hf_url,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_base_url=api.telegram_url,
        log_level="WARNING",
        **extra,
    )


# --------------------------------------------------------------------------- the bot


@dataclass
class Run:
    fanout_seconds: float = 0.0
    today_during: list[float] = field(default_factory=list)
    today_after: list[float] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    limiter: dict[str, Any] = field(default_factory=dict)


async def lag_probe(samples: list[float], every: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(every)
        samples.append(loop.time() - start - every)


async def run_bot(
    settings: Settings,
    api: BotApi,
    *,
    pacing: bool = True,
    probes: bool = True,
    after: int = 20,
) -> Run:
    app = build_app(settings, now=lambda: SATURDAY)
    adapter = TelegramAdapter(app, poll_timeout=1, pacing=pacing)
    run = Run()
    await adapter.start()
    app.delivery.register(adapter.publisher)
    lag = asyncio.create_task(lag_probe(run.loop_lag))
    replies = 0
    try:
        started = time.perf_counter()
        tick = asyncio.create_task(app.delivery.tick(SATURDAY))
        while probes and not tick.done():
            run.today_during.append(await api.today(replies))
            replies += 1
            await asyncio.sleep(0.2)
        await tick
        run.fanout_seconds = time.perf_counter() - started
        for _ in range(after if probes else 0):
            run.today_after.append(await api.today(replies))
            replies += 1
        if adapter.rate_limiter is not None:
            stats = adapter.rate_limiter.stats
            run.limiter = {
                "retry_after": {str(k): v for k, v in stats.retry_after.items()},
                "gave_up": {str(k): v for k, v in stats.gave_up.items()},
            }
    finally:
        lag.cancel()
        await adapter.stop()
        await app.aclose()
    return run


@dataclass
class Delivered:
    messages: int
    chats: int
    lost: int
    doubled: int
    rate: float
    busiest_second: int
    busiest_group_minute: int
    total_rate: float  # replies included: what the token sent while the fan-out ran


def delivered(sent: list[dict[str, Any]], private: list[int], groups: list[int]) -> Delivered:
    readers = {1001, *READERS}
    fan_out = [m for m in sent if m["chat_id"] not in readers and m["method"] != "editMessageText"]
    per_chat = Counter(m["chat_id"] for m in fan_out)
    expected = set(private) | set(groups)
    times = sorted(m["at"] for m in fan_out)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    first, last = (times[0], times[-1]) if times else (0.0, 0.0)
    during = [m for m in sent if first <= m["at"] <= last and m["method"] != "editMessageText"]
    group_set = set(groups)
    by_group: dict[int, list[float]] = {}
    for m in fan_out:
        if m["chat_id"] in group_set:
            by_group.setdefault(m["chat_id"], []).append(m["at"])
    return Delivered(
        messages=len(fan_out),
        chats=len(per_chat),
        lost=len(expected - set(per_chat)),
        doubled=sum(1 for count in per_chat.values() if count > 1),
        rate=(len(times) - 1) / span if span == span and span > 0 else float("nan"),
        busiest_second=max_in_window(times, 1.0),
        busiest_group_minute=max((max_in_window(t, 60.0) for t in by_group.values()), default=0),
        total_rate=(len(during) - 1) / span if span == span and span > 0 else float("nan"),
    )


# --------------------------------------------------------------------------- scenarios


def row(measure: str, value: str, target: str = "") -> None:
    print(f"| {measure} | {value} | {target} |", flush=True)


async def paced(args: argparse.Namespace, database_url: str, label: str) -> None:
    private, groups = chat_ids(args.chats)
    prepare(database_url, args.reset, private, groups)
    async with (
        FakeHuggingFace() as hf,
        bot_api(private, groups) as api,
        latency(database_url, args.latency_ms) as url,
    ):
        settings = settings_for(
            url,
            hf.base_url,
            api,
            delivery_concurrency=args.concurrency,
            pace_backend=args.pace_backend,
        )
        run = await run_bot(settings, api)
        stats = await api.stats()
        result = delivered(await api.sent(), private, groups)
    n = f"{args.chats:,} chats, {label}"
    row(
        f"Fan-out {n}: rate ÷ 30, fan-out (with the replies)",
        f"{result.rate / CEILING:.3f} ({result.total_rate / CEILING:.3f})",
        "≥ 0.95",
    )
    row(
        f"Fan-out {n}: 429s (server / seen by limiter)",
        f"{stats['too_many']} / {run.limiter.get('retry_after')}",
        "0",
    )
    row(f"Fan-out {n}: lost, doubled", f"{result.lost}, {result.doubled}", "0, 0")
    row(
        f"Fan-out {n}: busiest 1 s window, busiest group minute",
        f"{result.busiest_second}, {result.busiest_group_minute}",
        "≤ 30, ≤ 20",
    )
    row(f"Fan-out {n}: duration", f"{run.fanout_seconds:.1f} s", "")
    during, after = len(run.today_during), len(run.today_after)
    row(
        f"Fan-out {n}: /today p99 during ({during}) / after ({after})",
        f"{p99(run.today_during) * 1000:.0f} ms / {p99(run.today_after) * 1000:.0f} ms",
        "< 500 ms",
    )
    row(f"Fan-out {n}: event-loop lag p99", f"{p99(run.loop_lag) * 1000:.0f} ms", "< 50 ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row(f"Fan-out {n}: peak RSS (bot + harness)", f"{peak:.0f} MB", "")


async def limiter(args: argparse.Namespace, database_url: str, label: str) -> None:
    """The limiter alone: the adapter's publisher sends one digest to every chat, ``concurrency``
    at a time, with no delivery engine in between (what pacing reaches when the bot keeps up)."""
    private, groups = chat_ids(args.chats)
    prepare(database_url, args.reset, private, groups)
    async with (
        FakeHuggingFace() as hf,
        bot_api(private, groups) as api,
        latency(database_url, args.latency_ms) as url,
    ):
        settings = settings_for(url, hf.base_url, api, pace_backend=args.pace_backend)
        app = build_app(settings, now=lambda: SATURDAY)
        adapter = TelegramAdapter(app, poll_timeout=1)
        await adapter.start()
        lag: list[float] = []
        probe = asyncio.create_task(lag_probe(lag))
        try:
            reply = Reply(title="Daily Papers", text="one message per chat, like a compact digest")
            [message] = adapter.publisher.render(reply)
            gate = asyncio.Semaphore(args.concurrency)

            async def send(chat: int) -> None:
                async with gate:
                    await adapter.publisher.send(Target("telegram", str(chat)), message)

            started = time.perf_counter()
            fan_out = asyncio.gather(*(send(chat) for chat in [*private, *groups]))
            during: list[float] = []
            while not fan_out.done():
                during.append(await api.today(len(during)))
                await asyncio.sleep(0.2)
            await fan_out
            seconds = time.perf_counter() - started
            after = [await api.today(len(during) + i) for i in range(20)]
            stats = adapter.rate_limiter.stats if adapter.rate_limiter else None
        finally:
            probe.cancel()
            await adapter.stop()
            await app.aclose()
        server = await api.stats()
        result = delivered(await api.sent(), private, groups)
    n = f"limiter only, {args.chats:,} chats, concurrency {args.concurrency}, {label}"
    row(
        f"{n}: rate ÷ 30, fan-out (with the replies)",
        f"{result.rate / CEILING:.3f} ({result.total_rate / CEILING:.3f})",
        "≥ 0.95",
    )
    seen = dict(stats.retry_after) if stats else {}
    row(
        f"{n}: 429s (server; limiter); busiest 1 s window, group minute",
        f"{server['too_many']}; {sum(seen.values())}; {result.busiest_second}, "
        f"{result.busiest_group_minute}",
        "0; 0; ≤ 30, ≤ 20",
    )
    row(
        f"{n}: lost, doubled; duration; loop lag p99",
        f"{result.lost}, {result.doubled}; {seconds:.1f} s; {p99(lag) * 1000:.0f} ms",
        "0, 0; ; < 50 ms",
    )
    row(
        f"{n}: /today p99 during ({len(during)}) / after ({len(after)})",
        f"{p99(during) * 1000:.0f} ms / {p99(after) * 1000:.0f} ms",
        "< 500 ms",
    )


async def discord_rate(args: argparse.Namespace, database_url: str, label: str) -> None:
    """discord.py posting one message to each of ``--chats`` channels, ``concurrency`` at a time,
    against the fake Discord (5 per 5 s per channel, 50/s global, X-RateLimit-* headers)."""
    from adapters.discord.client import DiscordAdapter
    from tests.fakes.discord import FakeDiscord

    fake = FakeDiscord()
    channels = [fake.add_channel(fake.guild_id, f"papers-{i}") for i in range(args.chats)]
    await fake.start()
    prepare(database_url, args.reset, [], [])
    async with FakeHuggingFace() as hf:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            hf_api_base_url=hf.base_url,
            discord_bot_token=fake.token,
            discord_api_base_url=fake.api_base_url,
            discord_gateway_url=fake.gateway_url,
            log_level="WARNING",
        )
        app = build_app(settings, now=lambda: SATURDAY)
        adapter = DiscordAdapter(app, ready_timeout=10, guild_ready_timeout=0.5)
        await adapter.start()
        try:
            [post] = adapter.publisher.render(Reply(title="Daily Papers", text="one message"))
            gate = asyncio.Semaphore(args.concurrency)

            async def send(channel: int) -> None:
                async with gate:
                    await adapter.publisher.send(Target("discord", str(channel)), post)

            started = time.perf_counter()
            await asyncio.gather(*(send(channel) for channel in channels))
            seconds = time.perf_counter() - started
        finally:
            await adapter.stop()
            await app.aclose()
            await fake.stop()
    times = sorted(m["_at"] for c in channels for m in fake.messages.get(c, []))
    got = sum(1 for c in channels if fake.messages.get(c))
    row(
        f"Discord, {args.chats:,} channels, concurrency {args.concurrency}",
        f"{len(times) / seconds:.1f} msg/s; 429s {fake.too_many}; busiest 1 s "
        f"{max_in_window(times, 1.0)}; lost {args.chats - got}",
        "≤ 50/s global",
    )


async def ceiling(args: argparse.Namespace, database_url: str, label: str) -> None:
    private, groups = chat_ids(args.chats)
    prepare(database_url, args.reset, private, groups)
    async with (
        FakeHuggingFace() as hf,
        bot_api(private, groups, unlimited=True) as api,
        latency(database_url, args.latency_ms) as url,
    ):
        settings = settings_for(url, hf.base_url, api, delivery_concurrency=args.concurrency)
        run = await run_bot(settings, api, pacing=False, probes=False)
        result = delivered(await api.sent(), private, groups)
    rate = result.messages / run.fanout_seconds
    row(
        f"Ceiling, limiter off, {args.chats:,} chats, {label}",
        f"{rate:.0f} msg/s (lost {result.lost}, doubled {result.doubled}; "
        f"loop lag p99 {p99(run.loop_lag) * 1000:.0f} ms)",
        "≥ 300 msg/s",
    )


async def instance(args: argparse.Namespace) -> None:
    """One of several `dailypapers run`-like processes (started by ``shared``)."""
    api = BotApi(args.api_port)
    settings = settings_for(
        args.database_url,
        args.hf_url,
        api,
        delivery_concurrency=args.concurrency,
        pace_backend=args.pace_backend,
    )
    if not args.direct:
        run = await run_bot(settings, api, probes=False)
        await api.http.aclose()
        print(json.dumps({"limiter": run.limiter, "seconds": run.fanout_seconds}))
        return
    # the limiter alone: this instance's share of the chats, straight through the publisher
    private, groups = chat_ids(args.chats)
    mine = [*private, *groups][args.slice :: args.instances]
    app = build_app(settings, now=lambda: SATURDAY)
    adapter = TelegramAdapter(app, poll_timeout=1)
    await adapter.connect() if hasattr(adapter, "connect") else await adapter.start()
    try:
        [message] = adapter.publisher.render(Reply(title="Daily Papers", text="one message"))
        gate = asyncio.Semaphore(args.concurrency)

        async def send(chat: int) -> None:
            async with gate:
                await adapter.publisher.send(Target("telegram", str(chat)), message)

        await asyncio.gather(*(send(chat) for chat in mine))
        stats = adapter.rate_limiter.stats if adapter.rate_limiter else None
    finally:
        await adapter.stop()
        await app.aclose()
        await api.http.aclose()
    seen = {str(k): v for k, v in stats.retry_after.items()} if stats else {}
    print(json.dumps({"limiter": {"retry_after": seen}}))


async def shared(args: argparse.Namespace, database_url: str, label: str) -> None:
    if not database_url.startswith("postgres"):
        raise SystemExit("shared needs --database-url on PostgreSQL")
    private, groups = chat_ids(args.chats)
    prepare(database_url, args.reset, private, groups)
    async with FakeHuggingFace() as hf, bot_api(private, groups) as api:
        base = [
            "bench/fanout.py",
            "instance",
            "--database-url",
            database_url,
            "--hf-url",
            hf.base_url,
            "--api-port",
            str(api.port),
            "--pace-backend",
            args.pace_backend,
            "--concurrency",
            str(args.concurrency),
            "--chats",
            str(args.chats),
            "--instances",
            str(args.instances),
            *(["--direct"] if args.direct else []),
        ]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, *base, "--slice", str(i), cwd=ROOT, stdout=subprocess.PIPE
            )
            for i in range(args.instances)
        ]
        outputs = [json.loads((await p.communicate())[0].decode() or "{}") for p in procs]
        stats = await api.stats()
        result = delivered(await api.sent(), private, groups)
    how = "limiter only" if args.direct else "delivery tick"
    name = f"{args.instances} instances ({how}), {args.chats:,} chats, pace {args.pace_backend}"
    name += f", {label}"
    row(f"{name}: rate ÷ 30", f"{result.rate / CEILING:.3f} ({result.rate:.1f}/s)", "≥ 0.95")
    row(
        f"{name}: 429s at the server; busiest 1 s window",
        f"{stats['too_many']}; {result.busiest_second}",
        "0; ≤ 30",
    )
    row(f"{name}: lost, doubled", f"{result.lost}, {result.doubled}", "0, 0")
    limiters = [o.get("limiter", {}).get("retry_after") for o in outputs]
    row(f"{name}: 429s seen per instance", str(limiters), "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "scenario", choices=["paced", "limiter", "ceiling", "shared", "instance", "discord"]
    )
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--database-url", help="PostgreSQL (see --reset); default: temp SQLite")
    parser.add_argument("--reset", action="store_true", help="DROP the PG public schema first")
    parser.add_argument("--latency-ms", type=float, help="proxy delay each way (e.g. 0.5)")
    parser.add_argument("--concurrency", type=int, default=8, help="DELIVERY_CONCURRENCY")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--pace-backend", default="auto", choices=["auto", "memory", "database"])
    parser.add_argument(
        "--direct", action="store_true", help="shared: send through the publisher, no engine"
    )
    parser.add_argument("--slice", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--hf-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.scenario == "instance":
        asyncio.run(instance(args))
        return
    scenario: dict[str, Callable[..., Any]] = {
        "paced": paced,
        "limiter": limiter,
        "ceiling": ceiling,
        "shared": shared,
        "discord": discord_rate,
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fanout.db"
        kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        label = f"{kind}" + (f" +{args.latency_ms * 2:g} ms RTT" if args.latency_ms else "")
        print(f"<!-- {commit()} · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC -->")
        print("| measure | result | target |\n|---|---|---|")
        asyncio.run(scenario[args.scenario](args, url, label))


if __name__ == "__main__":
    main()
