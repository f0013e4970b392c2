"""Conversations, their messages (masked text only), the durable dialog event log, feedback, handoffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow

CONVERSATION_STATUSES = ("bot", "waiting_agent", "agent", "closed")
MESSAGE_ROLES = ("user", "bot", "agent", "system")
HANDOFF_STATUSES = ("waiting", "assigned", "returned", "closed")


class Conversation(HasCreatedAt, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("status IN ('bot', 'waiting_agent', 'agent', 'closed')", name="status"),
        Index("ix_conversations_tenant_updated", "tenant_id", "updated_at"),
        Index("ix_conversations_tenant_customer", "tenant_id", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    widget_key_id: Mapped[str | None] = mapped_column(
        ForeignKey("widget_keys.id", ondelete="SET NULL"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="bot")
    lang: Mapped[str] = mapped_column(String(8), default="")
    channel: Mapped[str] = mapped_column(String(16), default="widget")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    # Number of dialog events stored for this conversation. Bumped with a compare-and-set in the same
    # transaction that inserts the events: the durable optimistic version check (see crud.bump_version).
    event_version: Mapped[int] = mapped_column(Integer, default=0)
    # The verified customer id of a widget identity (set when a verified start names one): what a
    # data-subject request or a legal hold "by customer" finds. NULL for anonymous conversations.
    customer_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # When the retention purge dropped this conversation's vault and hot state (its transcript stays,
    # masked, until its own period ends): the purge does it once.
    vault_purged_at: Mapped[datetime | None] = mapped_column(default=None)


class Message(HasCreatedAt, Base):
    """One utterance. ``text`` is always the masked text; clear values live only in the vault."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'bot', 'agent', 'system')", name="role"),
        UniqueConstraint("conversation_id", "event_seq"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # The seq of the UserSaid/BotSaid/AgentSaid event that carries this message: the transcript order.
    event_seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="")
    # [{"n": 1, "chunk_id": "...", "title": "...", "document_id": "..."}]
    citations: Mapped[list[Any]] = mapped_column(default=list)
    # {"load_state": 1.2, "mask": 3.4, ...} in milliseconds
    timings_ms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    # entity type -> count of PII masked in this message (never values)
    pii_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bot answers from the model: {"kb_version": "v3", "refs": [chunk ids in prompt order]}, the passages
    # its prompt showed; the next turn carries them (same numbers) to keep the prompt prefix stable.
    prompt_refs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class DialogEventRow(HasCreatedAt, Base):
    """The durable dialog event log: ``(conversation_id, seq)`` is unique, so two writers cannot both
    append event N (the loser's insert fails and it retries on the fresh state)."""

    __tablename__ = "dialog_events"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1-based; equals the state version after applying it
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()


class Feedback(HasCreatedAt, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("thumbs IS NULL OR thumbs IN ('up', 'down')", name="thumbs"),
        CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None, index=True
    )
    thumbs: Mapped[str | None] = mapped_column(String(8), default=None)
    csat: Mapped[int | None] = mapped_column(Integer, default=None)


class Handoff(HasCreatedAt, Base):
    """A request for a human, with the context package the agent sees first."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'assigned', 'returned', 'closed')", name="status"),
        Index("ix_handoffs_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    # {"summary", "intent", "slots", "cited_chunks", "transcript"}: masked text only
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
