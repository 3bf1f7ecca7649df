"""Real-shaped Hugging Face Daily Papers items for tests (our own data, not copied answers).

``tests/fixtures/hf/YYYY-MM-DD.json`` hold what ``GET /api/daily_papers?date=YYYY-MM-DD``
answers for a few days: the seed digest's day 2025-01-10 (old shape: no ai_summary, githubRepo,
organization), a week around it with an empty weekend, a rich day in the newer shape
(2025-06-25) and a day with more than one page of papers (2025-05-27, 57 items).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hf"
THUMBNAIL = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png"


def _oid(*parts: str) -> str:
    """A stable 24-hex id shaped like the MongoDB ids Hugging Face uses."""
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:24]


def _author(arxiv_id: str, name: str, *, hidden: bool = False) -> dict[str, Any]:
    author: dict[str, Any] = {"_id": _oid(arxiv_id, name), "name": name, "hidden": hidden}
    # Some authors have claimed the paper with their Hub account, most have not.
    if len(name) % 3 == 0:
        handle = name.lower().replace(" ", "")[:12]
        author["user"] = {
            "_id": _oid("user", name),
            "avatarUrl": f"/avatars/{_oid('avatar', name)}.svg",
            "isPro": False,
            "fullname": name,
            "user": handle,
            "type": "user",
        }
        author["status"] = "claimed_verified"
        author["statusLastChangedAt"] = "2025-01-10T09:12:44.000Z"
    return author


def make_item(
    arxiv_id: str,
    title: str,
    *,
    abstract: str = "",
    authors: Sequence[str] = (),
    hidden_authors: Sequence[str] = (),
    votes: int = 0,
    comments: int = 0,
    published_at: str | None = None,
    submitted_on_daily_at: str | None = None,
    ai_summary: str | None = None,
    ai_keywords: Sequence[str] | None = None,
    github_repo: str | None = None,
    github_stars: int | None = None,
    project_page: str | None = None,
    organization: dict[str, Any] | None = None,
    organization_on: str = "both",
    submitted_by: str = "akhaliq",
) -> dict[str, Any]:
    """One element of the ``/api/daily_papers`` list, in the shape Hugging Face uses.

    Optional newer fields (ai_summary, githubRepo, organization...) are only present when given,
    like on old days. ``organization_on`` is "paper", "item" or "both" (HF puts it on both).
    """
    published = published_at or "2025-01-09T18:00:00.000Z"
    paper: dict[str, Any] = {
        "id": arxiv_id,
        "authors": [_author(arxiv_id, name, hidden=name in hidden_authors) for name in authors],
        "publishedAt": published,
    }
    if submitted_on_daily_at:
        paper["submittedOnDailyAt"] = submitted_on_daily_at
    paper["title"] = title
    paper["summary"] = abstract
    paper["upvotes"] = votes
    paper["discussionId"] = _oid("discussion", arxiv_id)
    if project_page is not None:
        paper["projectPage"] = project_page
    if github_repo is not None:
        paper["githubRepo"] = github_repo
    if ai_summary is not None:
        paper["ai_summary"] = ai_summary
    if ai_keywords is not None:
        paper["ai_keywords"] = list(ai_keywords)
    if github_stars is not None:
        paper["githubStars"] = github_stars
    if organization is not None and organization_on in ("paper", "both"):
        paper["organization"] = dict(organization)
    item: dict[str, Any] = {
        "paper": paper,
        "publishedAt": published,
        "title": title,
        "summary": abstract,
        "thumbnail": THUMBNAIL.format(id=arxiv_id),
        "numComments": comments,
        "submittedBy": {
            "_id": _oid("user", submitted_by),
            "avatarUrl": f"/avatars/{_oid('avatar', submitted_by)}.svg",
            "fullname": submitted_by,
            "name": submitted_by,
            "type": "user",
            "isPro": False,
            "isHf": False,
            "isMod": False,
            "followerCount": 42,
        },
    }
    if organization is not None and organization_on in ("item", "both"):
        item["organization"] = dict(organization)
    item["isAuthorParticipating"] = bool(paper["authors"]) and len(arxiv_id) % 2 == 0
    return item


@cache
def _load(day: str) -> tuple[str, ...]:
    path = FIXTURES / f"{day}.json"
    if not path.exists():
        return ()
    return tuple(json.dumps(item) for item in json.loads(path.read_text(encoding="utf-8")))


def load_day(day: str) -> list[dict[str, Any]]:
    """The stored answer for ``day`` (a fresh copy you may mutate); ``[]`` for unknown days."""
    return [json.loads(item) for item in _load(day)]


day_items = load_day  # the name used in notes/core-api.md


def all_days() -> dict[str, list[dict[str, Any]]]:
    """Every day we have a fixture for, including empty ones, by ISO date."""
    return {path.stem: load_day(path.stem) for path in sorted(FIXTURES.glob("????-??-??.json"))}


def find_paper(arxiv_id: str) -> dict[str, Any] | None:
    """The ``paper`` object of ``arxiv_id`` from any fixture day (what /api/papers/{id} shows)."""
    for items in all_days().values():
        for item in items:
            if item["paper"]["id"] == arxiv_id:
                return copy.deepcopy(item["paper"])
    return None


SEED_DAY = "2025-01-10"
SEED_IDS = (
    "2501.05366",
    "2501.05441",
    "2501.05453",
    "2501.04003",
    "2501.03489",
    "2501.05032",
    "2501.04377",
    "2501.05122",
    "2501.04828",
    "2501.05040",
)
