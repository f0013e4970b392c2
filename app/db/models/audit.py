"""Audit trail: who did what to which object, with entity types and counts but never PII values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt


class AuditEvent(HasCreatedAt, Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), default=None)
    actor_type: Mapped[str] = mapped_column(String(16))  # user | api_key | widget | system
    actor_id: Mapped[str | None] = mapped_column(String(ID_LEN), default=None)
    action: Mapped[str] = mapped_column(String(64))  # e.g. user.login, api_key.create, pii.masked
    target_type: Mapped[str | None] = mapped_column(String(32), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
