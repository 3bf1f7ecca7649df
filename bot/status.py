"""``dailypapers status``: the facts of ``/healthz``, read back from the database, plus the
ledger of the latest morning post. Plain lines in a pipe, a rich table in a terminal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.db import Database
from bot.runtime import (
    Health,
    active_subscriptions,
    database_reachable,
    deliveries_by_status,
    judge,
    latest_delivery_day,
    load_snapshot,
)


@dataclass
class Status:
    health: Health
    reported_at: datetime | None
    delivery_day: date | None
    deliveries: dict[str, int]
    subscriptions: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.health.as_dict(),
            "reported_at": self.reported_at.isoformat() if self.reported_at else None,
            "deliveries": {
                "day": self.delivery_day.isoformat() if self.delivery_day else None,
                **self.deliveries,
            },
            "subscriptions_active": self.subscriptions,
        }


async def gather(db: Database, now: datetime) -> Status:
    """Everything from the database (through ``db.run``); an unreachable one is a fact too."""
    if not await database_reachable(db):
        return Status(judge({}, False, now), None, None, {}, {})
    snapshot, reported_at = await db.run(load_snapshot)
    day = await db.run(latest_delivery_day)
    deliveries = await db.run(lambda s: deliveries_by_status(s, day)) if day else {}
    subscriptions = await db.run(active_subscriptions)
    return Status(judge(snapshot, True, now), reported_at, day, deliveries, subscriptions)


def _tick_text(tick: dict[str, Any] | None) -> str:
    if not tick:
        return "none recorded"
    return f"{tick['at']} {tick['outcome']} ({tick['seconds']} s): {tick['summary']}"


def _platforms_text(platforms: dict[str, Any]) -> str:
    if not platforms:
        return "none reported"
    parts = []
    for name, state in sorted(platforms.items()):
        if state.get("connected"):
            parts.append(f"{name} connected")
        else:
            since = state.get("down_since")
            parts.append(f"{name} DISCONNECTED" + (f" since {since}" if since else ""))
    return ", ".join(parts)


def lines(status: Status) -> list[tuple[str, str]]:
    facts = status.health.facts
    deliveries = ", ".join(f"{n} {k}" for k, n in sorted(status.deliveries.items())) or "none"
    subs = ", ".join(f"{n} {k}" for k, n in sorted(status.subscriptions.items())) or "none"
    reported = status.reported_at.isoformat() if status.reported_at else "never"
    rows = [
        ("status", status.health.status),
        ("database", "reachable" if facts["database"]["reachable"] else "UNREACHABLE"),
        ("reported by", f"{facts.get('instance') or '-'} at {reported}"),
        ("platforms", _platforms_text(facts["platforms"])),
        ("leader", str(facts["leader"])),
        ("last tick", _tick_text(facts["last_tick"])),
        ("last HF fetch", facts["last_hf_fetch"] or "none recorded"),
        ("deliveries", f"{status.delivery_day or '-'}: {deliveries}"),
        ("subscriptions", subs),
    ]
    rows += [("problem", p) for p in status.health.problems]
    rows += [("warning", w) for w in status.health.warnings]
    return rows


def render(status: Status, *, as_json: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    if as_json:
        console.out(json.dumps(status.as_dict(), indent=2), highlight=False)
        return
    if not console.is_terminal:
        width = max(len(k) for k, _ in lines(status))
        for key, value in lines(status):
            console.out(f"{key.ljust(width)}  {value}", highlight=False)
        return
    colour = {"ok": "green", "degraded": "yellow", "unhealthy": "red"}[status.health.status]
    table = Table(title=f"dailypapers: [{colour}]{status.health.status}[/]", show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in lines(status):
        style = "red" if key == "problem" else "yellow" if key == "warning" else None
        table.add_row(Text(key), Text(value), style=style)  # values are data, not markup
    console.print(table)
