"""the delivery queue: when each subscription is next looked at, and who holds it

subscription.next_post_at (indexed with platform): when the delivery engine next takes the row
up; NULL for a row that posts nothing (unsubscribed, deactivated, paused); 1970-01-01 for
"schedule me".
subscription.due_at: the post moment the pending delivery is for (the catch-up window is
measured from it). subscription.claimed_by / claimed_at: the instance ("id:boot") whose queue
holds the row. delivery.errors: the chat's own failures that day (platform-wide ones do not
count).

Revision ID: 0012
Revises: 0006
Create Date: 2026-11-26 10:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0006"
branch_labels = None
depends_on = None

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_post_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.add_column(sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=180)))
        batch_op.add_column(sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.create_index("ix_subscription_due", ["platform", "next_post_at"])
        batch_op.create_index("ix_subscription_claimed_by", ["claimed_by"])
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("errors", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    # every row that posts is scheduled by the engine at its first tick
    op.execute(
        sa.text(
            "UPDATE subscription SET next_post_at = :epoch "
            "WHERE subscribed = :yes AND active = :yes AND paused = :no"
        ).bindparams(
            sa.bindparam("epoch", EPOCH, type_=sqlmodel.sql.sqltypes.UTCDateTime()),
            yes=True,
            no=False,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("errors")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_claimed_by")
        batch_op.drop_index("ix_subscription_due")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("due_at")
        batch_op.drop_column("next_post_at")
