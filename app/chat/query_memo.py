"""One query embedding per turn: the tracker (intent) and the retriever both embed the customer's
question; this wrapper remembers the last few query vectors so the second embed of the same text is free.

It is the same ``Embedder`` to everyone (name, dimension and passage embeddings pass straight through),
so indexes built through it are identical to indexes built without it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from retrieval.protocols import Embedder, Vectors


class QueryMemoEmbedder:
    def __init__(self, inner: Embedder, *, size: int = 256) -> None:
        self._inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self._size = size
        self._memo: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def warm_up(self) -> None:
        self._inner.warm_up()
        self.name, self.dim = self._inner.name, self._inner.dim  # final once the model is loaded

    def clear(self) -> None:
        """Forget every remembered query (benchmarks of new text)."""
        with self._lock:
            self._memo.clear()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            known = {t: self._memo[t] for t in texts if t in self._memo}
            for t in known:
                self._memo.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = self._inner.embed_queries(missing)
            with self._lock:
                for t, row in zip(missing, fresh, strict=True):
                    known[t] = row
                    self._memo[t] = row
                while len(self._memo) > self._size:
                    self._memo.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)
