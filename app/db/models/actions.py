"""The tenant's action catalogue: what the assistant may do for a customer through the bank's API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base, HasCreatedAt, new_id, utcnow

VERIFICATIONS = ("none", "verified", "step_up")


class ActionDef(HasCreatedAt, Base):
    """One action: its description (zh/en), parameters (a JSON schema), the verification it needs
    (``none`` | ``verified`` | ``step_up``), whether the customer must confirm a read-back, the bank call
    (``{"method", "url", "idempotent"}``; the URL template names parameters and ``{customer_id}``), the
    phrases that ask for it, and the zh/en templates that turn the bank's answer into the reply."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("verification IN ('none', 'verified', 'step_up')", name="verification"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    verification: Mapped[str] = mapped_column(String(16), default="verified")
    confirm: Mapped[bool] = mapped_column(Boolean, default=True)
    handoff_after: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    http: Mapped[dict[str, Any]] = mapped_column(default=dict)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    templates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
