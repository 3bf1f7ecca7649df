"""Full-text extracts for the summariser: fetched once per paper, stored, shared by languages.

``FullTextExtracts.extract(paper)`` answers from the ``paper_extract`` table when it can; else
it asks the ``PaperTextSource`` (arXiv), builds the budgeted extract in a worker thread and stores
it. A paper arXiv has no text for is stored as ``unavailable`` (not asked again); a passing
failure (arXiv down, too large) is not stored, and that call falls back to the abstract. It never
raises: the worst case is the abstract, as before full text existed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from bot.archive import upsert_papers
from bot.db import Database
from bot.domain import PaperExtract, PaperInfo, PaperText
from bot.extract import build_extract, estimate_tokens
from bot.models import PaperExtractRow, PaperRow
from bot.ports import PaperTextError, PaperTextSource
from bot.prompts import SYSTEM_PROMPT, build_user_prompt

log = logging.getLogger(__name__)

# Room for the longest language name and the JSON answer's framing in the prompt.
_PROMPT_SLACK = 40
_MIN_BODY_TOKENS = 200


def _utcnow() -> datetime:
    return datetime.now(UTC)


def body_budget(paper: PaperInfo, abstract: str, input_tokens: int) -> int:
    """Tokens left for the body once the instructions, title and abstract are counted.

    ``input_tokens`` (LLM_INPUT_TOKENS) caps the whole prompt, so the extract gets the rest.
    """
    frame = build_user_prompt(paper.title, abstract, "Chinese (Traditional)")
    overhead = estimate_tokens(SYSTEM_PROMPT) + estimate_tokens(frame) + _PROMPT_SLACK
    return input_tokens - overhead


class FullTextExtracts:
    """``ExtractProvider``: stored extract, else arXiv → extract → store; abstract on failure."""

    def __init__(
        self,
        db: Database,
        source: PaperTextSource,
        *,
        input_tokens: int = 6000,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.source = source
        self.input_tokens = input_tokens
        self.now = now or _utcnow
        # one fetch per paper however many languages ask at once
        self._inflight: dict[str, asyncio.Task[PaperExtract]] = {}

    async def aclose(self) -> None:
        """Cancel fetches still running (their callers gave up); nothing half-stored."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def extract(self, paper: PaperInfo) -> PaperExtract:
        try:
            stored = await self.db.run(lambda s: s.get(PaperExtractRow, paper.arxiv_id))
        except SQLAlchemyError:
            log.exception("paper_extract unavailable; summarising %s from its abstract", paper)
            return PaperExtract(abstract=paper.abstract)
        if stored is not None:
            return _from_row(stored, paper)
        task = self._inflight.get(paper.arxiv_id)
        if task is None:
            task = asyncio.create_task(self._fetch(paper), name=f"fulltext {paper.arxiv_id}")
            self._inflight[paper.arxiv_id] = task
            task.add_done_callback(lambda _t: self._inflight.pop(paper.arxiv_id, None))
        return await asyncio.shield(task)

    async def _fetch(self, paper: PaperInfo) -> PaperExtract:
        aid = paper.arxiv_id
        try:
            text = await self.source.fetch(aid)
        except PaperTextError as exc:
            log.warning("no full text for %s now (%s); using the abstract", aid, exc)
            return PaperExtract(abstract=paper.abstract, final=False)
        except Exception:  # never let one paper's text break its summary
            log.exception("fetching the text of %s crashed; using the abstract", aid)
            return PaperExtract(abstract=paper.abstract, final=False)
        if text is None:
            log.info("arXiv has no text for %s; its summaries use the abstract", aid)
            row = PaperExtractRow(arxiv_id=aid, status="unavailable", fetched_at=self.now())
        else:
            row = await asyncio.to_thread(self._build, paper, text)
        await self._store(paper, row)
        return _from_row(row, paper)

    def _build(self, paper: PaperInfo, text: PaperText) -> PaperExtractRow:
        abstract = paper.abstract or text.abstract
        budget = body_budget(paper, abstract, self.input_tokens)
        body = build_extract(text, budget) if budget >= _MIN_BODY_TOKENS else ""
        return PaperExtractRow(
            arxiv_id=paper.arxiv_id,
            status=text.format if body else "unavailable",
            extract=body,
            abstract=text.abstract,
            tokens=estimate_tokens(body),
            budget=budget,
            fetched_at=self.now(),
        )

    async def _store(self, paper: PaperInfo, row: PaperExtractRow) -> None:
        def write(session: Session) -> None:
            if session.get(PaperRow, paper.arxiv_id) is None:
                upsert_papers(session, [paper], self.now())  # the FK needs the paper row
            session.add(row)
            session.commit()

        try:
            await self.db.run(write)
        except IntegrityError:
            log.info("extract of %s already stored", paper.arxiv_id)
        except SQLAlchemyError:
            log.exception("could not store the extract of %s", paper.arxiv_id)


def _from_row(row: PaperExtractRow, paper: PaperInfo) -> PaperExtract:
    abstract = paper.abstract or row.abstract
    if row.extract:
        return PaperExtract(text=row.extract, source="fulltext", abstract=abstract)
    return PaperExtract(abstract=abstract)
