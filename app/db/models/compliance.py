"""Compliance records: legal holds (kept data a purge or an erasure must not touch) and data-subject
requests (an export or erasure by customer or conversation, with its progress so an interrupted run
resumes). Neither holds a customer's values: a request names its subject by an HMAC only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id

DSR_KINDS = ("export", "erase")
DSR_SUBJECTS = ("customer", "conversation")
DSR_STATUSES = ("running", "done")
CUSTOMER_ID_LEN = 200


class LegalHold(HasCreatedAt, Base):
    """A hold on one conversation or on every conversation of a customer; active while not released."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        CheckConstraint("(conversation_id IS NULL) <> (customer_id IS NULL)", name="one_subject"),
        Index("ix_legal_holds_tenant_released", "tenant_id", "released_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # No foreign key: a hold names what must be kept, it is not data of the conversation.
    conversation_id: Mapped[str | None] = mapped_column(String(ID_LEN), default=None, index=True)
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID_LEN), default=None, index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    released_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)


class DsrRequest(HasCreatedAt, Base):
    """One data-subject request. ``subject_hash`` is an HMAC of (kind of subject, id) under the
    server's secret: the same request twice finds this row (idempotent, resumable) and the row says
    nothing about who the customer was once their data is gone."""

    __tablename__ = "dsr_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('export', 'erase')", name="kind"),
        CheckConstraint("subject_type IN ('customer', 'conversation')", name="subject_type"),
        CheckConstraint("status IN ('running', 'done')", name="status"),
        Index("ix_dsr_requests_tenant_subject", "tenant_id", "subject_hash"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")
    conversations_done: Mapped[int] = mapped_column(Integer, default=0)
    # what was erased / exported: table -> rows, and the hot copies (never values)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requested_by: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
