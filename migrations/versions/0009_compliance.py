"""compliance: conversations.customer_id and vault_purged_at, legal_holds, dsr_requests

conversations.customer_id: the verified customer id of a widget identity (NULL when anonymous), indexed
with the tenant, so a data-subject request or a legal hold by customer finds that customer's
conversations; vault_purged_at: when the retention purge dropped the conversation's vault and
hot state. legal_holds: a hold on a conversation or on a customer (one of the two), with its reason,
who placed it and who released it. dsr_requests: each export / erasure with its progress (resumable) and
its counts; the subject is kept as an HMAC only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("vault_purged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_conversations_tenant_customer", ["tenant_id", "customer_id"], unique=False)

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(conversation_id IS NULL) <> (customer_id IS NULL)", name=op.f("ck_legal_holds_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_legal_holds_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_legal_holds_tenant_released", ["tenant_id", "released_at"], unique=False)

    op.create_table(
        "dsr_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("conversations_done", sa.Integer(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('export', 'erase')", name=op.f("ck_dsr_requests_kind")),
        sa.CheckConstraint(
            "subject_type IN ('customer', 'conversation')", name=op.f("ck_dsr_requests_subject_type")
        ),
        sa.CheckConstraint("status IN ('running', 'done')", name=op.f("ck_dsr_requests_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_dsr_requests_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_requests")),
    )
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        batch_op.create_index("ix_dsr_requests_tenant_subject", ["tenant_id", "subject_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_dsr_requests_tenant_subject")
    op.drop_table("dsr_requests")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_holds_tenant_released")
        batch_op.drop_index(batch_op.f("ix_legal_holds_customer_id"))
        batch_op.drop_index(batch_op.f("ix_legal_holds_conversation_id"))
    op.drop_table("legal_holds")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_tenant_customer")
        batch_op.drop_column("vault_purged_at")
        batch_op.drop_column("customer_id")
