"""Settings of the knowledge connectors (nested under ``Settings.connectors``; env ``CONNECTORS__*``).

Page size and parsing limits are retrieval's (``RETRIEVAL__MAX_FILE_BYTES`` and the loaders' limits), the
same as uploads.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class ConnectorsConfig(BaseModel):
    user_agent: str = Field(default="kefu-sync/1.0", min_length=1, max_length=200)
    # One request (connect + headers + body) at most this long.
    request_timeout_s: float = Field(default=15.0, gt=0, le=300)
    max_redirects: int = Field(default=5, ge=0, le=20)
    # A website source's pause between two requests unless it sets its own (robots.txt Crawl-delay wins
    # when longer).
    default_delay_s: float = Field(default=1.0, ge=0, le=60)
    default_max_pages: int = Field(default=200, ge=1)
    # The largest page cap a source may ask for.
    max_pages_limit: int = Field(default=5000, ge=1)
    # Sitemaps read per sync (an index and its children).
    max_sitemaps: int = Field(default=50, ge=1)
    # Files a folder source may hold.
    max_files: int = Field(default=5000, ge=1)
    # Folders the admin API may name as folder sources (the folder and what is under it). Empty: folder
    # sources are added by the operator only (``kefu source add folder``).
    folder_roots: list[Path] = Field(default_factory=list)
    # How often the app (in-process jobs) or the worker looks for sources whose schedule is due (0: never).
    schedule_check_s: float = Field(default=60.0, ge=0)
