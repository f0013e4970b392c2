"""Configuration of the dialog layer (nested under ``Settings.dialog``; env ``DIALOG__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DialogConfig(BaseModel):
    """Tracker, policy and store knobs. Per-tenant overrides live in the database."""

    state_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    history_turns: int = Field(default=6, ge=0, le=50)
    max_failed_retrievals: int = Field(default=2, ge=1)
    intent_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
