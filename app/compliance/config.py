"""Compliance settings (nested under ``Settings.compliance``; env ``COMPLIANCE__*``) and the per-tenant
retention policy, stored in ``tenants.settings["retention"]`` and edited by the tenant's admins.

A period is in days. Conversations (messages, dialog events) are kept ``transcripts_days`` after their
last activity; their vault (the customer's clear values) and hot state ``vault_days``. Feedback and
handoff packages cannot outlive the conversation they belong to, so their periods are at most
``transcripts_days``. Audit events are kept longest: they are the record of who did what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RETENTION_SETTING = "retention"
DISCLOSURE_SETTING = "disclosure"
MAX_DAYS = 36_500


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vault_days: int = Field(default=7, ge=1, le=MAX_DAYS)
    transcripts_days: int = Field(default=180, ge=1, le=MAX_DAYS)
    feedback_days: int = Field(default=180, ge=1, le=MAX_DAYS)
    handoff_packages_days: int = Field(default=180, ge=1, le=MAX_DAYS)
    uploaded_originals_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    job_records_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    audit_days: int = Field(default=5 * 365, ge=1, le=MAX_DAYS)

    @model_validator(mode="after")
    def _within_transcripts(self) -> RetentionPolicy:
        for name in ("vault_days", "feedback_days", "handoff_packages_days"):
            if getattr(self, name) > self.transcripts_days:
                raise ValueError(
                    f"{name} ({getattr(self, name)}) cannot exceed transcripts_days "
                    f"({self.transcripts_days}): it is part of the conversation"
                )
        return self


def tenant_policy(tenant_settings: Mapping[str, Any] | None, default: RetentionPolicy) -> RetentionPolicy:
    """The tenant's policy: its saved values over the deployment's defaults. A saved policy that no
    longer validates (defaults changed) falls back to the defaults field by field it cannot keep."""
    saved = (tenant_settings or {}).get(RETENTION_SETTING) or {}
    merged = {**default.model_dump(), **{k: v for k, v in saved.items() if k in RetentionPolicy.model_fields}}
    try:
        return RetentionPolicy.model_validate(merged)
    except ValueError:
        return default


class DisclosureText(BaseModel):
    """What the widget says first: that the customer talks to an AI assistant, and how to reach a person."""

    model_config = ConfigDict(extra="forbid")

    zh: str = Field(
        default="您好，我是AI智能助手，回答可能有误，请以银行正式渠道为准。如需人工服务，请点击“转人工”或直接告诉我。",
        min_length=1,
        max_length=500,
    )
    en: str = Field(
        default=(
            "Hi, I am an AI assistant and my answers may contain mistakes. To talk to a person, press "
            '"Talk to a person" or just ask me.'
        ),
        min_length=1,
        max_length=500,
    )

    def text(self, lang: Literal["zh", "en"] | str) -> str:
        return self.en if lang == "en" else self.zh


def tenant_disclosure(tenant_settings: Mapping[str, Any] | None, default: DisclosureText) -> DisclosureText:
    saved = (tenant_settings or {}).get(DISCLOSURE_SETTING) or {}
    try:
        return DisclosureText.model_validate({**default.model_dump(), **saved})
    except ValueError:
        return default


class ComplianceConfig(BaseModel):
    # The deployment's default retention policy (COMPLIANCE__RETENTION__TRANSCRIPTS_DAYS=365, ...).
    retention: RetentionPolicy = RetentionPolicy()
    # The default AI disclosure of the widget (COMPLIANCE__DISCLOSURE__ZH / __EN).
    disclosure: DisclosureText = DisclosureText()
    # In-process purge (no Redis): every this many seconds in the app; 0 = never on its own.
    purge_interval_s: float = Field(default=24 * 3600.0, ge=0)
    # arq cron purge (with Redis, in `kefu worker`): daily at this UTC hour and minute.
    purge_hour: int = Field(default=3, ge=0, le=23)
    purge_minute: int = Field(default=17, ge=0, le=59)
    # Conversations purged or erased per transaction.
    batch_size: int = Field(default=500, ge=1, le=10_000)
