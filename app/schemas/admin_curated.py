"""Schemas of the admin console's curated-answer approvals."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.agent_desk import CuratedPublic


class CuratedApprove(BaseModel):
    """Approve, optionally with the admin's edits of the agent's text (scrubbed of personal data again)."""

    question: str | None = Field(default=None, max_length=500)
    answer: str | None = Field(default=None, max_length=4000)


class CuratedApproved(CuratedPublic):
    job_id: str  # the ingestion job adding the FAQ entry to the draft (follow it at /admin/kb/jobs/{id})
    source: str  # the entry's document name in the knowledge base
    pii_removed: dict[str, int]  # removed from the admin's edits
