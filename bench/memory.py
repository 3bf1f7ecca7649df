"""Memory and idle cost with many subscriptions, all due at once (issue 8's 100,000 row).

    python bench/memory.py --chats 100000                      # temporary SQLite file
    python bench/memory.py --chats 100000 --database-url postgresql://.../scratch --reset

The real core (``build_app``, the delivery queue, the ledger) on a database holding ``--chats``
subscriptions, every one due at the same moment, fanned out through an in-process publisher
that renders with the Telegram renderer and sends nowhere — so what is measured is the bot's own
memory and time, not a platform's pace. Prints: the fan-out's duration and chats per second, the
process's peak RSS before and during it, and an idle tick afterwards (its time and statements).
``--reset`` DROPS the PostgreSQL database's public schema first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

from adapters.telegram.render import render_reply  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, make_engine  # noqa: E402
from bot.domain import Reply, Target  # noqa: E402
from bot.models import SubscriptionRow  # noqa: E402
from tests.fakes.core import sample_days  # noqa: E402
from tests.fakes.memory import MemorySource  # noqa: E402

SATURDAY = datetime(2025, 1, 11, 9, 30, tzinfo=UTC)
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the code alone


class NowherePublisher:
    """Renders like Telegram, sends nowhere (counts)."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent = 0

    def render(self, reply: Reply) -> list[Any]:
        return list(render_reply(reply))

    async def send(self, target: Target, message: Any) -> str:
        self.sent += 1
        await asyncio.sleep(0)
        return str(self.sent)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(url: str, chats: int, reset: bool) -> None:
    if reset and url.startswith("postgres"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    db = Database.from_url(url)
    template = SubscriptionRow(platform="telegram", chat_id="0").model_dump(exclude={"id"})
    with db.session() as session:
        for start in range(0, chats, 5000):
            rows = [
                {**template, "chat_id": str(10_000_000 + n)}
                for n in range(start, min(start + 5000, chats))
            ]
            session.execute(insert(SubscriptionRow), rows)
        session.commit()
    db.dispose()


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/memory.db"
    seed(url, args.chats, args.reset)
    settings = Settings(_env_file=None, database_url=url, log_level="WARNING")  # type: ignore[call-arg]
    app = build_app(settings, now=lambda: SATURDAY, source=MemorySource(sample_days()))
    publisher = NowherePublisher()
    app.delivery.register(publisher)
    before = peak_mb()
    began = time.perf_counter()
    report = await app.delivery.tick(SATURDAY)
    seconds = time.perf_counter() - began
    during = peak_mb()
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.db.engine, "before_cursor_execute", count)
    idle_began = time.perf_counter()
    await app.delivery.tick(SATURDAY.replace(minute=31))
    idle = time.perf_counter() - idle_began
    await app.aclose()
    where = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    n = f"{args.chats:,}"
    print("| measure | result | target |\n|---|---|---|")
    print(
        f"| {n} due at once, {where}: fan-out (in-process publisher) | "
        f"{len(report.delivered):,} chats in {seconds:.0f} s "
        f"({len(report.delivered) / seconds:.0f} chats/s, {publisher.sent:,} messages) | |"
    )
    rss = f"{imported:.0f} / {before:.0f} / {during:.0f} MB"
    print(f"| {n} due at once, {where}: peak RSS imported / seeded / fan-out | {rss} | < 150 MB |")
    cost = f"{idle * 1000:.0f} ms, {statements} statements"
    print(f"| {n} subscriptions, {where}: an idle tick | {cost} | nothing per subscription |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--reset", action="store_true")
    asyncio.run(main(parser.parse_args()))
