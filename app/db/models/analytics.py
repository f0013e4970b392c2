"""What the admin analytics keep of conversations that are gone (purged or erased): per tenant and UTC
hour of the conversations' start, counts and sums only (``metric``, ``key`` -> ``value``), never text,
ids or customers. ``app.analytics.aggregates`` writes them; ``app.analytics.report`` adds them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import ID_LEN, Base


class AnalyticsAggregate(Base):
    __tablename__ = "analytics_aggregates"

    tenant_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, the start of the hour
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a status, reason code, rating...
    value: Mapped[float] = mapped_column(Float)
