"""What the agent console keeps besides conversations: canned responses (per tenant) and curated answers
(an agent's reply proposed as a new FAQ entry, approved or rejected by an admin)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow

CURATED_STATUSES = ("pending", "approved", "rejected")


class CannedResponse(HasCreatedAt, Base):
    """A reply agents insert with one click. Text only (rendered as text, never HTML)."""

    __tablename__ = "canned_responses"
    __table_args__ = (Index("ix_canned_responses_tenant_lang", "tenant_id", "lang"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="")  # "zh" | "en" | "" (any)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CuratedAnswer(HasCreatedAt, Base):
    """A question and answer an agent proposes for the knowledge base (masked text only). An admin
    approves it (it then becomes an FAQ entry of the KB draft) or rejects it."""

    __tablename__ = "curated_answers"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index("ix_curated_answers_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), default=None, index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    proposed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
