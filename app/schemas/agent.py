"""Schemas of the agent routes. Transcripts here are masked: placeholders, never the customer's values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ConversationSummary(BaseModel):
    id: str
    status: str
    lang: str
    channel: str
    created_at: datetime
    updated_at: datetime


class AgentMessagePublic(BaseModel):
    id: str
    role: str
    text: str  # masked
    lang: str
    created_at: datetime
    decision: str | None = None
    decision_reason: str | None = None
    model: str | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list)
    timings_ms: dict[str, Any] = Field(default_factory=dict)
    pii_counts: dict[str, Any] = Field(default_factory=dict)


class ActionStepPublic(BaseModel):
    """One step of an action in the conversation: verified (who: the customer id the bank's token named),
    requested, read back, confirmed (by the customer), cancelled, finished (executed, failed, refused)."""

    seq: int
    step: str  # verified | requested | read_back | confirmed | cancelled | finished
    action: str = ""
    detail: str = ""  # the outcome, the reason of a cancel, the read-back's values (masked)
    by: str = ""  # customer:<id> for the customer's own steps
    at: datetime


class AgentTranscriptPublic(BaseModel):
    conversation: ConversationSummary
    messages: list[AgentMessagePublic]
    actions: list[ActionStepPublic] = Field(default_factory=list)


class HandoffQueueItem(BaseModel):
    id: str
    conversation_id: str
    reason: str
    status: str
    created_at: datetime
    context: dict[str, Any]
