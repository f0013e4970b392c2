"""Plain data that crosses the retrieval seam. No FAISS or model types leave this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "text", "table_row", "faq"]
Stage = Literal["parsing", "embedding", "indexing", "done"]


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
    """Always scoped to one tenant KB by the index itself; these narrow further.

    ``collection`` matches ``metadata["collection"]``; ``lang`` matches the chunk's ``lang``; every
    ``metadata`` pair must match exactly. Empty filters match everything.
    """

    collection: str | None = None
    lang: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def matches(self, chunk: ChunkRecord) -> bool:
        if self.collection is not None and chunk.metadata.get("collection") != self.collection:
            return False
        if self.lang is not None and chunk.lang != self.lang:
            return False
        return all(chunk.metadata.get(k) == v for k, v in self.metadata.items())


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: ChunkRecord
    score: float  # fused score, the one ranks are sorted by (descending)
    dense_score: float | None = None  # cosine similarity of query and chunk (None: not a dense candidate)
    bm25_score: float | None = None  # raw BM25 score (None: no keyword match)
    dense_rank: int | None = None  # 1-based rank in the dense list, for hit-testing
    bm25_rank: int | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    # False when the best hit is below the configured floor: the policy should not answer from it.
    good_enough: bool
    version: str = ""


# ---------------------------------------------------------------- documents (loaders -> chunking)


@dataclass(frozen=True, slots=True)
class Block:
    """A structural piece of a document, in reading order.

    ``heading``: ``text`` is the heading, ``level`` 1..6. ``text``: a paragraph or list item.
    ``table_row``: one row rendered as "column: value; ..." (header repeated, so a row stands alone).
    ``faq``: ``question`` and ``text`` (the answer); ``metadata`` holds the row's other columns.
    """

    kind: BlockKind
    text: str
    level: int = 0
    question: str = ""
    page: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """What a loader extracted from one file: structure, language and hashes; nothing is indexed yet.

    ``content_hash`` is the sha256 of the normalised extracted text: two files with the same content (even
    in different formats) share it, and the pipeline indexes such content once. ``file_sha256`` hashes the
    raw bytes (empty for documents that never were files).
    """

    source: str
    media_type: str
    title: str
    lang: str
    blocks: tuple[Block, ...]
    content_hash: str
    file_sha256: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        parts = []
        for b in self.blocks:
            parts.append(f"{b.question}\n{b.text}" if b.kind == "faq" else b.text)
        return "\n".join(parts)


# ---------------------------------------------------------------- ingestion progress


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """A progress report of one ingestion run (monotonic ``percent``; ``stage`` ends with ``done``)."""

    stage: Stage
    documents_done: int
    documents_total: int
    chunks_done: int
    chunks_total: int
    percent: float
