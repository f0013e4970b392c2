"""Running a knowledge base and its queries through retrieval systems and scoring them.

Systems compared in one run (same documents, same queries, same embedder):
- ``hybrid``: ours, as configured (dense + BM25, gated fusion);
- ``dense`` / ``bm25``: each side of ours alone (same chunks), to show fusion never loses to either;
- ``langchain_dense``: what a LangChain user would build: ``RecursiveCharacterTextSplitter()`` with its
  defaults over each document's text and LangChain's ``FAISS`` vector store with the same embedder.
A document's rank is the rank of its best chunk.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from retrieval.chunking import Chunker
from retrieval.config import RetrievalConfig
from retrieval.evaluation.data import EvalDocument, EvalQuery, LoadedKB
from retrieval.evaluation.metrics import QueryOutcome, summarize
from retrieval.fusion import FusionParams, fuse
from retrieval.hybrid import HybridRetriever, fusion_params
from retrieval.index.build import build_dense, build_keyword, embed_chunks
from retrieval.protocols import Embedder, Reranker
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord

logger = logging.getLogger(__name__)
DEPTH = 10  # documents ranked per query


@dataclass
class SystemResult:
    name: str
    outcomes: list[QueryOutcome]
    metrics: dict[str, float | int] = field(default_factory=dict)


def chunk_kb(kb: LoadedKB, config: RetrievalConfig, *, faq_context: bool | None = None) -> list[ChunkRecord]:
    chunker = Chunker(config, faq_context=faq_context)
    chunks: list[ChunkRecord] = []
    seen: set[str] = set()
    for doc_id, doc in kb.documents:
        if doc.content_hash in seen:  # identical content is indexed once (as the pipeline does)
            continue
        seen.add(doc.content_hash)
        chunks.extend(chunker.chunk(doc, doc_id))
    return chunks


def build_retriever(
    chunks: Sequence[ChunkRecord],
    embedder: Embedder,
    analyzer: KeywordAnalyzer,
    config: RetrievalConfig,
    *,
    log: Callable[[str], None] = logger.info,
) -> HybridRetriever:
    analyzer.warm_up()  # idempotent
    t0 = time.perf_counter()
    ids, vectors = embed_chunks(chunks, embedder, config, batch=256)
    t1 = time.perf_counter()
    retriever = HybridRetriever(
        chunks=chunks,
        dense=build_dense(vectors, config, ids),
        keyword=build_keyword(chunks, analyzer, config),
        embedder=embedder,
        analyzer=analyzer,
        config=config,
        version="eval",
    )
    log(f"indexed {len(chunks)} chunks: embed {t1 - t0:.1f}s, index {time.perf_counter() - t1:.1f}s")
    return retriever


def _doc_ranking(chunk_ids: Sequence[int], chunks: Sequence[ChunkRecord]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for i in chunk_ids:
        out.setdefault(chunks[i].document_id, None)
        if len(out) >= DEPTH:
            break
    return tuple(out)


def evaluate_methods(
    retriever: HybridRetriever,
    queries: Sequence[EvalQuery],
    methods: Mapping[str, FusionParams],
) -> dict[str, SystemResult]:
    """Each fusion method over the same candidates (one embedding and one BM25 search per query).

    ``answered`` applies the retriever's configured floor to the best hit's dense similarity, as
    ``HybridRetriever.search`` does.
    """
    qvecs = retriever.embedder.embed_queries([q.query for q in queries])
    results = {name: SystemResult(name, []) for name in methods}
    for q, qv in zip(queries, qvecs, strict=True):
        cands, _ = retriever.candidates(q.query, query_vector=qv)
        for name, params in methods.items():
            fused = fuse(cands, params)
            ranked = _doc_ranking(fused.ids.tolist(), retriever.chunks)
            answered = retriever.good_enough(cands, fused.ids, qv)
            results[name].outcomes.append(QueryOutcome(q.id, frozenset(q.relevant), ranked, answered))
    for r in results.values():
        r.metrics = summarize(r.outcomes)
    return results


def standard_methods(config: RetrievalConfig) -> dict[str, FusionParams]:
    ours = fusion_params(config)
    return {
        "bm25": replace(ours, method="bm25"),
        "dense": replace(ours, method="dense"),
        "hybrid": ours,
    }


def langchain_dense(
    docs: Sequence[EvalDocument], queries: Sequence[EvalQuery], embedder: Embedder
) -> SystemResult:
    """LangChain's FAISS vector store over default-split documents, the same embedder, top-k by similarity."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from retrieval.langchain_adapter import EmbedderEmbeddings

    splitter = RecursiveCharacterTextSplitter()
    lc_docs = splitter.split_documents(
        [Document(page_content=_as_text(d), metadata={"doc_id": d.id}) for d in docs]
    )
    store = FAISS.from_documents(lc_docs, EmbedderEmbeddings(embedder))
    qvecs = embedder.embed_queries([q.query for q in queries])
    outcomes = []
    for q, qv in zip(queries, qvecs, strict=True):
        found = store.similarity_search_with_score_by_vector(qv.tolist(), k=50)
        ranked: dict[str, None] = {}
        for doc, _ in found:
            ranked.setdefault(str(doc.metadata["doc_id"]), None)
        outcomes.append(QueryOutcome(q.id, frozenset(q.relevant), tuple(ranked)[:DEPTH], True))
    return SystemResult("langchain_dense", outcomes, summarize(outcomes))


