"""analytics_aggregates: what the admin analytics keep of purged or erased conversations (issue 15)

Per tenant and UTC hour of the conversations' start: counts and sums only (metric, key -> value), no
text, no ids.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_aggregates",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_analytics_aggregates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "hour", "metric", "key", name=op.f("pk_analytics_aggregates")),
    )


def downgrade() -> None:
    op.drop_table("analytics_aggregates")
