"""Configuration of the privacy layer (nested under ``Settings.privacy``; env ``PRIVACY__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PrivacyConfig(BaseModel):
    """PII detection and vault knobs. The vault key itself is a secret on ``Settings``."""

    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # What happens to PII found in an uploaded KB document.
    ingestion_policy: Literal["flag", "mask", "reject"] = "mask"
    vault_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
