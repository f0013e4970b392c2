"""Schemas of the admin console's knowledge-source routes (website and folder sources, sync runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WebSourceCreate(BaseModel):
    """A website source. ``allow_private`` is not here: only the operator allows private and loopback
    addresses (``kefu source add web --allow-private``)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["web"] = "web"
    name: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=2000)
    sitemap: str = Field(default="", max_length=2000)
    include: list[str] = Field(default_factory=list, max_length=20)
    exclude: list[str] = Field(default_factory=list, max_length=20)
    hosts: list[str] = Field(default_factory=list, max_length=20)
    max_pages: int | None = Field(default=None, ge=1)
    delay_s: float | None = Field(default=None, ge=0, le=60)
    schedule_minutes: int = Field(default=0, ge=0, le=60 * 24 * 31)
    auto_publish: bool = True


class FolderSourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["folder"] = "folder"
    name: str = Field(default="", max_length=200)
    path: str = Field(min_length=1, max_length=1000)
    glob: str = Field(default="**/*", max_length=200)
    schedule_minutes: int = Field(default=0, ge=0, le=60 * 24 * 31)
    auto_publish: bool = True


class SourceUpdate(BaseModel):
    enabled: bool | None = None
    schedule_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 31)
    auto_publish: bool | None = None
    include: list[str] | None = Field(default=None, max_length=20)
    exclude: list[str] | None = Field(default=None, max_length=20)
    max_pages: int | None = Field(default=None, ge=1)
    delay_s: float | None = Field(default=None, ge=0, le=60)


class SyncPublic(BaseModel):
    id: str
    source_id: str
    trigger: str  # manual | schedule
    status: str  # queued | running | succeeded | failed
    stage: str  # queued | fetching | ingesting | gate | done | failed
    progress: float  # 0..1
    items_seen: int
    current: str
    counts: dict[str, int]  # added, changed, removed, unchanged, failed (+ capped: 1 when the page cap hit)
    items: list[dict[str, str]]  # {key, outcome, code, detail}: every item but the unchanged ones
    job_id: str | None = None
    version: str | None = None
    published: bool
    active: bool  # the version is the active one now
    gate: dict[str, Any]
    note: str
    error_code: str | None = None
    error_detail: str | None = None
    elapsed_s: float
    created_at: datetime
    finished_at: datetime | None = None


class SourcePublic(BaseModel):
    id: str
    name: str
    kind: Literal["web", "folder"]
    config: dict[str, Any]
    schedule_minutes: int
    auto_publish: bool
    enabled: bool
    items: int  # pages or files the syncs know
    last_sync_at: datetime | None = None
    last_sync: SyncPublic | None = None
    created_at: datetime


class SyncStarted(BaseModel):
    sync_id: str
