"""The hybrid retriever of one knowledge-base version: dense + BM25 candidates, fused, filtered, floored."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from retrieval.config import RetrievalConfig
from retrieval.fusion import Candidates, FusionParams, fuse
from retrieval.index.build import VIEWS
from retrieval.index.dense import DenseIndex
from retrieval.index.keyword import KeywordIndex
from retrieval.protocols import Embedder, Reranker
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord, Hit, SearchFilters, SearchResult


def keyword_text(chunk: ChunkRecord, config: RetrievalConfig) -> str:
    """What BM25 indexes for a chunk: its ``embed_text``, plus the cited answer of an FAQ pair when
    ``config.bm25_with_answer`` (answers add the bank's own wording, which customers often repeat)."""
    if config.bm25_with_answer and chunk.metadata.get("kind") == "faq" and chunk.text != chunk.embed_text:
        return f"{chunk.embed_text}\n{chunk.text}"
    return chunk.embed_text


def _resolved(setting: float, off: float, calibrated: Callable[[], float]) -> float:
    """``setting`` if > 0, ``off`` if < 0, else the embedder's calibrated value."""
    if setting > 0:
        return setting
    if setting < 0:
        return off
    return calibrated()


def resolve_floor(config: RetrievalConfig, embedder: Embedder) -> float:
    """``config.score_floor`` if set (> 0), the embedder's calibrated floor if 0, no floor if < 0."""

    def calibrated() -> float:  # imported only when needed
        from retrieval.embedders import default_floor

        return default_floor(embedder.name)

    return _resolved(config.score_floor, float("-inf"), calibrated)


def resolve_margin(config: RetrievalConfig, embedder: Embedder) -> float:
    """``config.score_margin`` if set (> 0), the embedder's calibrated margin if 0, none (inf) if < 0."""

    def calibrated() -> float:  # imported only when needed
        from retrieval.embedders import default_margin

        return default_margin(embedder.name)

    return _resolved(config.score_margin, float("inf"), calibrated)


def resolve_agreement_floor(config: RetrievalConfig, embedder: Embedder) -> float:
    """``config.agreement_floor`` if set (> 0), the embedder's calibrated one if 0, off (inf) if < 0."""

    def calibrated() -> float:  # imported only when needed
        from retrieval.embedders import default_agreement_floor

        return default_agreement_floor(embedder.name)

    return _resolved(config.agreement_floor, float("inf"), calibrated)


def fusion_params(config: RetrievalConfig) -> FusionParams:
    return FusionParams(
        method=config.fusion,
        dense_weight=config.dense_weight,
        bm25_weight=config.bm25_weight,
        rrf_k=config.rrf_k,
        gate_low=config.gate_low,
        gate_high=config.gate_high,
    )


class HybridRetriever:
    """``Retriever`` over one immutable KB version. Thread-safe; sync and CPU-bound.

    ``search`` returns at most ``k`` chunk hits, best first by fused score, all matching ``filters``.
    ``good_enough`` is True when there is a hit and either a top-k hit's dense similarity reaches ``floor``
    (``config.score_floor``, or the embedder's calibrated floor: e5 cosines bunch high) or the best dense
    candidate stands out from the pack by ``margin`` (``config.score_margin`` over the
    ``config.margin_rank``-th candidate; no margin evidence with fewer candidates), or both rankers agree
    on the best fused chunk (``agreed``). Raises
    ``DimensionMismatch`` if the embedder does not match the index.
    """

    def __init__(
        self,
        *,
        chunks: Sequence[ChunkRecord],
        dense: DenseIndex,
        keyword: KeywordIndex,
        embedder: Embedder,
        analyzer: KeywordAnalyzer,
        config: RetrievalConfig,
        version: str = "",
        reranker: Reranker | None = None,
        dense_ids: npt.NDArray[np.int64] | None = None,
    ) -> None:
        """``dense_ids[i]`` is chunk i's id (default: i); its vectors in ``dense`` have ids
        ``id * VIEWS + view`` (view 0: ``embed_text``, view 1: the FAQ answer view, when built). A derived
        version keeps its base's ids for unchanged chunks, so positions and ids can differ."""
        if dense.dim != embedder.dim:
            from retrieval.errors import DimensionMismatch

            raise DimensionMismatch(f"index dim {dense.dim} != embedder {embedder.name} dim {embedder.dim}")
        if keyword.size != len(chunks):
            raise ValueError(f"keyword index has {keyword.size} documents for {len(chunks)} chunks")
        self.chunks = list(chunks)
        self.dense = dense
        self.keyword = keyword
        self.embedder = embedder
        self.analyzer = analyzer
        self.config = config
        self.version = version
        self.reranker = reranker
        self.params = fusion_params(config)
        self.floor = resolve_floor(config, embedder)
        self.margin = resolve_margin(config, embedder)
        self.agreement_floor = resolve_agreement_floor(config, embedder)
        n = len(self.chunks)
        self.dense_ids = (
            np.arange(n, dtype=np.int64) if dense_ids is None else np.asarray(dense_ids, np.int64)
        )
        if len(self.dense_ids) != n:
            raise ValueError("dense_ids must name one dense id per chunk")
        identity = bool(np.array_equal(self.dense_ids, np.arange(n)))
        self._pos_of: dict[int, int] | None = (
            None if identity else {int(d): p for p, d in enumerate(self.dense_ids.tolist())}
        )
        self._postings: dict[tuple[str, str], dict[str, npt.NDArray[np.int64]]] = {}
        self._tokens: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def use_floor(self, floor: float, margin: float | None = None) -> None:
        """Test the version's own floor (and margin) from now on (``retrieval.calibration``, stored with
        the version when it was published) instead of the configured or embedder's default ones."""
        self.floor = float(floor)
        if margin is not None:
            self.margin = float(margin)

    # ------------------------------------------------------------------ filters
    def _allowed(self, filters: SearchFilters | None) -> npt.NDArray[np.int64] | None:
        if filters is None:
            return None
        conds = [(("meta", k), v) for k, v in filters.metadata.items()]
        if filters.collection is not None:
            conds.append((("meta", "collection"), filters.collection))
        if filters.lang is not None:
            conds.append((("lang", ""), filters.lang))
        if not conds:
            return None
        allowed: npt.NDArray[np.int64] | None = None
        for field, value in conds:
            ids = self._posting(field).get(value, np.zeros(0, np.int64))
            allowed = ids if allowed is None else np.intersect1d(allowed, ids, assume_unique=True)
        return allowed

    def _posting(self, field: tuple[str, str]) -> dict[str, npt.NDArray[np.int64]]:
        with self._lock:
            cached = self._postings.get(field)
            if cached is not None:
                return cached
            groups: dict[str, list[int]] = {}
            for i, c in enumerate(self.chunks):
                value = c.lang if field[0] == "lang" else c.metadata.get(field[1])
                if value is not None:
                    groups.setdefault(value, []).append(i)
            built = {v: np.asarray(ids, np.int64) for v, ids in groups.items()}
            self._postings[field] = built
            return built

    def _doc_tokens(self, i: int) -> frozenset[str]:
        with self._lock:
            hit = self._tokens.get(i)
            if hit is not None:
                self._tokens.move_to_end(i)
                return hit
        toks = frozenset(self.analyzer.analyze(keyword_text(self.chunks[i], self.config)))
        with self._lock:
            self._tokens[i] = toks
            if len(self._tokens) > 4096:
                self._tokens.popitem(last=False)
        return toks

    # ------------------------------------------------------------------ search
    def candidates(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        query_vector: npt.NDArray[np.float32] | None = None,
    ) -> tuple[Candidates, npt.NDArray[np.float32]]:
        """Both candidate lists (``config.candidates`` each) and the query vector."""
        allowed = self._allowed(filters)
        n = self.config.candidates
        qv = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
        if allowed is not None and len(allowed) == 0:
            empty = np.zeros(0, np.int64)
            return Candidates(empty, np.zeros(0, np.float32), empty, np.zeros(0, np.float32), 0.0), qv
        vector_allowed = None
        if allowed is not None:
            base = self.dense_ids[allowed] * VIEWS
            vector_allowed = np.concatenate([base + v for v in range(VIEWS)])
        v_scores, v_ids = self.dense.search(qv, n * VIEWS, allowed=vector_allowed)
        d_ids, d_scores = self._chunks_of(v_ids, v_scores, n)
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.chunks), np.float32)
            mask[allowed] = 1.0
        kw = self.keyword.search(self.analyzer.analyze(query), n, mask=mask, doc_tokens=self._doc_tokens)
        return Candidates(d_ids, d_scores, kw.ids, kw.scores, kw.coverage), qv

    def _chunks_of(
        self, vector_ids: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], n: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Vector hits (best first) -> chunk positions, each once at its best view's score; at most ``n``."""
        out_ids: list[int] = []
        out_scores: list[float] = []
        seen: set[int] = set()
        for vid, sc in zip((vector_ids // VIEWS).tolist(), scores.tolist(), strict=True):
            pos = vid if self._pos_of is None else self._pos_of[vid]
            if pos not in seen:
                seen.add(pos)
                out_ids.append(pos)
                out_scores.append(sc)
                if len(out_ids) == n:
                    break
        return np.asarray(out_ids, dtype=np.int64), np.asarray(out_scores, dtype=np.float32)

    def dense_similarity(
        self, positions: npt.NDArray[np.int64], qv: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Cosine of the query with each chunk (its best view)."""
        out = np.full(len(positions), -1.0, dtype=np.float32)
        for row, pos in enumerate(positions.tolist()):
            base = int(self.dense_ids[pos]) * VIEWS
            vids = np.asarray([base + v for v in range(VIEWS) if self.dense.contains(base + v)], np.int64)
            if len(vids):
                out[row] = float((self.dense.vectors(vids) @ qv).max())
        return out

    def confidence(self, fused_ids: npt.NDArray[np.int64], qv: npt.NDArray[np.float32]) -> float:
        """The best dense similarity among the top ``config.top_k`` fused chunks (what the floor tests)."""
        if len(fused_ids) == 0:
            return float("-inf")
        return float(self.dense_similarity(fused_ids[: self.config.top_k], qv).max())

    def dense_margin(self, cands: Candidates) -> float:
        """Best dense candidate's similarity minus the ``config.margin_rank``-th one's (-inf if fewer)."""
        rank = self.config.margin_rank
        if len(cands.dense_scores) < rank:
            return float("-inf")
        return float(cands.dense_scores[0] - cands.dense_scores[rank - 1])

    def agreed(
        self, cands: Candidates, fused_ids: npt.NDArray[np.int64], qv: npt.NDArray[np.float32]
    ) -> bool:
        """The best fused chunk is in the first ``config.agreement_rank`` of both candidate lists, the
        keyword side covers ``config.agreement_coverage`` of the question, and its dense similarity
        reaches the agreement floor: two rankers that read the question differently found one passage."""
        if len(fused_ids) == 0 or self.agreement_floor == float("inf"):
            return False
        rank = self.config.agreement_rank
        best = int(fused_ids[0])
        if best not in cands.dense_ids[:rank].tolist() or best not in cands.bm25_ids[:rank].tolist():
            return False
        if cands.coverage < self.config.agreement_coverage:
            return False
        return float(self.dense_similarity(fused_ids[:1], qv)[0]) >= self.agreement_floor

    def good_enough(
        self, cands: Candidates, fused_ids: npt.NDArray[np.int64], qv: npt.NDArray[np.float32]
    ) -> bool:
        """What ``search`` reports: a hit, and the floor reached, the margin shown or the rankers agreed."""
        if len(fused_ids) == 0:
            return False
        return (
            self.confidence(fused_ids, qv) >= self.floor
            or self.dense_margin(cands) >= self.margin
            or self.agreed(cands, fused_ids, qv)
        )

    def search(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> SearchResult:
        if k < 1:
            raise ValueError("k must be >= 1")
        cands, qv = self.candidates(query, filters)
        fused = fuse(cands, self.params)
        depth = max(k, self.config.rerank_depth) if self.reranker is not None else k
        top = fused.ids[:depth]
        hits = self.hits_for(top, fused.scores[:depth], cands, qv)
        if self.reranker is not None and hits:
            hits = self.reranker.rerank(query, hits)
        hits = hits[:k]
        good = bool(hits) and self.good_enough(cands, fused.ids, qv)
        return SearchResult(hits=hits, good_enough=good, version=self.version)

    def hits_for(
        self,
        ids: npt.NDArray[np.int64],
        scores: npt.NDArray[np.float64],
        cands: Candidates,
        qv: npt.NDArray[np.float32],
    ) -> list[Hit]:
        """``Hit``s of fused chunk positions, with both sides' scores and ranks (for hit-testing)."""
        d_rank = {int(i): r for r, i in enumerate(cands.dense_ids.tolist(), start=1)}
        b_rank = {int(i): r for r, i in enumerate(cands.bm25_ids.tolist(), start=1)}
        b_score = dict(zip(cands.bm25_ids.tolist(), cands.bm25_scores.tolist(), strict=True))
        cos = self.dense_similarity(ids, qv)
        return [
            Hit(
                chunk=self.chunks[int(i)],
                score=float(s),
                dense_score=float(c),
                bm25_score=b_score.get(int(i)),
                dense_rank=d_rank.get(int(i)),
                bm25_rank=b_rank.get(int(i)),
            )
            for i, s, c in zip(ids.tolist(), scores.tolist(), cos.tolist(), strict=True)
        ]
