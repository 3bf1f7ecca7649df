"""`summaries stats`: the summariser's activity per UTC day, model and language, with a cost.

Counts come from ``llm_usage``: calls (split by what the summary was made from: the paper's full
text or its abstract), cache hits, and failures (each one served the offline summary), with the
tokens the server reported. The cost is tokens × LLM_PRICE_INPUT / LLM_PRICE_OUTPUT per million
tokens, shown only when a price is set; it is an estimate (cached or discounted tokens, batch
prices and currencies are the operator's to know).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import LlmUsageRow


@dataclass(frozen=True)
class UsageLine:
    """One (UTC day, model, language) of summarizer events."""

    day: date
    model: str
    language: str = ""
    calls: int = 0
    fulltext: int = 0
    abstract: int = 0
    hits: int = 0
    offline: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None


def estimate_cost(
    prompt_tokens: int,
    completion_tokens: int,
    price_input: float | None,
    price_output: float | None,
) -> float | None:
    """Prices are per million tokens; None when neither is set."""
    if price_input is None and price_output is None:
        return None
    return (prompt_tokens * (price_input or 0.0) + completion_tokens * (price_output or 0.0)) / 1e6


async def usage_report(
    db: Database,
    *,
    days: int,
    now: datetime,
    price_input: float | None = None,
    price_output: float | None = None,
) -> list[UsageLine]:
    """The last ``days`` UTC days (today included), one line per day, model and language."""
    today = now.astimezone(UTC).date()
    start = datetime.combine(today - timedelta(days=max(1, days) - 1), time(), tzinfo=UTC)

    def read(session: Session) -> list[LlmUsageRow]:
        return list(session.exec(select(LlmUsageRow).where(col(LlmUsageRow.at) >= start)).all())

    counts: dict[tuple[date, str, str], dict[str, int]] = {}
    for row in await db.run(read):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        key = (at.astimezone(UTC).date(), row.model, row.language)
        c = counts.setdefault(key, dict.fromkeys(_FIELDS, 0))
        if row.event == "call":
            c["calls"] += 1
            c["fulltext" if row.based_on == "fulltext" else "abstract"] += 1
        elif row.event == "hit":
            c["hits"] += 1
        elif row.event == "failed":
            c["offline"] += 1
        c["prompt_tokens"] += row.prompt_tokens
        c["completion_tokens"] += row.completion_tokens
    return [
        UsageLine(
            day=day,
            model=model,
            language=language,
            **c,
            cost=estimate_cost(
                c["prompt_tokens"], c["completion_tokens"], price_input, price_output
            ),
        )
        for (day, model, language), c in sorted(counts.items())
    ]


_FIELDS = (
    "calls",
    "fulltext",
    "abstract",
    "hits",
    "offline",
    "prompt_tokens",
    "completion_tokens",
)


def format_usage(lines: Sequence[UsageLine]) -> str:
    """A plain-text table of ``usage_report`` with a total line, for the CLI."""
    if not lines:
        return "No summarizer activity in this period."
    priced = any(line.cost is not None for line in lines)
    header = [
        "day",
        "model",
        "language",
        "calls",
        "fulltext",
        "abstract",
        "hits",
        "offline",
        "input tok",
        "output tok",
    ]
    if priced:
        header.append("est. cost")

    def cells(
        day: str, model: str, language: str, values: Sequence[int], cost: float | None
    ) -> list[str]:
        row = [day, model, language, *(str(v) for v in values)]
        if priced:
            row.append(f"{cost:.4f}" if cost is not None else "-")
        return row

    rows = [
        cells(
            line.day.isoformat(),
            line.model or "-",
            line.language or "-",
            [getattr(line, name) for name in _FIELDS],
            line.cost,
        )
        for line in lines
    ]
    totals = [sum(getattr(line, name) for line in lines) for name in _FIELDS]
    costs = [line.cost for line in lines if line.cost is not None]
    total = cells("total", "", "", totals, sum(costs) if costs else None)
    table = [header, *rows, total]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        left = [cell.ljust(width) for cell, width in zip(row[:3], widths[:3], strict=True)]
        right = [cell.rjust(width) for cell, width in zip(row[3:], widths[3:], strict=True)]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *map(fmt, rows), rule, fmt(total)])
