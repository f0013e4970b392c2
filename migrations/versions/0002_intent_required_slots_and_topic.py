"""intent required slots and topic

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 17:13:29.961595
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing intents get an empty list / object; the default is dropped again (the app always sets them).
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('intents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_slots', json, nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('topic', json, nullable=False, server_default='{}'))
    with op.batch_alter_table('intents', schema=None) as batch_op:
        batch_op.alter_column('required_slots', server_default=None)
        batch_op.alter_column('topic', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('intents', schema=None) as batch_op:
        batch_op.drop_column('topic')
        batch_op.drop_column('required_slots')

