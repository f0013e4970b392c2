"""Plain data that crosses the retrieval seam. No FAISS or model types leave this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """One indexed unit.

    ``embed_text`` is what is embedded and keyword-indexed (for an FAQ pair: the question);
    ``text`` is what is cited and shown (for an FAQ pair: question and answer).
    ``metadata`` holds strings only: source, heading_path, page, section, product, collection...
    """

    chunk_id: str
    document_id: str
    text: str
    embed_text: str
    title: str = ""
    lang: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Always scoped to one tenant KB by the index itself; these narrow further."""

    collection: str | None = None
    lang: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: ChunkRecord
    score: float  # fused score, the one ranks are sorted by (descending)
    dense_score: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    # False when the best hit is below the configured floor: the policy should not answer from it.
    good_enough: bool
    version: str = ""
