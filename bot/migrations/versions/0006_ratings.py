"""ratings (👍/👎 per member per paper per chat) and the subscription's rank setting

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-26 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column(
                "rank",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="votes",
            )
        )
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["arxiv_id"], ["paper.arxiv_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform", "chat_id", "thread_id", "user_id", "arxiv_id", name="uq_rating_vote"
        ),
    )
    op.create_index(op.f("ix_rating_arxiv_id"), "rating", ["arxiv_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rating_arxiv_id"), table_name="rating")
    op.drop_table("rating")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("rank")
