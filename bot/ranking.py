"""Personal ranking: a linear model per chat, fitted on the chat's 👍/👎, scores a day's papers.

Features are TF-IDF over title + abstract + HF's ``ai_keywords`` (scikit-learn, nothing to
download) or, with ``RANK_BACKEND=embeddings``, dense embeddings from a model the operator stores
locally. With both classes rated, a logistic regression (balanced classes) is fitted; with one
class only (the cold start), papers are ranked by similarity to the liked (or away from the
disliked) centroid. ``/settings include`` keywords act as extra liked documents.

Fitted models live in a bounded LRU cache keyed by (chat, ratings version): a vote changes the
version, so the next ranking refits. Fitting and scoring are CPU work and run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from bot.domain import FeaturedPaper, PaperInfo, Subscription, Target
from bot.ratings import Ratings


class _Lazy:
    """A module imported on first use (numpy: ~14 MB a bot without personal ranking never
    needs)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


if TYPE_CHECKING:
    import numpy as np
else:
    np = _Lazy("numpy")

log = logging.getLogger(__name__)

Backend = Literal["tfidf", "embeddings"]
BACKENDS: tuple[Backend, ...] = ("tfidf", "embeddings")
RANKS = ("votes", "personal")
FOR_YOU_DAYS = 14
CACHE_SIZE = 256
BECAUSE_TITLE_CHARS = 80


class RankingUnavailable(RuntimeError):
    """The configured backend cannot run here (a missing package or model path)."""


def paper_text(paper: PaperInfo) -> str:
    """What the model reads: the title (twice: it is the densest part), keywords, abstract."""
    keywords = " ".join(paper.keywords)
    return f"{paper.title}. {paper.title}. {keywords}. {keywords}. {paper.abstract}"


@dataclass(frozen=True)
class Example:
    """One training document: a rated paper (``title`` set) or an include keyword (no title)."""

    text: str
    label: int  # +1 liked, -1 disliked
    weight: float = 1.0
    title: str | None = None


class Featurizer(Protocol):
    """Texts → row-normalised vectors (sparse or dense); fit on a chat's examples."""

    because_threshold: float

    def fit_transform(self, texts: Sequence[str]) -> Any: ...

    def transform(self, texts: Sequence[str]) -> Any: ...


class TfidfFeaturizer:
    """TF-IDF (words, sublinear tf, English stop words), L2-normalised rows. Bigrams cost
    half again the refit time (bench/) for no gain on the topic readers' evaluation."""

    because_threshold = 0.12

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(
            stop_words="english",
            sublinear_tf=True,
            ngram_range=(1, 1),
            max_features=50_000,
            dtype=np.float32,
        )

    def fit_transform(self, texts: Sequence[str]) -> Any:
        return self.vectorizer.fit_transform(texts)

    def transform(self, texts: Sequence[str]) -> Any:
        return self.vectorizer.transform(texts)


