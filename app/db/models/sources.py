"""Knowledge sources: a tenant's website or server folder kept in sync with its knowledge base.

``kb_sources`` holds what to read (a website: start URL, sitemap, URL patterns, hosts, caps, rate; a
folder: path and glob) and when (``schedule_minutes``); ``kb_source_items`` is what the last syncs saw
of each page or file (validators for conditional requests, the extracted content's hash, the document it
became); ``kb_source_syncs`` is one row per sync run: progress while it runs, then its report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow

SOURCE_KINDS = ("web", "folder")
SYNC_STATUSES = ("queued", "running", "succeeded", "failed")


class KbSource(HasCreatedAt, Base):
    __tablename__ = "kb_sources"
    __table_args__ = (
        CheckConstraint("kind IN ('web', 'folder')", name="kind"),
        UniqueConstraint("tenant_id", "name"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # web: url, sitemap, include, exclude, hosts, allow_private, max_pages, delay_s; folder: path, glob
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule_minutes: Mapped[int] = mapped_column(Integer, default=0)  # 0: only when asked
    auto_publish: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)


class KbSourceItem(Base):
    __tablename__ = "kb_source_items"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("kb_sources.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(1000))  # the page URL, or the file's path under the folder
    document_id: Mapped[str | None] = mapped_column(
        ForeignKey("kb_documents.id", ondelete="SET NULL"), default=None
    )
    etag: Mapped[str] = mapped_column(String(300), default="")
    last_modified: Mapped[str] = mapped_column(
        String(100), default=""
    )  # HTTP date, or a file's mtime_ns:size
    content_hash: Mapped[str] = mapped_column(String(64), default="")  # sha256 of the extracted content
    links: Mapped[list[Any]] = mapped_column(default=list)  # a page's links, for crawls answered 304
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbSourceSync(HasCreatedAt, Base):
    __tablename__ = "kb_source_syncs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
        Index("ix_kb_source_syncs_source_created", "source_id", "created_at"),
        # At most one open run per source, enforced by the database.
        Index(
            "uq_kb_source_syncs_open_per_source",
            "source_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("kb_sources.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual | schedule
    status: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(32), default="queued")  # fetching | ingesting | gate | done
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[str] = mapped_column(String(1000), default="")
    # {"added": n, "changed": n, "removed": n, "unchanged": n, "failed": n}
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"key", "outcome": added|changed|removed|failed, "code", "detail"}] (unchanged ones are only counted)
    items: Mapped[list[Any]] = mapped_column(default=list)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("ingestion_jobs.id", ondelete="SET NULL"), default=None
    )
    version: Mapped[str | None] = mapped_column(String(20), default=None)  # the draft it built (v7)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    gate: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the golden-question report
    note: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_detail: Mapped[str | None] = mapped_column(Text, default=None)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
