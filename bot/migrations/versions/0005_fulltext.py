"""full-text extracts; what each summary was made from

Revision ID: 0005
Revises: 0011
Create Date: 2026-11-26 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_extract",
        sa.Column("arxiv_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("extract", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("abstract", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["arxiv_id"], ["paper.arxiv_id"]),
        sa.PrimaryKeyConstraint("arxiv_id"),
    )
    with op.batch_alter_table("summary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("based_on", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("based_on", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.drop_column("based_on")
    with op.batch_alter_table("summary", schema=None) as batch_op:
        batch_op.drop_column("based_on")
    op.drop_table("paper_extract")
