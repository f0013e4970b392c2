"""Configuration of the admin console (nested under ``Settings.admin``; env ``ADMIN__*``).

The per-file size limit is retrieval's (``RETRIEVAL__MAX_FILE_BYTES``): the loaders enforce it too.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class AdminConfig(BaseModel):
    # Files one upload request may carry; the request body is cut off past files x the per-file limit.
    upload_max_files: int = Field(default=20, ge=1, le=500)
    # Analytics: an answered conversation with no further customer message within this window counts as
    # resolved ("assumed"); the page may ask for another window.
    resolution_window_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    # Analytics: at most this many bot messages feed the per-stage latency percentiles of a period.
    latency_sample: int = Field(default=20_000, ge=100, le=1_000_000)
