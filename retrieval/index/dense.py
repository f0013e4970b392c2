"""Dense vector index: FAISS inner product (vectors are L2-normalised, so scores are cosines).

Exact ``IndexFlatIP`` up to ``ann_threshold`` vectors, ``IndexHNSWFlat`` (inner product) above it, both
behind ``IndexIDMap2`` so vectors carry our int64 ids. Deletions: the flat index removes ids for real;
HNSW cannot remove nodes, so deleted ids become tombstones excluded at search time through an
``IDSelector`` (``compact()`` rebuilds without them). Searches may be restricted to an allowed id set
(metadata filters): small sets are scored exactly over just those vectors, large ones through a selector.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
import numpy.typing as npt

from retrieval.errors import DimensionMismatch, IndexUnavailable

IndexKind = Literal["flat", "hnsw"]
Ids = npt.NDArray[np.int64]
_EXACT_SUBSET = 4096  # filtered searches over at most this many ids are scored exactly


class DenseIndex:
    """Thread-safe for concurrent searches; writes (add/remove) take a lock."""

    def __init__(self, index: Any, dim: int, kind: IndexKind, *, ef_search: int = 128) -> None:
        self._index = index
        self.dim = dim
        self.kind: IndexKind = kind
        self._ef_search = ef_search
        self._tombstones: set[int] = set()
        self._live: set[int] = set(faiss.vector_to_array(index.id_map).tolist()) if index.ntotal else set()
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls, dim: int, expected_size: int, *, ann_threshold: int, m: int = 32, ef_construction: int = 200,
        ef_search: int = 128,
    ) -> DenseIndex:  # fmt: skip
        """An empty index of the kind that suits ``expected_size`` vectors."""
        if expected_size > ann_threshold:
            hnsw = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = ef_construction
            hnsw.hnsw.efSearch = ef_search
            return cls(faiss.IndexIDMap2(hnsw), dim, "hnsw", ef_search=ef_search)
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), dim, "flat", ef_search=ef_search)

    @property
    def size(self) -> int:
        return len(self._live)

    def add(self, ids: Ids, vectors: npt.NDArray[np.float32]) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise DimensionMismatch(f"vectors of shape {vectors.shape} do not fit an index of dim {self.dim}")
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        with self._lock:
            new = [int(i) for i in ids]
            if self._live.intersection(new) or len(set(new)) != len(new):
                raise ValueError("ids must be new and unique (remove an id before re-adding it)")
            self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
            self._live.update(new)

    def remove(self, ids: Iterable[int]) -> None:
        ids = [i for i in (int(x) for x in ids) if i in self._live]
        with self._lock:
            self._live.difference_update(ids)
            if self.kind == "flat":
                self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            else:
                self._tombstones.update(ids)

    def search(
        self, query: npt.NDArray[np.float32], k: int, *, allowed: Ids | None = None
    ) -> tuple[npt.NDArray[np.float32], Ids]:
        """Top ``k`` (scores, ids), best first; fewer when fewer vectors qualify. ``allowed``: only these ids."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise DimensionMismatch(f"query of dim {q.shape[1]} for an index of dim {self.dim}")
        if k <= 0 or self._index.ntotal == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if allowed is not None:
            allowed = np.asarray([i for i in allowed.tolist() if i in self._live], dtype=np.int64)
            if len(allowed) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            if len(allowed) <= _EXACT_SUBSET:
                return self._exact_subset(q[0], k, allowed)
            sel: Any = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        elif self._tombstones:
            sel = faiss.IDSelectorNot(
                faiss.IDSelectorBatch(np.fromiter(self._tombstones, np.int64, len(self._tombstones)))
            )
        else:
            sel = None
        params = self._params(sel)
        scores, ids = (
            self._index.search(q, k, params=params) if params is not None else self._index.search(q, k)
        )
        keep = ids[0] >= 0
        return scores[0][keep].astype(np.float32), ids[0][keep].astype(np.int64)

    def _params(self, sel: Any) -> Any:
        if self.kind == "hnsw":
            p = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            p.efSearch = self._ef_search
            if sel is not None:
                p.sel = sel
            return p
        if sel is None:
            return None
        p = faiss.SearchParameters()
        p.sel = sel
        return p

    def _exact_subset(self, q: npt.NDArray[np.float32], k: int, allowed: Ids) -> tuple[Any, Ids]:
        vecs = self.vectors(allowed)
        scores = vecs @ q
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), allowed[top].astype(np.int64)

    def contains(self, vector_id: int) -> bool:
        return vector_id in self._live

    def vectors(self, ids: Ids) -> npt.NDArray[np.float32]:
        """The stored vectors of ``ids`` (in that order)."""
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for row, i in enumerate(ids):
            out[row] = self._index.reconstruct(int(i))
        return out

    def ids(self) -> Ids:
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return (
            ids[np.isin(ids, np.fromiter(self._live, np.int64, len(self._live)))] if self._tombstones else ids
        )

    def compact(self, ann_threshold: int) -> DenseIndex:
        """A fresh index of the live vectors (drops tombstones; re-picks flat vs HNSW by size)."""
        ids = self.ids()
        fresh = DenseIndex.create(self.dim, len(ids), ann_threshold=ann_threshold, ef_search=self._ef_search)
        if len(ids):
            fresh.add(ids, self.vectors(ids))
        return fresh

    @property
    def tombstones(self) -> Ids:
        return np.asarray(sorted(self._tombstones), dtype=np.int64)

    def save(self, path: Path) -> None:
        """Writes the FAISS index; HNSW tombstones are *not* in it (persist ``tombstones`` beside it)."""
        faiss.write_index(self._index, str(path))

    def copy(self) -> DenseIndex:
        """An independent copy (a derived KB version must not change its base's index)."""
        clone = DenseIndex(faiss.clone_index(self._index), self.dim, self.kind, ef_search=self._ef_search)
        clone.remove(self._tombstones)
        return clone

    @classmethod
    def load(
        cls, path: Path, dim: int, *, ef_search: int = 128, tombstones: Iterable[int] = ()
    ) -> DenseIndex:
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexUnavailable(f"dense index {path} unreadable: {exc}") from None
        if index.d != dim:
            raise DimensionMismatch(f"index {path} has dim {index.d}, the embedder {dim}")
        inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
        kind: IndexKind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        loaded = cls(index, dim, kind, ef_search=ef_search)
        loaded.remove(tombstones)
        return loaded
