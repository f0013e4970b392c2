"""Schemas of the admin console's configuration routes: golden questions, intents, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

LANG_PATTERN = "^(|zh|en)$"


class ExpectedDocument(BaseModel):
    id: str
    source: str
    status: str


class GoldenQuestionCreate(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    lang: str = Field(default="", pattern=LANG_PATTERN)
    expected_document_ids: list[str] = Field(min_length=1, max_length=20)


class GoldenQuestionUpdate(BaseModel):
    question: str | None = Field(default=None, min_length=1, max_length=1000)
    lang: str | None = Field(default=None, pattern=LANG_PATTERN)
    expected_document_ids: list[str] | None = Field(default=None, min_length=1, max_length=20)


class GoldenQuestionPublic(BaseModel):
    id: str
    question: str
    lang: str
    expected: list[ExpectedDocument]
    created_at: datetime


class IntentCreate(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = Field(default="", max_length=500)
    examples: list[str] = Field(min_length=1, max_length=500)
    handoff: bool = False
    required_slots: list[str] = Field(default_factory=list, max_length=6)
    topic: dict[str, str] = Field(default_factory=dict)

    @field_validator("examples")
    @classmethod
    def _examples(cls, v: list[str]) -> list[str]:
        cleaned = [e.strip() for e in v if e.strip()]
        if not cleaned:
            raise ValueError("an intent needs at least one non-empty example")
        if any(len(e) > 500 for e in cleaned):
            raise ValueError("examples are at most 500 characters")
        return list(dict.fromkeys(cleaned))

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: dict[str, str]) -> dict[str, str]:
        if set(v) - {"zh", "en"} or any(len(t) > 100 for t in v.values()):
            raise ValueError('topic names the subject per language: {"zh": "...", "en": "..."} (100 chars)')
        return {k: t.strip() for k, t in v.items() if t.strip()}


class IntentUpdate(IntentCreate):
    pass


class IntentPublic(BaseModel):
    id: str
    name: str
    description: str
    examples: list[str]
    handoff: bool
    required_slots: list[str]
    topic: dict[str, str]
    created_at: datetime


class IntentSetStatus(BaseModel):
    """What the tenant's tracker runs on: its own intents (``source="tenant"``) or the configured set."""

    source: str
    revision: str
    intents: int
    ready: bool  # False while a retrained tracker is being built (the previous one keeps serving)
    error: str | None = None


class AuditEventPublic(BaseModel):
    id: int
    created_at: datetime
    actor_type: str
    actor_id: str | None
    actor_email: str | None = None
    action: str
    target_type: str | None
    target_id: str | None
    data: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    next_before_id: int | None  # pass as before_id for the next (older) page; None: the last page
    actions: list[str]  # every action recorded for the tenant (for the filter)
