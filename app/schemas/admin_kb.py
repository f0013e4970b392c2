"""Schemas of the admin console's knowledge-base routes (uploads, jobs, documents, versions, hit-testing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class DocumentPublic(BaseModel):
    id: str
    source: str
    title: str
    mime_type: str
    size_bytes: int
    lang: str
    status: str  # queued | parsing | embedding | indexed | failed | deleted
    chunk_count: int
    pii_findings: dict[str, int]
    error_code: str | None = None
    error_detail: str | None = None
    job_id: str | None = None
    in_active: bool = False  # served now
    in_draft: bool = False  # in the draft waiting to be published
    created_at: datetime
    updated_at: datetime


class JobPublic(BaseModel):
    id: str
    kind: str  # upload | delete | reindex | curated
    status: str  # queued | running | succeeded | failed
    stage: str
    progress: float  # 0..1
    documents_total: int
    documents_done: int
    chunks_total: int
    error_code: str | None = None
    error_detail: str | None = None
    version: str | None = None  # the draft the job built
    skipped_duplicates: list[str] = []
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    documents: list[DocumentPublic] = []


class UploadAccepted(BaseModel):
    job_id: str
    skipped_duplicates: list[str]
    job: JobPublic


class JobStarted(BaseModel):
    job_id: str | None  # None: nothing had to be rebuilt


class VersionPublic(BaseModel):
    id: str
    label: str
    number: int
    state: Literal["active", "draft", "previous", "discarded"]
    status: str
    documents: int
    chunk_count: int
    embedder: str
    notes: str
    golden_report: dict[str, Any]
    created_at: datetime
    published_at: datetime | None = None


class VersionDetail(VersionPublic):
    added: list[str]
    replaced: list[str]
    removed: list[str]


class PublishPublic(BaseModel):
    version: VersionPublic
    report: dict[str, Any]


class HitTestCreate(BaseModel):
    query: str = Field(min_length=1, max_length=1000)
    version: str = Field(default="active", max_length=64)  # active | draft | a version id
    k: int = Field(default=10, ge=1, le=50)
    lang: str | None = Field(default=None, max_length=8)
    collection: str | None = Field(default=None, max_length=200)


class HitPublic(BaseModel):
    rank: int
    chunk_id: str
    document_id: str
    source: str
    title: str
    text: str
    lang: str
    heading_path: str
    score: float  # fused
    dense_score: float | None
    bm25_score: float | None
    dense_rank: int | None
    bm25_rank: int | None


class HitTestPublic(BaseModel):
    version: str
    version_state: str
    good_enough: bool  # False: the bot would say it doesn't know (or hand off) rather than answer
    elapsed_ms: float
    hits: list[HitPublic]
