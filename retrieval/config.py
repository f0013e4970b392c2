"""Configuration of the retrieval layer (nested under ``Settings.retrieval``; env ``RETRIEVAL__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RetrievalConfig(BaseModel):
    """Knobs of ingestion, embedding, indexing and search. Defaults are the measured defaults."""

    embedder: Literal["multilingual-e5-small", "all-minilm-l6-v2"] = "multilingual-e5-small"
    top_k: int = Field(default=5, ge=1, le=50)
    # Fused score below this => "nothing good enough" for the dialog policy.
    score_floor: float = 0.0
    # Above this many vectors an index is built as HNSW instead of exact inner product.
    ann_threshold: int = Field(default=20_000, ge=1)
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_pdf_pages: int = Field(default=500, ge=1)
    chunk_size_tokens: int = Field(default=350, ge=32)
    chunk_overlap_tokens: int = Field(default=40, ge=0)