def _as_text(d: EvalDocument) -> str:
    parts = [d.title] if d.title else []
    if d.text:
        parts.append(d.text)
    parts.extend(f"{q}\n{a}" if a else q for q, a in d.faq)
    return "\n\n".join(parts)


def fmt(x: float | int) -> str:
    if isinstance(x, int):
        return str(x)
    return "—" if math.isnan(x) else f"{x:.3f}"


def evaluate_search(retriever: HybridRetriever, queries: Sequence[EvalQuery]) -> SystemResult:
    """The production path: ``search()`` per query (embedding, both retrievers, fusion, floor)."""
    outcomes = []
    for q in queries:
        res = retriever.search(q.query, k=retriever.config.candidates)
        ranked: dict[str, None] = {}
        for h in res.hits:
            ranked.setdefault(h.chunk.document_id, None)
        outcomes.append(QueryOutcome(q.id, frozenset(q.relevant), tuple(ranked)[:DEPTH], res.good_enough))
    return SystemResult("hybrid", outcomes, summarize(outcomes))


@dataclass
class SuiteResult:
    dataset: str
    note: str
    documents: int
    chunks: int
    queries: int
    systems: dict[str, SystemResult]
    seconds: float


def run_suite_dataset(
    name: str,
    documents: Sequence[EvalDocument],
    queries: Sequence[EvalQuery],
    embedder: Embedder,
    analyzer: KeywordAnalyzer,
    config: RetrievalConfig,
    *,
    note: str = "",
    log: Callable[[str], None] = logger.info,
    reranker: Reranker | None = None,
) -> SuiteResult:
    """BM25 alone, dense alone, LangChain's dense baseline and our hybrid on one dataset, same run."""
    from retrieval.evaluation.data import parse_documents

    t0 = time.perf_counter()
    kb = parse_documents(documents, config)
    chunks = chunk_kb(kb, config, faq_context=config.faq_context)
    log(f"{name}: {len(kb.documents)} documents -> {len(chunks)} chunks, {len(queries)} queries")
    retriever = build_retriever(chunks, embedder, analyzer, config, log=log)
    systems = evaluate_methods(retriever, queries, standard_methods(config))
    if reranker is not None:
        log(f"{name}: reranking")
        systems["hybrid+rerank"] = evaluate_reranked(retriever, queries, reranker, "hybrid+rerank")
    log(f"{name}: langchain baseline")
    systems["langchain_dense"] = langchain_dense(documents, queries, embedder)
    return SuiteResult(name, note, len(kb.documents), len(chunks), len(queries), systems,
                       time.perf_counter() - t0)  # fmt: skip


def evaluate_reranked(
    retriever: HybridRetriever, queries: Sequence[EvalQuery], reranker: Reranker, name: str
) -> SystemResult:
    """Our hybrid ranking with ``reranker`` applied to its top ``config.rerank_depth`` hits."""
    qvecs = retriever.embedder.embed_queries([q.query for q in queries])
    outcomes = []
    for q, qv in zip(queries, qvecs, strict=True):
        cands, _ = retriever.candidates(q.query, query_vector=qv)
        fused = fuse(cands, retriever.params)
        depth = retriever.config.rerank_depth
        hits = retriever.hits_for(fused.ids[:depth], fused.scores[:depth], cands, qv)
        order = [h.chunk for h in reranker.rerank(q.query, hits)]
        positions = {id(c): i for i, c in enumerate(retriever.chunks)}
        ranked = _doc_ranking(
            [positions[id(c)] for c in order] + fused.ids[depth:].tolist(), retriever.chunks
        )
        answered = retriever.good_enough(cands, fused.ids, qv)
        outcomes.append(QueryOutcome(q.id, frozenset(q.relevant), ranked, answered))
    return SystemResult(name, outcomes, summarize(outcomes))
