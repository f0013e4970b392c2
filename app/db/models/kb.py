"""Knowledge base: collections, documents, chunks, immutable versions, golden questions, intents, jobs.

A version is the set of documents published together; its index is built from those documents' chunks
(so an index missing on disk can always be rebuilt from here). At most one version per tenant is active.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow

DOCUMENT_STATUSES = ("queued", "parsing", "embedding", "indexed", "failed", "deleted")
VERSION_STATUSES = ("draft", "published", "archived")
JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class KbCollection(HasCreatedAt, Base):
    __tablename__ = "kb_collections"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class IngestionJob(HasCreatedAt, Base):
    __tablename__ = "ingestion_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
        Index("ix_ingestion_jobs_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    documents_total: Mapped[int] = mapped_column(Integer, default=0)
    documents_done: Mapped[int] = mapped_column(Integer, default=0)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_detail: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Document(HasCreatedAt, Base):
    __tablename__ = "kb_documents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'parsing', 'embedding', 'indexed', 'failed', 'deleted')", name="status"
        ),
        Index("ix_kb_documents_tenant_hash", "tenant_id", "content_hash"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("kb_collections.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("ingestion_jobs.id", ondelete="SET NULL"), default=None, index=True
    )
    source: Mapped[str] = mapped_column(String(500))  # file name / path relative to the upload root
    title: Mapped[str] = mapped_column(String(500), default="")
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the raw bytes
    lang: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    # entity type -> count (never values)
    pii_findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_detail: Mapped[str | None] = mapped_column(Text, default=None)
    # The original upload, kept so a new chunker/embedder can rebuild every version from the database.
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Chunk(Base):
    __tablename__ = "kb_chunks"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal"),
        Index("ix_kb_chunks_tenant_chunk", "tenant_id", "chunk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("kb_documents.id", ondelete="CASCADE"))
    chunk_id: Mapped[str] = mapped_column(String(200))  # the id the retriever returns and citations use
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # what is cited and shown
    embed_text: Mapped[str] = mapped_column(Text)  # what is embedded / keyword-indexed
    title: Mapped[str] = mapped_column(String(500), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)


kb_version_documents = Table(
    "kb_version_documents",
    Base.metadata,
    Column("version_id", ForeignKey("kb_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("kb_documents.id", ondelete="CASCADE"), primary_key=True),
)


class KbVersion(HasCreatedAt, Base):
    __tablename__ = "kb_versions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        UniqueConstraint("tenant_id", "number"),
        # One active version per tenant, enforced by the database.
        Index(
            "uq_kb_versions_active_per_tenant",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per tenant
    status: Mapped[str] = mapped_column(String(16), default="draft")
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    embedder: Mapped[str] = mapped_column(String(100), default="")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    # The golden-question report this version was published with (per-question recall@5).
    golden_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The retrieval floor and margin calibrated on this version's own content when it was published
    # (retrieval.calibration); None: the embedder's defaults.
    retrieval_floor: Mapped[float | None] = mapped_column(Float, default=None)
    retrieval_margin: Mapped[float | None] = mapped_column(Float, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def label(self) -> str:
        """The version name the index store knows it by."""
        return f"v{self.number}"


class GoldenQuestion(HasCreatedAt, Base):
    __tablename__ = "golden_questions"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="")
    # Document ids (kb_documents.id) that must be retrieved; empty = the KB should have no answer.
    expected_document_ids: Mapped[list[Any]] = mapped_column(default=list)


class Intent(HasCreatedAt, Base):
    __tablename__ = "intents"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[Any]] = mapped_column(default=list)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    # Slots the bot asks for before answering, and the topic's name per language ({"zh": ..., "en": ...}).
    required_slots: Mapped[list[Any]] = mapped_column(default=list)
    topic: Mapped[dict[str, Any]] = mapped_column(default=dict)
