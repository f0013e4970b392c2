"""Public models of the compliance API: retention policy, purge reports, legal holds, data-subject
requests, the widget's AI disclosure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.compliance.config import DisclosureText, RetentionPolicy


class RetentionPublic(BaseModel):
    policy: RetentionPolicy
    defaults: RetentionPolicy


class PurgeReportPublic(BaseModel):
    tenant_id: str
    counts: dict[str, int]
    seconds: float
    cutoffs: dict[str, str]


class HoldCreate(BaseModel):
    conversation_id: str | None = Field(default=None, min_length=1, max_length=32)
    customer_id: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1000)


class HoldPublic(BaseModel):
    id: str
    conversation_id: str | None
    customer_id: str | None
    reason: str
    created_by: str | None
    created_at: datetime
    released_at: datetime | None
    released_by: str | None


class SubjectIn(BaseModel):
    """Exactly one of the two."""

    customer_id: str | None = Field(default=None, min_length=1, max_length=200)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=32)


class ErasurePublic(BaseModel):
    request_id: str
    status: str
    conversations: int
    counts: dict[str, int]
    resumed: bool


class DsrRequestPublic(BaseModel):
    id: str
    kind: str
    subject_type: str
    status: str
    conversations_done: int
    counts: dict[str, Any]
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None


class DisclosurePublic(BaseModel):
    text: DisclosureText
    defaults: DisclosureText


class WidgetDisclosure(BaseModel):
    """What the widget shows before the first message: that this is an AI assistant, how to reach a person."""

    lang: str
    text: str
