"""Summaries in each chat's language: offline always, an OpenAI-compatible LLM when configured.

``SummaryService`` is the one entry point the core uses. LLM summaries are cached in the
``summary`` table by (paper, language, prompt version, model), so each paper is summarised once
per language, ever. Any failure for a paper gives it the offline summary for this call only
(nothing cached, so it is tried again next time); a call never raises and returns within its
time budget. Every call, cache hit and failure is recorded in ``llm_usage`` for
``summaries stats`` (``bot/usage.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from bot.archive import upsert_papers
from bot.cards import offline_summary
from bot.db import Database
from bot.domain import PaperInfo, Summary
from bot.llm import LlmClient, LlmError, LlmUsage
from bot.models import LlmUsageRow, PaperRow, SummaryRow
from bot.ports import ExtractProvider
from bot.prompts import PROMPT_VERSION, normalize_language

log = logging.getLogger(__name__)

PROVISIONAL_FOR = timedelta(minutes=30)  # a summary made while the paper's text was unavailable
PROVISIONAL_MAX = 2000  # bound on provisional summaries kept in memory

Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OfflineSummarizer:
    """HF's ai_summary or the abstract's first sentences (English): always there, instant."""

    def summarize_now(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]:
        return {paper.arxiv_id: offline_summary(paper, language) for paper in papers}

    async def summarize(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]:
        return self.summarize_now(papers, language)


class LlmSummarizer:
    """The LLM's three parts for a paper, in a language; no cache (see ``SummaryService``)."""

    def __init__(
        self,
        llm: LlmClient,
        offline: OfflineSummarizer | None = None,
        *,
        concurrency: int = 4,
        extracts: ExtractProvider | None = None,
    ) -> None:
        self.llm = llm
        self.offline = offline or OfflineSummarizer()
        self.extracts = extracts  # full text (bot.fulltext); None = abstract only
        self._gate = asyncio.Semaphore(max(1, concurrency))

    async def summarize_one(self, paper: PaperInfo, language: str) -> tuple[Summary, LlmUsage]:
        """Raises ``LlmError`` when the model gives no usable answer."""
        # --- full text: an extract of the paper's body when there is one (bot/fulltext.py)
        extract = await self.extracts.extract(paper) if self.extracts else None
        body = extract.text if extract and extract.source == "fulltext" else None
        source_text = paper.abstract or (extract.abstract if extract else "") or paper.ai_summary
        source_text = source_text or ""
        if not source_text.strip() and not body:
            raise LlmError("no_abstract", "nothing to summarise")
        answer = await self.llm.summarize(paper.title, source_text, language, body)
        summary = Summary(
            whats_new=answer.parts["whats_new"],
            technical_details=answer.parts["technical_details"],
            performance_highlights=answer.parts["performance_highlights"],
            language=normalize_language(language),
            source="llm",
            based_on="fulltext" if body else "abstract",
            provisional=extract is not None and not extract.final,
        )
        return summary, answer.usage

    async def summarize(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]:
        """Every paper, the offline summary where the LLM fails (never raises for one paper)."""

        async def one(paper: PaperInfo) -> Summary:
            try:
                async with self._gate:
                    return (await self.summarize_one(paper, language))[0]
            except LlmError:
                return offline_summary(paper, language)

        results = await asyncio.gather(*(one(paper) for paper in papers))
        return {paper.arxiv_id: summary for paper, summary in zip(papers, results, strict=True)}


