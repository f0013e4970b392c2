"""Dense vector index: FAISS inner product (vectors are L2-normalised, so scores are cosines).

Three kinds, all behind ``IndexIDMap2`` so vectors carry our int64 ids (``retrieval.index.choice`` picks
one per tenant KB by size, docs/ARCHITECTURE.md "Index kind per tenant"):

- ``flat``: exact ``IndexFlatIP`` (1,536 bytes a vector);
- ``hnsw``: ``IndexHNSWFlat`` graph, full vectors plus links (about 1,800 bytes a vector at M=32);
- ``ivfpq``: ``IVF{nlist},PQ{pq_m}`` (48 bytes of codes a vector at PQ48) whose candidates
  (``refine_factor`` times k) are re-scored from an SQ8 copy (384 bytes a vector) by ``IndexRefine``,
  so returned scores are cosines to within about 0.01, not PQ's rough estimates (the dialog policy's
  floor and margin read them). It is trained on the first vectors added.

Deletions: the flat index removes ids for real; HNSW and IVF-PQ keep them as tombstones excluded at search
time through an ``IDSelector`` (``compact()`` rebuilds without them). Searches may be restricted to an
allowed id set (metadata filters): small sets are scored exactly over just those vectors (for IVF-PQ from
the SQ8 copy), large ones through a selector.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
import numpy.typing as npt

from retrieval.errors import DimensionMismatch, IndexUnavailable

IndexKind = Literal["flat", "hnsw", "ivfpq"]
INDEX_KINDS: tuple[IndexKind, ...] = ("flat", "hnsw", "ivfpq")
Ids = npt.NDArray[np.int64]
_EXACT_SUBSET = 4096  # filtered searches over at most this many ids are scored exactly
_TRAIN_PER_LIST = 40  # IVF-PQ trains on at most this many vectors per inverted list (k-means' rule of thumb)


@dataclass(frozen=True, slots=True)
class DenseSpec:
    """What to build: the kind and its parameters (build-time and search-time)."""

    kind: IndexKind = "flat"
    hnsw_m: int = 32
    ef_construction: int = 200
    ef_search: int = 128
    nlist: int = 0  # IVF lists; 0: about sqrt(expected size)
    pq_m: int = 48  # PQ sub-quantisers (dim must be a multiple)
    nprobe: int = 32
    refine_factor: int = 20  # IVF-PQ candidates re-scored from the SQ8 copy, as a multiple of k


def ivf_lists(expected_size: int, nlist: int = 0) -> int:
    """Inverted lists for ``expected_size`` vectors: ``nlist`` or √n (1,000 at a million: k-means over
    40 vectors a list trains in a minute on 2 vCPUs; more lists scan fewer codes a probe but train in
    time ∝ lists²), and at least 39 vectors a list."""
    want = nlist or int(math.sqrt(max(expected_size, 1)))
    return max(1, min(want, expected_size // 39))


class DenseIndex:
    """Thread-safe for concurrent searches; writes (add/remove) take a lock."""

    def __init__(
        self, index: Any, dim: int, kind: IndexKind, *, ef_search: int = 128, spec: DenseSpec | None = None
    ) -> None:
        self._index = index
        self.dim = dim
        self.kind: IndexKind = kind
        self.spec = replace(
            spec or DenseSpec(), kind=kind, ef_search=ef_search if spec is None else spec.ef_search
        )
        self._ef_search = self.spec.ef_search
        self._tombstones: set[int] = set()
        self._live: set[int] = set(faiss.vector_to_array(index.id_map).tolist()) if index.ntotal else set()
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls, dim: int, expected_size: int, *, ann_threshold: int | None = None, m: int = 32,
        ef_construction: int = 200, ef_search: int = 128, spec: DenseSpec | None = None,
    ) -> DenseIndex:  # fmt: skip
        """An empty index: of ``spec``'s kind, or (no ``spec``) flat up to ``ann_threshold`` vectors and HNSW
        above it. An IVF-PQ index is trained by its first ``add`` (which must bring at least 256 vectors
        unless ``expected_size`` is smaller)."""
        if spec is None:
            if ann_threshold is None:
                raise ValueError("DenseIndex.create needs a spec or an ann_threshold")
            kind: IndexKind = "hnsw" if expected_size > ann_threshold else "flat"
            spec = DenseSpec(kind, hnsw_m=m, ef_construction=ef_construction, ef_search=ef_search)
        if spec.kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = spec.ef_construction
            hnsw.hnsw.efSearch = spec.ef_search
            return cls(faiss.IndexIDMap2(hnsw), dim, "hnsw", spec=spec)
        if spec.kind == "ivfpq":
            pq_m = max(m for m in range(1, min(spec.pq_m, dim) + 1) if dim % m == 0)  # divides dim
            nlist = ivf_lists(expected_size, spec.nlist)
            # 8-bit codes need 256 training vectors; a tiny KB forced onto IVF-PQ gets fewer bits
            nbits = max(1, min(8, int(math.log2(max(expected_size, 2)))))
            factory = f"IVF{nlist},PQ{pq_m}x{nbits},Refine(SQ8)"
            inner = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
            return cls(faiss.IndexIDMap2(inner), dim, "ivfpq", spec=replace(spec, nlist=nlist, pq_m=pq_m))
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), dim, "flat", spec=spec)

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
            if not faiss.downcast_index(self._index.index).is_trained:
                self._train(vectors)
            self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
            self._live.update(new)

    def _train(self, vectors: npt.NDArray[np.float32]) -> None:
        inner: Any = faiss.downcast_index(self._index.index)
        ivf: Any = faiss.downcast_index(inner.base_index)
        need = max(ivf.nlist, 1 << ivf.pq.nbits)
        if len(vectors) < need:
            raise ValueError(f"an IVF-PQ index of {ivf.nlist} lists needs >= {need} vectors in its first add")
        limit = max(need, _TRAIN_PER_LIST * ivf.nlist, 10_000)
        if len(vectors) > limit:
            rows = np.random.default_rng(0).choice(len(vectors), limit, replace=False)
            vectors = vectors[np.sort(rows)]
        inner.train(vectors)
        # the ID map copied "untrained" when it was made; left so, it would also be written so
        self._index.is_trained = True

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
        if self.kind == "ivfpq":
            base: Any = faiss.SearchParametersIVF()
            base.nprobe = self.spec.nprobe
            rp: Any = faiss.IndexRefineSearchParameters()
            rp.k_factor = float(self.spec.refine_factor)
            if sel is not None:
                # IndexIDMap2 translates a top-level selector to its internal ids, but IndexRefine reads only
                # its base's parameters: hand the base the translated selector ourselves
                rp.sel = sel
                translated = faiss.IDSelectorTranslated(self._index.id_map, sel)
                base.sel = translated
                rp.owners = (sel, translated)  # SWIG keeps no reference: the owners must outlive the search
            rp.base_index_params = base
            rp.owner_base = base
            return rp
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

    def compact(self, ann_threshold: int | None = None, *, spec: DenseSpec | None = None) -> DenseIndex:
        """A fresh index of the live vectors (drops tombstones): of ``spec``'s kind, or re-picked flat vs
        HNSW by ``ann_threshold``, or (neither) of this index's own spec."""
        ids = self.ids()
        if spec is None and ann_threshold is None:
            spec = self.spec
        fresh = DenseIndex.create(self.dim, len(ids), ann_threshold=ann_threshold, ef_search=self._ef_search,
                                  spec=spec)  # fmt: skip
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
        clone = DenseIndex(faiss.clone_index(self._index), self.dim, self.kind, spec=self.spec)
        clone.remove(self._tombstones)
        return clone

    @classmethod
    def load(
        cls, path: Path, dim: int, *, ef_search: int = 128, tombstones: Iterable[int] = (),
        spec: DenseSpec | None = None,
    ) -> DenseIndex:  # fmt: skip
        """Reads an index written by ``save``; its kind comes from the file, search-time parameters
        (efSearch, nprobe, refine factor) from ``spec`` (or ``ef_search`` and the defaults)."""
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexUnavailable(f"dense index {path} unreadable: {exc}") from None
        if index.d != dim:
            raise DimensionMismatch(f"index {path} has dim {index.d}, the embedder {dim}")
        inner: Any = faiss.downcast_index(index.index) if hasattr(index, "index") else index
        kind: IndexKind = (
            "hnsw" if isinstance(inner, faiss.IndexHNSW) else "ivfpq" if isinstance(inner, faiss.IndexRefine)
            else "flat"
        )  # fmt: skip
        base = spec or DenseSpec(ef_search=ef_search)
        if kind == "ivfpq":
            ivf: Any = faiss.downcast_index(inner.base_index)
            base = replace(base, nlist=ivf.nlist, pq_m=ivf.pq.M)
        loaded = cls(index, dim, kind, spec=replace(base, kind=kind))
        loaded.remove(tombstones)
        return loaded
