"""subscription.digest_period and weekday: weekly and monthly digests

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "digest_period",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="daily",
            )
        )
        batch_op.add_column(
            sa.Column(
                "weekday",
                sqlmodel.sql.sqltypes.AutoString(length=3),
                nullable=False,
                server_default="mon",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("weekday")
        batch_op.drop_column("digest_period")
