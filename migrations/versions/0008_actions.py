"""actions: the tenant's action catalogue (what the assistant may do for a verified customer through the
bank's API: parameters as a JSON schema, verification, read-back confirmation, the bank call, the
customer-safe reply templates)

Revision ID: 0008
Revises: 0007_kb_version_retrieval_floor
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007_kb_version_retrieval_floor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", JSON, nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("confirm", sa.Boolean(), nullable=False),
        sa.Column("handoff_after", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("http", JSON, nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("templates", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verification IN ('none', 'verified', 'step_up')", name=op.f("ck_actions_verification")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_actions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_actions_tenant_id_name")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actions_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actions_tenant_id"))
    op.drop_table("actions")