class EmbeddingFeaturizer:
    """Dense sentence embeddings from a local model (fastembed, else sentence-transformers).

    The model is loaded once per process from ``model_path``; nothing is ever downloaded.
    """

    because_threshold = 0.55
    _models: ClassVar[dict[str, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, model_path: str | None) -> None:
        self.encode = self.load(model_path)

    @classmethod
    def load(cls, model_path: str | None) -> Any:
        """A function texts → normalised float32 matrix; RankingUnavailable if it cannot be."""
        if not model_path:
            raise RankingUnavailable(
                "RANK_BACKEND=embeddings needs RANK_EMBEDDINGS_MODEL (a local model directory)"
            )
        with cls._lock:
            if model_path in cls._models:
                return cls._models[model_path]
            encode = cls._load_sentence_transformers(model_path) or cls._load_fastembed(model_path)
            if encode is None:
                raise RankingUnavailable(
                    "RANK_BACKEND=embeddings needs fastembed or sentence-transformers installed "
                    "(pip install 'dailypapers-bot[embeddings]')"
                )
            cls._models[model_path] = encode
            return encode

    @staticmethod
    def _normalise(matrix: Any) -> Any:
        array = np.asarray(matrix, dtype=np.float32)
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return array / np.maximum(norms, 1e-12)

    @classmethod
    def _load_fastembed(cls, model_path: str) -> Any:
        """fastembed needs the model's name too: the supported model whose name ends the
        directory's name (``…/bge-small-en-v1.5`` → ``BAAI/bge-small-en-v1.5``)."""
        try:
            from fastembed import TextEmbedding
        except ImportError:
            return None
        from pathlib import Path

        path = Path(model_path)
        if not path.is_dir():
            raise RankingUnavailable(f"RANK_EMBEDDINGS_MODEL is not a directory: {model_path}")
        folder = path.name.lower()
        names = [
            str(m["model"])
            for m in TextEmbedding.list_supported_models()
            if str(m["model"]).split("/")[-1].lower() in folder
        ]
        if not names:
            raise RankingUnavailable(
                f"fastembed supports no model named like the directory {path.name!r}"
            )
        try:
            model = TextEmbedding(
                model_name=max(names, key=len),
                specific_model_path=str(path),
                local_files_only=True,
            )
        except Exception as exc:
            raise RankingUnavailable(f"cannot load the embedding model: {exc}") from exc
        return lambda texts: cls._normalise(list(model.embed(list(texts))))

    @classmethod
    def _load_sentence_transformers(cls, model_path: str) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            return None
        try:
            model = SentenceTransformer(model_path, local_files_only=True)
        except Exception as exc:
            raise RankingUnavailable(f"cannot load the embedding model: {exc}") from exc
        return lambda texts: cls._normalise(model.encode(list(texts)))

    def fit_transform(self, texts: Sequence[str]) -> Any:
        return self.encode(texts)

    def transform(self, texts: Sequence[str]) -> Any:
        return self.encode(texts)


def _dense(row: Any) -> np.ndarray:
    return np.asarray(row.toarray() if hasattr(row, "toarray") else row).ravel()


class ChatModel:
    """A chat's fitted model: scores for papers, and the liked paper each one is closest to."""

    def __init__(self, examples: Sequence[Example], featurizer: Featurizer) -> None:
        self.featurizer = featurizer
        texts = [e.text for e in examples]
        labels = np.array([1 if e.label > 0 else 0 for e in examples])
        weights = np.array([e.weight for e in examples], dtype=np.float64)
        matrix = featurizer.fit_transform(texts)
        self.classifier: Any = None
        self.centroid: np.ndarray | None = None
        self.sign = 1.0
        if labels.min() != labels.max():
            from sklearn.linear_model import LogisticRegression

            self.classifier = LogisticRegression(
                class_weight="balanced", C=4.0, solver="liblinear", max_iter=500
            )
            self.classifier.fit(matrix, labels, sample_weight=weights)
        else:  # one class only: similarity to its centroid (towards likes, away from dislikes)
            self.sign = 1.0 if labels[0] == 1 else -1.0
            centroid = _dense(matrix.T @ weights if hasattr(matrix, "T") else weights @ matrix)
            self.centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
        liked = [i for i, e in enumerate(examples) if e.label > 0 and e.title]
        self.liked_titles = [examples[i].title or "" for i in liked]
        self.liked = matrix[liked] if liked else None

    def score(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
        """Predicted interest for each text (higher first) and its "because you liked" title."""
        if not texts:
            return np.zeros(0), []
        matrix = self.featurizer.transform(texts)
        if self.classifier is not None:
            scores = np.asarray(self.classifier.decision_function(matrix), dtype=np.float64)
        else:
            assert self.centroid is not None
            scores = self.sign * np.asarray(matrix @ self.centroid, dtype=np.float64).ravel()
        because: list[str | None] = [None] * len(texts)
        if self.liked is not None:
            similarity = matrix @ self.liked.T
            similarity = np.asarray(
                similarity.toarray() if hasattr(similarity, "toarray") else similarity
            )
            for i, row in enumerate(similarity):
                best = int(np.argmax(row))
                # the paper itself (rated before) is no reason to read it
                if self.featurizer.because_threshold <= row[best] < 0.999:
                    because[i] = self.liked_titles[best]
        return scores, because


class Ranker:
    """Fits and caches chat models; every method here is synchronous CPU work."""

    def __init__(
        self,
        backend: Backend = "tfidf",
        *,
        embeddings_model: str | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.backend = backend
        self.embeddings_model = embeddings_model
        self.cache_size = max(cache_size, 1)
        self._cache: OrderedDict[tuple[Any, ...], ChatModel | None] = OrderedDict()
        self._lock = threading.Lock()
        if backend == "embeddings":
            EmbeddingFeaturizer.load(embeddings_model)  # fail at start, with a clear line

    @staticmethod
    def warm_up() -> None:
        """Import scikit-learn (seconds on a busy machine), so a chat's first personal /today
        does not wait for it; the long-running bot calls this in a thread at start."""
        import sklearn.feature_extraction.text
        import sklearn.linear_model  # noqa: F401

    def featurizer(self) -> Featurizer:
        if self.backend == "embeddings":
            return EmbeddingFeaturizer(self.embeddings_model)
        return TfidfFeaturizer()

    def fit(self, examples: Sequence[Example]) -> ChatModel | None:
        if not examples:
            return None
        return ChatModel(examples, self.featurizer())

    def model(self, key: tuple[Any, ...], examples: Sequence[Example]) -> ChatModel | None:
        """The model for ``key`` (chat + ratings version) from the cache, else fitted."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if not examples:  # evicted since the caller looked: it fetches the examples again
            return None
        fitted = self.fit(examples)
        with self._lock:
            self._cache[key] = fitted
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return fitted

    def cached(self, key: tuple[Any, ...]) -> bool:
        with self._lock:
            return key in self._cache

    @staticmethod
    def order(model: ChatModel | None, papers: Sequence[FeaturedPaper]) -> list[FeaturedPaper]:
        """Papers by predicted interest; votes break ties, then the given order."""
        if model is None or not papers:
            return list(papers)
        scores, because = model.score([paper_text(fp.paper) for fp in papers])
        ranked = sorted(
            range(len(papers)),
            key=lambda i: (-round(float(scores[i]), 6), -papers[i].votes, i),
        )
        return [replace(papers[i], because=because[i]) for i in ranked]


def examples_for(
    profile: dict[str, tuple[int, PaperInfo]], include_keywords: Sequence[str]
) -> list[Example]:
    """Training documents: rated papers (net vote's sign, weight = its size) + include keywords."""
    examples = [
        Example(paper_text(paper), 1 if score > 0 else -1, float(abs(score)), paper.title)
        for _, (score, paper) in sorted(profile.items())
        if score != 0
    ]
    examples += [Example(f"{word}. {word}", 1, 1.0) for word in include_keywords]
    return examples


def ratings_version(profile: dict[str, int], include_keywords: Sequence[str]) -> str:
    """A short digest of what the model learns from: changes whenever a vote does."""
    material = repr((sorted(profile.items()), sorted(include_keywords)))
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


class PersonalRanking:
    """The async face of ranking for commands and the morning post."""

    def __init__(self, ratings: Ratings, ranker: Ranker | None = None) -> None:
        self.ratings = ratings
        self.ranker = ranker or Ranker()

    async def model_for(
        self, target: Target, include_keywords: Sequence[str] = ()
    ) -> ChatModel | None:
        """The chat's fitted model (cached per ratings version), or None with nothing to learn."""
        profile = await self.ratings.profile(target)
        if not any(profile.values()) and not include_keywords:
            return None
        key = (target, ratings_version(profile, include_keywords))
        if self.ranker.cached(key):
            model = await asyncio.to_thread(self.ranker.model, key, [])
            if model is not None:
                return model
        rated = await self.ratings.rated(target)
        material = {r.paper.arxiv_id: (r.score, r.paper) for r in rated}
        examples = examples_for(material, include_keywords)
        return await asyncio.to_thread(self.ranker.model, key, examples)

    async def order_for_chat(
        self, papers: Sequence[FeaturedPaper], subscription: Subscription | None
    ) -> list[FeaturedPaper]:
        """The day's papers in the order this chat should see them.

        ``rank votes`` (the default, or no settings row) keeps the given order (most votes
        first). ``rank personal`` orders by predicted interest, votes breaking ties, and marks
        each paper with the liked paper it is most like (``FeaturedPaper.because``).
        """
        if subscription is None or subscription.rank != "personal" or not papers:
            return list(papers)
        model = await self.model_for(subscription.target, subscription.include_keywords)
        if model is None:
            return list(papers)
        return await asyncio.to_thread(self.ranker.order, model, papers)

    async def for_you(
        self,
        target: Target,
        include_keywords: Sequence[str],
        end: date,
        n: int,
        days: int = FOR_YOU_DAYS,
    ) -> list[FeaturedPaper] | None:
        """The ``n`` unrated papers of the ``days`` days ending at ``end`` this chat should like
        most; None when the chat has nothing to learn from yet."""
        model = await self.model_for(target, include_keywords)
        if model is None:
            return None
        rated = await self.ratings.profile(target)
        recent = await self.ratings.recent_papers(end, days)
        candidates = [fp for fp in recent if fp.paper.arxiv_id not in rated]
        ordered = await asyncio.to_thread(self.ranker.order, model, candidates)
        return ordered[:n]


def window(end: date, days: int = FOR_YOU_DAYS) -> tuple[date, date]:
    return end - timedelta(days=days - 1), end
