"""Each dense index kind (flat, HNSW, IVF-PQ) keeps the same contract; the kind follows the KB's size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.config import RetrievalConfig
from retrieval.index.build import build_dense
from retrieval.index.choice import choose_index_kind, dense_spec
from retrieval.index.dense import DenseIndex, DenseSpec, IndexKind

N, DIM = 1200, 32


def unit_vectors(n: int, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class DenseContract:
    """Behaviour every kind must show; subclasses set ``kind``."""

    kind: IndexKind
    spec_args: dict[str, int] = {}

    def built(self) -> tuple[DenseIndex, np.ndarray]:
        x = unit_vectors(N)
        idx = DenseIndex.create(DIM, N, spec=DenseSpec(self.kind, **self.spec_args))
        idx.add(np.arange(1000, 1000 + N), x)
        return idx, x

    def test_finds_each_vector_itself_with_its_cosine(self) -> None:
        idx, x = self.built()
        assert idx.kind == self.kind
        assert idx.size == N
        for row in (0, 7, 500, N - 1):
            scores, ids = idx.search(x[row], 3)
            assert ids[0] == 1000 + row
            assert scores[0] == pytest.approx(1.0, abs=0.02)  # IVF-PQ re-scores from SQ8: near-exact
            assert list(scores) == sorted(scores, reverse=True)

    def test_deleted_ids_are_never_returned(self) -> None:
        idx, x = self.built()
        idx.remove([1007, 1008])
        assert idx.size == N - 2
        assert not {1007, 1008} & set(idx.search(x[7], 20)[1].tolist())
        assert 1007 not in idx.ids().tolist()

    def test_filtered_search_small_and_large_allowed_sets(self) -> None:
        idx, x = self.built()
        _, ids = idx.search(x[7], 3, allowed=np.array([1007, 1008, 1009, 99]))
        assert set(ids.tolist()) <= {1007, 1008, 1009}
        assert ids[0] == 1007
        large = np.arange(1000, 1000 + N, 2)  # the even rows: over the exact-subset limit only if big
        _, ids = idx.search(x[8], 5, allowed=large)
        assert all(i % 2 == 0 for i in ids.tolist())
        assert ids[0] == 1008

    def test_save_load_and_tombstones(self, tmp_path: Path) -> None:
        idx, x = self.built()
        idx.remove([1007])
        idx.save(tmp_path / "d.faiss")
        back = DenseIndex.load(tmp_path / "d.faiss", DIM, tombstones=idx.tombstones.tolist(),
                               spec=DenseSpec("flat", nprobe=16))  # fmt: skip
        assert back.kind == self.kind
        assert back.size == N - 1
        assert 1007 not in back.search(x[7], 10)[1].tolist()
        assert back.search(x[9], 1)[1].tolist() == [1009]

    def test_copy_and_compact_drop_nothing_live(self) -> None:
        idx, x = self.built()
        idx.remove(range(1000, 1100))
        clone = idx.copy()
        idx.remove([1200])
        assert clone.contains(1200)
        assert not clone.contains(1000)
        fresh = clone.compact()
        assert fresh.kind == self.kind
        assert len(fresh.tombstones) == 0
        assert fresh.size == N - 100
        assert fresh.search(x[300], 1)[1].tolist() == [1300]


class TestFlat(DenseContract):
    kind = "flat"


class TestHnsw(DenseContract):
    kind = "hnsw"


class TestIvfPq(DenseContract):
    kind = "ivfpq"
    spec_args = {"pq_m": 8, "nprobe": 8, "refine_factor": 10}

    def test_lists_and_codes_follow_the_size(self) -> None:
        idx, _ = self.built()
        assert idx.spec.nlist == 30  # min(sqrt(1200) = 34, 1200 // 39 = 30)
        assert idx.spec.pq_m == 8

    def test_later_adds_and_a_reloaded_index_keep_the_first_training(self, tmp_path: Path) -> None:
        x = unit_vectors(N)
        idx = DenseIndex.create(DIM, N, spec=DenseSpec("ivfpq", pq_m=8, nprobe=8, refine_factor=10))
        idx.add(np.arange(600), x[:600])
        idx.add(np.arange(600, 900), x[600:900])  # must not retrain: the first 600 would be lost
        assert idx.search(x[5], 1)[1].tolist() == [5]
        idx.save(tmp_path / "d.faiss")
        back = DenseIndex.load(tmp_path / "d.faiss", DIM, spec=DenseSpec(nprobe=8, refine_factor=10))
        back.add(np.arange(900, N), x[900:])
        assert [back.search(x[r], 1)[1].tolist() for r in (5, 700, 1100)] == [[5], [700], [1100]]

    def test_first_add_must_be_enough_to_train(self) -> None:
        idx = DenseIndex.create(DIM, N, spec=DenseSpec("ivfpq", pq_m=8))
        with pytest.raises(ValueError, match="needs >= 256 vectors"):
            idx.add(np.arange(10), unit_vectors(10))

    def test_a_tiny_kb_forced_onto_ivfpq_still_works(self) -> None:
        x = unit_vectors(20)
        idx = DenseIndex.create(DIM, 20, spec=DenseSpec("ivfpq", pq_m=48))  # 48 does not divide 32
        idx.add(np.arange(20), x)
        assert idx.spec.pq_m == 32
        assert idx.search(x[3], 1)[1].tolist() == [3]


@pytest.mark.parametrize(
    ("size", "setting", "deployment", "kind", "reason"),
    [
        (100, None, "auto", "flat", "small"),
        (20_000, None, "auto", "flat", "small"),
        (20_001, None, "auto", "hnsw", "medium"),
        (1_000_000, "auto", "auto", "hnsw", "medium"),
        (1_000_001, None, "auto", "ivfpq", "large"),
        (100, None, "ivfpq", "ivfpq", "deployment_setting"),
        (100, "hnsw", "ivfpq", "hnsw", "tenant_setting"),
        (5_000_000, "flat", "auto", "flat", "tenant_setting"),
    ],
)
def test_the_kind_follows_size_unless_set(size: int, setting: str | None, deployment: str, kind: str,
                                          reason: str) -> None:  # fmt: skip
    choice = choose_index_kind(size, RetrievalConfig(index_kind=deployment), setting)  # type: ignore[arg-type]
    assert (choice.kind, choice.reason) == (kind, reason)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="known: auto, flat, hnsw, ivfpq"):
        choose_index_kind(10, RetrievalConfig(), "diskann")


def test_build_dense_uses_the_choice_and_the_config_parameters() -> None:
    config = RetrievalConfig(ann_threshold=100, ivfpq_threshold=1000, ivf_nprobe=4, ivf_refine_factor=3)
    assert build_dense(unit_vectors(50), config).kind == "flat"
    assert build_dense(unit_vectors(500), config).kind == "hnsw"
    big = build_dense(unit_vectors(1500), config)
    assert (big.kind, big.spec.nprobe, big.spec.refine_factor) == ("ivfpq", 4, 3)
    assert build_dense(unit_vectors(50), config, index_kind="ivfpq").kind == "ivfpq"
    assert dense_spec("hnsw", config).ef_search == config.hnsw_ef_search
