"""messages.prompt_refs: the passages a bot answer's prompt showed, for the next turn's prefix

``{"kb_version": "v3", "refs": [chunk ids in prompt order]}`` on bot messages answered by the model (or
the answer cache); NULL otherwise. The next turn of the conversation passes those passages back to the
prompt builder as ``carried`` (same numbers, same bytes) so the model server's prefix cache holds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "prompt_refs",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("prompt_refs")
