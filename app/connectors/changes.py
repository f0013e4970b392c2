"""What a scan of a source found, item by item: the shared vocabulary of ``web``, ``folder`` and ``sync``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["added", "changed", "unchanged", "removed", "failed"]


@dataclass(frozen=True, slots=True)
class Known:
    """What earlier syncs recorded of one page or file."""

    key: str
    document_id: str | None
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    links: tuple[str, ...] = ()
    in_kb: bool = False  # its document is in the draft or the active version


@dataclass(frozen=True, slots=True)
class Change:
    """One page or file after the scan. ``data`` (added and changed only) is what the loader parses;
    ``name`` is the document's source (the page URL, or the folder source's name / the file's path)."""

    key: str
    outcome: Outcome
    name: str = ""
    data: bytes = b""
    mime_type: str = ""
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    links: tuple[str, ...] = ()
    code: str = ""  # failed / removed: why (a stable code)
    detail: str = ""


@dataclass(slots=True)
class Scan:
    changes: list[Change] = field(default_factory=list)
    capped: bool = False  # the page cap stopped the crawl: known pages not reached were kept as they are
    notes: list[str] = field(default_factory=list)


# (items seen so far, expected total or 0 when unknown, current key)
ScanProgress = Callable[[int, int, str], Awaitable[None]]