class SummaryService:
    """Cached LLM summaries with an offline fallback: the core's one way to get summaries."""

    def __init__(
        self,
        db: Database,
        llm: LlmClient | None,
        *,
        concurrency: int = 4,
        model: str | None = None,
        budget_seconds: float = 90.0,
        now: Now | None = None,
        extracts: ExtractProvider | None = None,
    ) -> None:
        self.db = db
        self.llm = llm
        self.model = model or (llm.model if llm else None)
        self.budget_seconds = budget_seconds
        self.now: Now = now or _utcnow
        self.offline = OfflineSummarizer()
        self._llm_summarizer = LlmSummarizer(llm, self.offline, extracts=extracts) if llm else None
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        # one in-flight LLM call per (paper, language), shared by concurrent callers
        self._inflight: dict[tuple[str, str], asyncio.Task[Summary | None]] = {}
        # why the last LLM call for (paper, language) failed, for summarize_report
        self._errors: dict[tuple[str, str], str] = {}
        # provisional summaries (the paper's text was unavailable for now), kept in memory
        # for PROVISIONAL_FOR instead of the database: at most one LLM call per paper and
        # language in that time during an arXiv outage, and the full text once it is back
        self._provisional: dict[tuple[str, str], tuple[datetime, Summary]] = {}

    @property
    def enabled(self) -> bool:
        """Whether an LLM is configured (otherwise every summary is offline)."""
        return self._llm_summarizer is not None and bool(self.model)

    # --- the entry points -------------------------------------------------------------

    async def summarize(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]:
        """A summary for every paper in ``language``; LLM where possible, never raises."""
        return (await self.summarize_report(papers, language))[0]

    async def summarize_report(
        self, papers: Sequence[PaperInfo], language: str
    ) -> tuple[dict[str, Summary], dict[str, str]]:
        """``summarize``, plus why each paper that fell back to the offline summary did:
        arxiv id → ``fallback_reason`` (``no_model``, ``unknown_model``, ``unreachable``,
        ``other``). A paper the LLM summarised (or the cache held) has no entry."""
        papers = _unique(papers)
        lang = normalize_language(language)
        if not papers:
            return {}, {}
        if not self.enabled:
            offline = self.offline.summarize_now(papers, lang)
            return offline, dict.fromkeys(offline, "no_model")
        try:
            found = await self._lookup(papers, lang)
        except SQLAlchemyError:
            log.exception("summary cache unavailable; using offline summaries")
            offline = self.offline.summarize_now(papers, lang)
            return offline, dict.fromkeys(offline, "other")
        await self._record(
            LlmUsageRow(at=self.now(), arxiv_id=aid, language=lang, model=self._model, event="hit")
            for aid in found
        )
        missing = [paper for paper in papers if paper.arxiv_id not in found]
        results: dict[str, Summary | None] = {}
        reasons: dict[str, str] = {}
        if missing:
            tasks = {paper.arxiv_id: self._task(paper, lang) for paper in missing}
            _done, pending = await asyncio.wait(tasks.values(), timeout=self.budget_seconds)
            for aid, task in tasks.items():
                ready = task not in pending and not task.cancelled()
                results[aid] = task.result() if ready else None
                if results[aid] is None:
                    reasons[aid] = self._errors.pop((aid, lang), "unreachable")
            late = [aid for aid, task in tasks.items() if task in pending]
            if late:
                log.warning("summaries of %s not ready within %gs", late, self.budget_seconds)
                await self._record(self._failed(aid, lang, "time budget exceeded") for aid in late)
        out: dict[str, Summary] = {}
        for paper in papers:
            summary = found.get(paper.arxiv_id) or results.get(paper.arxiv_id)
            out[paper.arxiv_id] = summary or offline_summary(paper, lang)
        return out, reasons

    async def prepare(self, papers: Sequence[PaperInfo], language: str) -> int:
        """Summarise ahead of time whatever is not cached yet; returns how many were missing.

        The clock calls this between morning posts, so a post rarely waits for an LLM. Unlike
        ``summarize`` it logs no cache hits: it runs every tick.
        """
        if not self.enabled:
            return 0
        papers = _unique(papers)
        lang = normalize_language(language)
        try:
            found = await self._lookup(papers, lang)
        except SQLAlchemyError:
            log.exception("summary cache unavailable; nothing prepared")
            return 0
        missing = [paper for paper in papers if paper.arxiv_id not in found]
        if missing:
            await self.summarize(missing, lang)
        return len(missing)

    async def cached(self, papers: Sequence[PaperInfo], language: str) -> dict[str, Summary]:
        """Cached LLM summaries, offline for the rest: no LLM call, for instant rendering."""
        papers = _unique(papers)
        lang = normalize_language(language)
        found: dict[str, Summary] = {}
        if self.enabled and papers:
            try:
                found = await self._lookup(papers, lang)
            except SQLAlchemyError:
                log.exception("summary cache unavailable; using offline summaries")
        return {p.arxiv_id: found.get(p.arxiv_id) or offline_summary(p, lang) for p in papers}

    async def aclose(self) -> None:
        """Cancel LLM calls still running after their caller's budget ran out."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- internals ----------------------------------------------------------------------

    @property
    def _model(self) -> str:
        return self.model or ""

    def _task(self, paper: PaperInfo, lang: str) -> asyncio.Task[Summary | None]:
        key = (paper.arxiv_id, lang)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._call(paper, lang), name=f"summary {key}")
            self._inflight[key] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return task

    async def _call(self, paper: PaperInfo, lang: str) -> Summary | None:
        """One LLM summary, cached and recorded; None (recorded as failed) on any failure."""
        assert self._llm_summarizer is not None
        async with self._semaphore:
            try:
                summary, usage = await self._llm_summarizer.summarize_one(paper, lang)
            except LlmError as exc:
                reason = fallback_reason(exc)
                self._errors[(paper.arxiv_id, lang)] = reason
                log.warning(
                    "LLM summary of %s [%s] failed (%s): %s; using the original English summary",
                    paper.arxiv_id,
                    lang,
                    _EXPLAIN.get(reason, reason).format(model=self._model),
                    exc,
                )
                await self._record([self._failed(paper.arxiv_id, lang, str(exc))])
                return None
            except Exception as exc:  # never let one paper break a digest
                self._errors[(paper.arxiv_id, lang)] = "other"
                log.exception("LLM summary of %s [%s] crashed", paper.arxiv_id, lang)
                failure = self._failed(paper.arxiv_id, lang, f"{type(exc).__name__}: {exc}")
                await self._record([failure])
                return None
        log.info(
            "LLM summary of %s [%s] model=%s prompt_tokens=%d completion_tokens=%d",
            paper.arxiv_id,
            lang,
            self._model,
            usage.prompt_tokens,
            usage.completion_tokens,
        )
        await self._record(
            [
                LlmUsageRow(
                    at=self.now(),
                    arxiv_id=paper.arxiv_id,
                    language=lang,
                    model=self._model,
                    event="call",
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                    based_on=summary.based_on,
                )
            ]
        )
        if summary.provisional:
            self._keep_provisional(paper.arxiv_id, lang, summary)
        else:
            await self._store(paper, summary)
        return summary

    def _keep_provisional(self, arxiv_id: str, lang: str, summary: Summary) -> None:
        now = self.now()
        for key, (made, _) in list(self._provisional.items()):
            if now - made >= PROVISIONAL_FOR:
                del self._provisional[key]
        if len(self._provisional) >= PROVISIONAL_MAX:
            self._provisional.pop(next(iter(self._provisional)))
        self._provisional[(arxiv_id, lang)] = (now, summary)

    async def _lookup(self, papers: Sequence[PaperInfo], lang: str) -> dict[str, Summary]:
        found = await self._lookup_cached(papers, lang)
        now = self.now()
        for paper in papers:
            kept = self._provisional.get((paper.arxiv_id, lang))
            if paper.arxiv_id not in found and kept and now - kept[0] < PROVISIONAL_FOR:
                found[paper.arxiv_id] = kept[1]
        return found

    async def _lookup_cached(self, papers: Sequence[PaperInfo], lang: str) -> dict[str, Summary]:
        ids = [paper.arxiv_id for paper in papers]
        model = self._model

        def work(session: Session) -> list[SummaryRow]:
            return list(
                session.exec(
                    select(SummaryRow).where(
                        col(SummaryRow.arxiv_id).in_(ids),
                        SummaryRow.language == lang,
                        SummaryRow.prompt_version == PROMPT_VERSION,
                        SummaryRow.model == model,
                    )
                ).all()
            )

        rows = await self.db.run(work)
        return {
            row.arxiv_id: Summary(
                whats_new=row.whats_new,
                technical_details=row.technical_details,
                performance_highlights=row.performance_highlights,
                language=row.language,
                source="llm",
                based_on=row.based_on,
            )
            for row in rows
        }

    async def _store(self, paper: PaperInfo, summary: Summary) -> None:
        """Cache a summary; a concurrent writer winning the race is fine."""
        row = SummaryRow(
            arxiv_id=paper.arxiv_id,
            language=summary.language,
            prompt_version=PROMPT_VERSION,
            model=self._model,
            whats_new=summary.whats_new or "",
            technical_details=summary.technical_details or "",
            performance_highlights=summary.performance_highlights or "",
            created_at=self.now(),
            based_on=summary.based_on,
        )
        stamp = self.now()

        def work(session: Session) -> None:
            if session.get(PaperRow, paper.arxiv_id) is None:
                # the archive normally stored it already; the cache needs the row
                upsert_papers(session, [paper], stamp)
            session.add(row)
            session.commit()

        try:
            await self.db.run(work)
        except IntegrityError:
            log.info("summary of %s [%s] already cached", paper.arxiv_id, summary.language)
        except SQLAlchemyError:
            log.exception("could not cache the summary of %s", paper.arxiv_id)

    def _failed(self, arxiv_id: str, lang: str, error: str) -> LlmUsageRow:
        return LlmUsageRow(
            at=self.now(),
            arxiv_id=arxiv_id,
            language=lang,
            model=self._model,
            event="failed",
            error=error[:500],
        )

    async def _record(self, events: Iterable[LlmUsageRow]) -> None:
        rows = list(events)
        if not rows:
            return

        def work(session: Session) -> None:
            session.add_all(rows)
            session.commit()

        try:
            await self.db.run(work)
        except SQLAlchemyError:
            log.exception("could not record %d summarizer events", len(rows))


_UNREACHABLE_KINDS = frozenset({"unreachable", "timeout", "server_error", "rate_limited"})
_EXPLAIN = {
    "no_model": "no LLM_MODEL is configured",
    "unknown_model": "the LLM service does not know LLM_MODEL={model!r}",
    "unreachable": "the LLM service at LLM_BASE_URL could not be reached",
    "other": "the model gave no usable answer",
}


def fallback_reason(error: LlmError) -> str:
    """Why a summary fell back, as the catalogue's ``summary_fallback`` reason."""
    if error.kind == "http_404":
        return "unknown_model"
    if error.kind in _UNREACHABLE_KINDS:
        return "unreachable"
    return "other"


def explain(reason: str, model: str | None = None) -> str:
    """An operator's sentence for a fallback reason (CLI warnings, logs)."""
    return _EXPLAIN.get(reason, reason).format(model=model or "")


def _unique(papers: Sequence[PaperInfo]) -> list[PaperInfo]:
    seen: dict[str, PaperInfo] = {}
    for paper in papers:
        seen.setdefault(paper.arxiv_id, paper)
    return list(seen.values())
