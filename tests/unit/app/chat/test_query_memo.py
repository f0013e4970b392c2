from __future__ import annotations

import numpy as np

from app.chat.query_memo import QueryMemoEmbedder
from retrieval.testing import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=32)
        self.calls: list[list[str]] = []

    def embed_queries(self, texts):
        self.calls.append(list(texts))
        return super().embed_queries(texts)


def test_second_embed_of_a_query_is_free_and_identical() -> None:
    inner = Counting()
    memo = QueryMemoEmbedder(inner, size=2)
    a = memo.embed_queries(["如何申请信用卡分期"])
    b = memo.embed_queries(["如何申请信用卡分期"])
    assert np.array_equal(a, b)
    assert inner.calls == [["如何申请信用卡分期"]]
    both = memo.embed_queries(["lost card", "如何申请信用卡分期"])
    assert inner.calls[-1] == ["lost card"]
    assert np.array_equal(both, inner.embed_queries(["lost card", "如何申请信用卡分期"]))
    assert memo.embed_queries([]).shape == (0, 32)
    memo.embed_queries(["x"])  # evicts the least recently used
    memo.embed_queries(["如何申请信用卡分期"])
    assert (memo.name, memo.dim) == (inner.name, inner.dim)
