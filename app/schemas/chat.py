"""Schemas of the customer chat routes (the widget's API); ``CitationPublic`` is the agent console's too."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator


class ConversationCreate(BaseModel):
    # The tenant's public widget key; may instead come in the X-Widget-Key header. Server-to-server
    # callers may omit it and send an API key as ``Authorization: Bearer``.
    widget_key: str | None = Field(default=None, max_length=64)
    lang: str = Field(default="", max_length=8)
    # The bank's site vouches for a signed-in customer: a short-lived JWT (HS256, the tenant's key) whose
    # ``sub`` is a pseudonymous customer id. Without it the customer is unverified (no account actions).
    customer_token: str | None = Field(default=None, max_length=4096)


class ConversationPublic(BaseModel):
    id: str
    token: str  # send as X-Conversation-Token on every call about this conversation
    status: str
    lang: str
    created_at: datetime
    verified: bool = False  # a customer token was given and checked


class MessageCreate(BaseModel):
    # Length limits are checked by the turn (422 empty_message / 413 message_too_long), not here, so
    # the error codes are the documented ones.
    text: str


class PublicOf(BaseModel):
    """A public model of an internal object whose attributes have its field names (nested ones too)."""

    @classmethod
    def of(cls, obj: object) -> Self:
        return cls.model_validate(obj, from_attributes=True)


class CitationPublic(PublicOf):  # of an app.chat.types.Citation
    n: int
    chunk_id: str
    title: str  # what a reader sees: the FAQ question, or the document title › heading path
    document_id: str
    text: str = ""
    source: str = ""  # the document's file name or URL


class TurnPublic(PublicOf):  # of an app.chat.types.TurnOutcome
    conversation_id: str
    user_message_id: str
    message_id: str | None
    text: str
    decision: str
    reason: str | None
    citations: list[CitationPublic]
    state: dict[str, Any]
    timings_ms: dict[str, float]
    model: str | None
    handoff_id: str | None = None
    pii: dict[str, int] = Field(default_factory=dict)


class MessagePublic(BaseModel):
    id: str
    role: str
    text: str
    lang: str
    created_at: datetime
    decision: str | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list)


class TranscriptPublic(BaseModel):
    conversation_id: str
    status: str
    messages: list[MessagePublic]


class FeedbackCreate(BaseModel):
    message_id: str | None = Field(default=None, max_length=32)
    thumbs: Literal["up", "down"] | None = None
    csat: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="after")
    def _something(self) -> FeedbackCreate:
        if self.thumbs is None and self.csat is None:
            raise ValueError("give thumbs, csat or both")
        if self.thumbs is not None and self.message_id is None:
            raise ValueError("thumbs rate one answer: give its message_id")
        return self


class FeedbackPublic(BaseModel):
    id: str
    message_id: str | None
    thumbs: str | None
    csat: int | None


class HandoffPublic(BaseModel):
    id: str
    conversation_id: str
    status: str
    reason: str
    created_at: datetime
