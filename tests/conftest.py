"""Shared fixtures. Tests never touch the internet: every service is a fake on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# httpx honours proxy variables; loopback fakes must never go through a proxy.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)

from hypothesis import settings as hypothesis_settings  # noqa: E402

from bot.db import Database  # noqa: E402

# CI explores the same examples every run (a red CI is then reproducible); locally, new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = Database.from_url(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A clean PostgreSQL schema, or a skip when TEST_POSTGRES_URL is unset."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set")
    from sqlalchemy import text

    from bot.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
