"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 14:58:38.233245
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_tables()
    _create_search_index()


def _create_tables() -> None:
    op.create_table(
        "fetched_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("paper_count", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_usage_at"), ["at"], unique=False)

    op.create_table(
        "paper",
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("abstract", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("organization", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("github_repo", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("github_stars", sa.Integer(), nullable=True),
        sa.Column("project_page", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("ai_summary", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("thumbnail", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id"),
    )
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("chat_title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("post_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("style", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=False),
        sa.Column("min_votes", sa.Integer(), nullable=False),
        sa.Column("include_keywords", sa.JSON(), nullable=False),
        sa.Column("exclude_keywords", sa.JSON(), nullable=False),
        sa.Column("empty_note", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "thread_id", name="uq_subscription_target"),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscription_platform"), ["platform"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("messages_total", sa.Integer(), nullable=False),
        sa.Column("messages_sent", sa.Integer(), nullable=False),
        sa.Column("sent_ids", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "day", name="uq_delivery_sub_day"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "featured",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"],
            ["paper.arxiv_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "arxiv_id", name="uq_featured_day_paper"),
    )
    with op.batch_alter_table("featured", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_featured_arxiv_id"), ["arxiv_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_featured_day"), ["day"], unique=False)

    op.create_table(
        "summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("prompt_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("whats_new", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("technical_details", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("performance_highlights", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"],
            ["paper.arxiv_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "arxiv_id", "language", "prompt_version", "model", name="uq_summary_key"
        ),
    )
    with op.batch_alter_table("summary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summary_arxiv_id"), ["arxiv_id"], unique=False)


def _create_search_index() -> None:
    """Full-text search: FTS5 on SQLite, a GIN tsvector index on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE paper_fts USING fts5("
            "title, abstract, authors, keywords, ai_summary, "
            "content='paper', content_rowid='rowid', tokenize='porter unicode61')"
        )
        cols = "title, abstract, authors, keywords, ai_summary"
        new = "new.title, new.abstract, new.authors, new.keywords, new.ai_summary"
        old = "old.title, old.abstract, old.authors, old.keywords, old.ai_summary"
        op.execute(
            f"CREATE TRIGGER paper_fts_ai AFTER INSERT ON paper BEGIN "
            f"INSERT INTO paper_fts(rowid, {cols}) VALUES (new.rowid, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER paper_fts_ad AFTER DELETE ON paper BEGIN "
            f"INSERT INTO paper_fts(paper_fts, rowid, {cols}) "
            f"VALUES ('delete', old.rowid, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER paper_fts_au AFTER UPDATE ON paper BEGIN "
            f"INSERT INTO paper_fts(paper_fts, rowid, {cols}) "
            f"VALUES ('delete', old.rowid, {old}); "
            f"INSERT INTO paper_fts(rowid, {cols}) VALUES (new.rowid, {new}); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_paper_search ON paper USING GIN ("
            "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(abstract, '') "
            "|| ' ' || coalesce(ai_summary, '') || ' ' || coalesce(authors::text, '') "
            "|| ' ' || coalesce(keywords::text, '')))"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("paper_fts_ai", "paper_fts_ad", "paper_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS paper_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_paper_search")
    with op.batch_alter_table("summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summary_arxiv_id"))

    op.drop_table("summary")
    with op.batch_alter_table("featured", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_featured_day"))
        batch_op.drop_index(batch_op.f("ix_featured_arxiv_id"))

    op.drop_table("featured")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_subscription_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_platform"))

    op.drop_table("subscription")
    op.drop_table("paper")
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_usage_at"))

    op.drop_table("llm_usage")
    op.drop_table("fetched_day")
