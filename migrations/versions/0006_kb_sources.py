"""knowledge sources: website and folder sources, what their syncs saw, and the sync runs

kb_sources (per tenant: kind web | folder, config, schedule, auto_publish), kb_source_items (per page or
file: validators, content hash, the document it became), kb_source_syncs (per run: progress, then the
report; at most one open run per source, a partial unique index).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('kb_sources',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('config', JSON, nullable=False),
    sa.Column('schedule_minutes', sa.Integer(), nullable=False),
    sa.Column('auto_publish', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('web', 'folder')", name=op.f('ck_kb_sources_kind')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_kb_sources_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_sources')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_kb_sources_tenant_id_name'))
    )
    with op.batch_alter_table('kb_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_sources_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('kb_source_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=1000), nullable=False),
    sa.Column('document_id', sa.String(length=32), nullable=True),
    sa.Column('etag', sa.String(length=300), nullable=False),
    sa.Column('last_modified', sa.String(length=100), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('links', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['kb_documents.id'], name=op.f('fk_kb_source_items_document_id_kb_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['kb_sources.id'], name=op.f('fk_kb_source_items_source_id_kb_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_kb_source_items_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_source_items')),
    sa.UniqueConstraint('source_id', 'key', name=op.f('uq_kb_source_items_source_id_key'))
    )
    with op.batch_alter_table('kb_source_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_source_items_source_id'), ['source_id'], unique=False)

    op.create_table('kb_source_syncs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('items_seen', sa.Integer(), nullable=False),
    sa.Column('current', sa.String(length=1000), nullable=False),
    sa.Column('counts', JSON, nullable=False),
    sa.Column('items', JSON, nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('version', sa.String(length=20), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('gate', JSON, nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_detail', sa.Text(), nullable=True),
    sa.Column('elapsed_s', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_kb_source_syncs_status')),
    sa.ForeignKeyConstraint(['job_id'], ['ingestion_jobs.id'], name=op.f('fk_kb_source_syncs_job_id_ingestion_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['kb_sources.id'], name=op.f('fk_kb_source_syncs_source_id_kb_sources'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_kb_source_syncs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_source_syncs'))
    )
    with op.batch_alter_table('kb_source_syncs', schema=None) as batch_op:
        batch_op.create_index('ix_kb_source_syncs_source_created', ['source_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_source_syncs_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('uq_kb_source_syncs_open_per_source', ['source_id'], unique=True,
                              postgresql_where=sa.text("status IN ('queued', 'running')"),
                              sqlite_where=sa.text("status IN ('queued', 'running')"))


def downgrade() -> None:
    with op.batch_alter_table('kb_source_syncs', schema=None) as batch_op:
        batch_op.drop_index('uq_kb_source_syncs_open_per_source',
                            postgresql_where=sa.text("status IN ('queued', 'running')"),
                            sqlite_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index(batch_op.f('ix_kb_source_syncs_tenant_id'))
        batch_op.drop_index('ix_kb_source_syncs_source_created')
    op.drop_table('kb_source_syncs')
    with op.batch_alter_table('kb_source_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_source_items_source_id'))
    op.drop_table('kb_source_items')
    with op.batch_alter_table('kb_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_sources_tenant_id'))
    op.drop_table('kb_sources')
