"""kb_versions.retrieval_floor / retrieval_margin: the retrieval floor calibrated on the version's own
content at publish

The dense-similarity floor below which a search is not good enough, and the margin (best minus 10th best)
that passes a search under it (``retrieval.calibration``), chosen when the version is published from its
own FAQ questions and headings (self-supervised, no labels) and used for every search of that version.
NULL: not calibrated (published before this revision, or calibration off): the embedder's defaults apply.

Revision ID: 0007_kb_version_retrieval_floor
Revises: 0006
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_kb_version_retrieval_floor"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retrieval_floor", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("retrieval_margin", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_versions", schema=None) as batch_op:
        batch_op.drop_column("retrieval_margin")
        batch_op.drop_column("retrieval_floor")
