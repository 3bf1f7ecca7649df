"""Offline evaluation of personal ranking: replay a ratings file over the archive.

Time split: for each chat and each day D that it rated papers of, the model is fitted on the
chat's ratings made *before* D and ranks D's papers; the chat's 👍 on D's papers are the relevant
ones. Ordering by votes is the baseline. Scores are averaged over (chat, day) cases.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain import FeaturedPaper
from bot.errors import BadArgument
from bot.ranking import Ranker, examples_for

K_PRECISION = 5
K_NDCG = 10
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class CsvRating:
    """One line of a ratings file: chat, paper, +1/-1, the date it was made."""

    chat: str
    arxiv_id: str
    value: int
    day: date


@dataclass(frozen=True)
class EvalResult:
    method: str
    cases: int
    precision: float
    ndcg: float


def read_ratings(path: Path) -> list[CsvRating]:
    """Parse ``chat,paper,value,date`` lines (a header is allowed); BadArgument on a bad one."""
    ratings: list[CsvRating] = []
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise BadArgument(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for number, row in enumerate(csv.reader(handle), 1):
            if not row or row[0].startswith("#"):
                continue
            if number == 1 and row[0].strip().lower() == "chat":
                continue
            shape = f"{path}:{number}: expected chat,paper,+1/-1,YYYY-MM-DD"
            if len(row) != 4:
                raise BadArgument(shape)
            chat, arxiv_id, raw_value, raw_day = (cell.strip() for cell in row)
            try:
                value = int(raw_value)
                day = date.fromisoformat(raw_day)
            except ValueError:
                raise BadArgument(shape) from None
            if value not in (1, -1) or not chat or not arxiv_id:
                raise BadArgument(f"{path}:{number}: the rating must be +1 or -1")
            ratings.append(CsvRating(chat, arxiv_id, value, day))
            if len(ratings) > MAX_ROWS:
                raise BadArgument(f"{path}: more than {MAX_ROWS:,} ratings")
    if not ratings:
        raise BadArgument(f"{path}: no ratings in the file")
    return ratings


def precision_at(ranked: Sequence[str], relevant: set[str], k: int = K_PRECISION) -> float:
    """Hits in the first k, over k (or over the day's size when it holds fewer than k)."""
    top = ranked[:k]
    return sum(1 for arxiv_id in top if arxiv_id in relevant) / max(len(top), 1)


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = K_NDCG) -> float:
    """Binary-gain nDCG over the first k."""
    gains = [1.0 if arxiv_id in relevant else 0.0 for arxiv_id in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def evaluate(
    days: Mapping[date, Sequence[FeaturedPaper]],
    ratings: Iterable[CsvRating],
    rankers: Mapping[str, Ranker],
) -> list[EvalResult]:
    """Votes vs each ranker, averaged over every (chat, day) with training and a 👍 to find."""
    papers = {fp.paper.arxiv_id: fp.paper for featured in days.values() for fp in featured}
    by_chat: dict[str, list[CsvRating]] = {}
    for rating in ratings:
        if rating.arxiv_id in papers:
            by_chat.setdefault(rating.chat, []).append(rating)
    scores: dict[str, list[tuple[float, float]]] = {"votes": []}
    scores.update({name: [] for name in rankers})
    for chat_ratings in by_chat.values():
        for day in sorted(days):
            featured = list(days[day])
            train: dict[str, int] = {}
            for rating in chat_ratings:
                if rating.day < day:
                    train[rating.arxiv_id] = train.get(rating.arxiv_id, 0) + rating.value
            candidates = [fp for fp in featured if fp.paper.arxiv_id not in train]
            ids = {fp.paper.arxiv_id for fp in candidates}
            relevant = {r.arxiv_id for r in chat_ratings if r.day >= day and r.value > 0} & ids
            if not train or not relevant:
                continue
            votes_order = [fp.paper.arxiv_id for fp in sorted(candidates, key=lambda f: -f.votes)]
            scores["votes"].append(_case(votes_order, relevant))
            profile = {arxiv_id: (score, papers[arxiv_id]) for arxiv_id, score in train.items()}
            examples = examples_for(profile, ())
            for name, ranker in rankers.items():
                model = ranker.fit(examples)
                ordered = Ranker.order(model, sorted(candidates, key=lambda f: -f.votes))
                scores[name].append(_case([fp.paper.arxiv_id for fp in ordered], relevant))
    return [
        EvalResult(
            method=name,
            cases=len(cases),
            precision=sum(p for p, _ in cases) / len(cases) if cases else 0.0,
            ndcg=sum(n for _, n in cases) / len(cases) if cases else 0.0,
        )
        for name, cases in scores.items()
    ]


def _case(ranked: Sequence[str], relevant: set[str]) -> tuple[float, float]:
    return precision_at(ranked, relevant), ndcg_at(ranked, relevant)


def format_table(results: Sequence[EvalResult]) -> str:
    """A plain-text table, best nDCG first."""
    width = max(len("method"), *(len(r.method) for r in results))
    lines = [
        f"{'method':<{width}}  {'cases':>5}  {'P@' + str(K_PRECISION):>6}  "
        f"{'nDCG@' + str(K_NDCG):>8}",
        f"{'-' * width}  {'-' * 5}  {'-' * 6}  {'-' * 8}",
    ]
    for result in sorted(results, key=lambda r: (-r.ndcg, r.method)):
        lines.append(
            f"{result.method:<{width}}  {result.cases:>5}  {result.precision:>6.3f}  "
            f"{result.ndcg:>8.3f}"
        )
    return "\n".join(lines)
