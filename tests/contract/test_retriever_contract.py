"""The ``Retriever`` contract, written once; the fake, the hybrid retriever on an exact (flat) and an
HNSW index, and the hybrid retriever with the real e5 model all inherit it."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.config import RetrievalConfig
from retrieval.index.store import IndexStore
from retrieval.protocols import Retriever
from retrieval.testing import HashEmbedder, KeywordRetriever
from retrieval.types import SearchFilters
from tests.unit.retrieval import corpus, models


class RetrieverContract:
    version = "v1"

    @pytest.fixture
    def retriever(self, tmp_path: Path) -> Retriever:
        raise NotImplementedError

    def test_satisfies_protocol(self, retriever: Retriever) -> None:
        assert isinstance(retriever, Retriever)

    def test_at_most_k_hits_best_first(self, retriever: Retriever) -> None:
        for k in (1, 3, 5):
            res = retriever.search("credit card limit", k=k)
            assert len(res.hits) <= k
            scores = [h.score for h in res.hits]
            assert scores == sorted(scores, reverse=True)

    def test_an_faq_question_finds_its_own_chunk_first(self, retriever: Retriever) -> None:
        for doc, _lang, _c, _p, question, _a in corpus.FAQ:
            top = retriever.search(question, k=3).hits[0]
            assert top.chunk.document_id == doc, question

    def test_every_hit_matches_the_filters(self, retriever: Retriever) -> None:
        cases = [
            SearchFilters(lang="en"),
            SearchFilters(collection="cards"),
            SearchFilters(metadata={"product": "mortgage"}),
            SearchFilters(lang="zh", collection="cards", metadata={"product": "credit"}),
        ]
        for f in cases:
            res = retriever.search("信用卡 credit card 还款 repay", k=10, filters=f)
            assert res.hits, f
            assert all(f.matches(h.chunk) for h in res.hits), f

    def test_filters_that_match_nothing_give_no_hits_and_not_good_enough(self, retriever: Retriever) -> None:
        res = retriever.search("credit card", k=5, filters=SearchFilters(collection="insurance"))
        assert res.hits == []
        assert res.good_enough is False

    def test_result_names_the_version(self, retriever: Retriever) -> None:
        assert retriever.search("mortgage", k=1).version == self.version


class TestKeywordRetrieverFake(RetrieverContract):
    @pytest.fixture
    def retriever(self, tmp_path: Path) -> Retriever:
        return KeywordRetriever(corpus.chunks(), version=self.version)


class TestHybridFlat(RetrieverContract):
    config = RetrievalConfig()

    @pytest.fixture
    def retriever(self, tmp_path: Path) -> Retriever:
        store = IndexStore(tmp_path, HashEmbedder(), self.config, analyzer=models.analyzer())
        store.warm_up()
        store.build_version("tenant-a", self.version, corpus.chunks())
        r = store.open("tenant-a", self.version)
        assert r.dense.kind == ("hnsw" if self.config.ann_threshold < 10 else "flat")
        return r


class TestHybridHNSW(TestHybridFlat):
    config = RetrievalConfig(ann_threshold=1)


@pytest.mark.models
class TestHybridE5(TestHybridFlat):
    @pytest.fixture
    def retriever(self, tmp_path: Path) -> Retriever:
        store = IndexStore(tmp_path, models.e5_torch(), self.config, analyzer=models.analyzer())
        store.warm_up()
        store.build_version("tenant-a", self.version, corpus.chunks())
        return store.open("tenant-a", self.version)
