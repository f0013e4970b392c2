"""Schemas of the agent console's routes (queue, context, actions, assist). Masked text only, except the
one reveal response, which carries the value the agent was allowed to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas.agent import ConversationSummary
from app.schemas.chat import CitationPublic, PublicOf


class AgentMe(BaseModel):
    user_id: str
    email: str | None
    role: str
    tenant_id: str
    can_reveal: bool  # may reveal placeholders (tenant setting pii_reveal_roles)


class QueueItemPublic(BaseModel):
    conversation_id: str
    status: str  # waiting | assigned | bot
    lang: str
    since: datetime
    waiting_s: float
    updated_at: datetime
    handoff_id: str | None = None
    reason: str | None = None
    summary: str = ""
    intent: str | None = None
    last_question: str = ""
    open_question: str = ""  # the customer's latest real question (not a bare "转人工")
    agent_id: str | None = None
    agent_name: str = ""


class QueuePublic(BaseModel):
    waiting: list[QueueItemPublic]
    assigned: list[QueueItemPublic]
    bot: list[QueueItemPublic]


class CitedChunkPublic(BaseModel):
    chunk_id: str
    title: str
    text: str
    document_id: str


class HandoffInfo(BaseModel):
    id: str
    reason: str
    status: str
    created_at: datetime
    assigned_at: datetime | None = None
    agent_id: str | None = None


class ConversationContextPublic(BaseModel):
    conversation: ConversationSummary
    mode: str  # bot | waiting_agent | agent | closed
    agent_id: str | None
    agent_name: str
    outcome: str | None
    handoff: HandoffInfo | None
    # dialog's package: reason, lang, summary, intent, intent_confidence, slots, cited_chunk_ids,
    # cited_chunks, transcript (masked), last_question, open_question, frustration, failed_retrievals
    package: dict[str, Any]
    cited_chunks: list[CitedChunkPublic]
    placeholders: list[str]  # this conversation's placeholders (never their values)


class AgentMessageCreate(BaseModel):
    # Length limits are checked by the service (422 empty_message / 413 message_too_long).
    text: str


class AgentMessageSent(BaseModel):
    message_id: str
    text: str  # masked, as stored
    joined: bool
    pii: dict[str, int]


class ActionDone(BaseModel):
    conversation_id: str
    mode: str
    changed: bool = True


class CloseCreate(BaseModel):
    outcome: Literal["resolved", "not_resolved"]


class RevealCreate(BaseModel):
    placeholder: str = Field(max_length=64)
    reason: str = Field(default="", max_length=200)


class RevealPublic(BaseModel):
    placeholder: str
    entity_type: str
    value: str


class SuggestionPublic(PublicOf):  # of an app.agent.suggest.Suggestion
    text: str  # masked draft; the agent edits it before sending
    citations: list[CitationPublic]
    question: str
    grounded: bool
    no_answer: bool
    model: str | None
    kb_version: str
    timings_ms: dict[str, float]


class KbHitPublic(BaseModel):
    rank: int
    chunk_id: str
    document_id: str
    title: str
    text: str
    score: float
    source: str = ""


class KbSearchCreate(BaseModel):
    """A KB search, sent as a JSON body: the query is often the customer's words, and a URL is logged."""

    query: str = Field(min_length=1, max_length=500)  # app.services.kb_search.MAX_QUERY_CHARS
    k: int = Field(default=8, ge=1, le=20)


class KbSearchPublic(BaseModel):
    query: str
    kb_version: str
    good_enough: bool
    hits: list[KbHitPublic]


class CannedCreate(BaseModel):
    title: str = Field(max_length=120)
    text: str = Field(max_length=2000)
    lang: Literal["", "zh", "en"] = ""


class CannedPublic(BaseModel):
    id: str
    title: str
    text: str
    lang: str
    updated_at: datetime


class CuratedCreate(BaseModel):
    question: str = Field(max_length=500)
    answer: str = Field(max_length=4000)


class CuratedPublic(BaseModel):
    id: str
    conversation_id: str | None
    question: str
    answer: str
    status: str
    proposed_by: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None


class CuratedProposed(CuratedPublic):
    pii_removed: dict[str, int]
