"""Personal ranking speed: refit with 500 ratings, rank a 50-paper day for one chat.

No database, no network: synthetic papers over a dozen topics (title, keywords, a two-sentence
abstract), the real ``Ranker``. Run: ``python bench/bench_ranking.py``.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date

from bot.domain import FeaturedPaper, PaperInfo
from bot.ranking import Ranker, examples_for

TOPICS = [
    "reasoning with reinforcement learning",
    "diffusion transformers",
    "video generation",
    "long-context retrieval",
    "speech recognition",
    "robot manipulation",
    "mixture of experts",
    "code generation agents",
    "3d scene reconstruction",
    "reward modeling",
    "quantization",
    "multimodal language models",
]
WORDS = [
    "model",
    "data",
    "training",
    "benchmark",
    "scaling",
    "method",
    "results",
    "efficient",
    "large",
    "novel",
]


def paper(i: int, rng: random.Random) -> PaperInfo:
    topic = rng.choice(TOPICS)
    filler = " ".join(rng.choice(WORDS) for _ in range(40))
    return PaperInfo(
        arxiv_id=f"2505.{i:05d}",
        title=f"{rng.choice(['Scaling', 'Rethinking', 'Aligning'])} {topic.title()} {i}",
        abstract=f"This paper studies {topic}. {filler}.",
        keywords=(topic, rng.choice(WORDS)),
    )


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    rng = random.Random(7)
    rated = [paper(i, rng) for i in range(500)]
    liked = {"reasoning", "reward"}
    profile = {
        p.arxiv_id: (1 if any(w in p.title.lower() for w in liked) else -1, p) for p in rated
    }
    day = [FeaturedPaper(date(2025, 5, 27), paper(1000 + i, rng), votes=50 - i) for i in range(50)]
    ranker = Ranker()
    examples = examples_for(profile, ["reasoning"])
    ranker.fit(examples)  # warm-up (imports)
    refit = timed(lambda: ranker.fit(examples), 10)
    model = ranker.fit(examples)
    rank = timed(lambda: Ranker.order(model, day), 20)
    print(f"refit, 500 ratings: {refit:.1f} ms (target < 200 ms)")
    print(f"rank a 50-paper day: {rank:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
