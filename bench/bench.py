"""Speed and memory of the hot paths, on this machine. Prints a Markdown results table.

    python bench/bench.py [--papers 10000] [--subscriptions 2000]

Targets (see bench/README.md): a day of 50 papers renders for every platform in well under a
second; a morning fan-out to 2,000 chats (in-process publisher) finishes in seconds; a search
over 10,000 papers answers in milliseconds; peak memory stays far below 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord.render import render_reply as discord_render
from adapters.markdown import render_markdown
from adapters.telegram.render import render_reply as telegram_render
from bot.cards import build_card
from bot.db import Database
from bot.domain import Reply, Target
from tests.fakes.core import make_core
from tests.fakes.memory import MemorySource, RecordingPublisher, paper

DAY = date(2025, 1, 10)


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


async def atimed(fn: Callable[[], Awaitable[object]], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        best = min(best, time.perf_counter() - start)
    return best


def day_of(n: int, day: date) -> list:
    abstract = "We propose a diffusion transformer for long video generation. " * 8
    return [
        paper(
            f"{day:%y%m}.{i:05d}",
            f"Paper {i} on <scaling> & diffusion",
            1000 - i,
            day,
            abstract=abstract,
            authors=tuple(f"Author {j}" for j in range(12)),
            keywords=("diffusion", "video"),
        )
        for i in range(n)
    ]


async def main(papers: int, subscriptions: int, database_url: str | None) -> None:
    rows: list[tuple[str, str, str]] = []
    cards = tuple(build_card(fp) for fp in day_of(50, DAY))
    reply = Reply(title="Daily Papers", cards=cards, style="cards", day=DAY)
    compact = Reply(title="Daily Papers", cards=cards, style="compact", day=DAY)
    for name, fn in (
        ("Telegram render, 50 cards", lambda: telegram_render(reply)),
        ("Telegram render, compact 50", lambda: telegram_render(compact)),
        ("Discord render, 50 cards", lambda: discord_render(reply)),
        ("Markdown render, 50 cards", lambda: render_markdown(reply)),
    ):
        rows.append((name, f"{timed(fn) * 1000:.1f} ms", "< 200 ms"))

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(database_url or f"sqlite:///{tmp}/bench.db")
        per_day = 50
        days = {
            DAY - timedelta(days=d): day_of(per_day, DAY - timedelta(days=d))
            for d in range(max(papers // per_day, 1))
        }
        now = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)
        app, _, clock = make_core(db, source=MemorySource(days), now=now)
        start = time.perf_counter()
        for day in days:
            await app.archive.day(day, now)
        stored = time.perf_counter() - start
        rows.append(
            (f"Store {len(days) * per_day} papers ({len(days)} days)", f"{stored:.2f} s", "< 30 s")
        )
        search = await atimed(lambda: app.archive.search("diffusion transformer", limit=10))
        rows.append(
            (f"Search over {len(days) * per_day} papers", f"{search * 1000:.1f} ms", "< 100 ms")
        )

        publisher = RecordingPublisher()
        app.delivery.register(publisher)
        for i in range(subscriptions):
            await app.subscriptions.subscribe(Target("test", str(i)))
        clock.set(datetime(2025, 1, 11, 9, 5, tzinfo=UTC))
        start = time.perf_counter()
        report = await app.delivery.tick()
        fanout = time.perf_counter() - start
        rows.append(
            (
                f"Morning fan-out to {subscriptions} chats ({len(publisher.sent)} msgs)",
                f"{fanout:.2f} s",
                "< 60 s",
            )
        )
        rows.append(("Renders for that fan-out", str(report.renders), "1"))
        db.dispose()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("Peak memory (RSS)", f"{peak_mb:.0f} MB", "< 200 MB"))
    print("| measure | result | target |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=2_000)
    parser.add_argument(
        "--database-url", help="an EMPTY database to use instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    asyncio.run(main(args.papers, args.subscriptions, args.database_url))
