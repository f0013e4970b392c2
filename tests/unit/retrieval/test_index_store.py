"""KB versions on disk: atomic publish, immutability, integrity checks, deletions, derived versions."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from retrieval.config import RetrievalConfig
from retrieval.errors import IndexUnavailable, VersionExists
from retrieval.index.dense import DenseIndex
from retrieval.index.store import IndexStore
from retrieval.testing import HashEmbedder
from retrieval.types import ChunkRecord
from tests.unit.retrieval import corpus, models


def make_store(root: Path, **cfg: object) -> IndexStore:
    store = IndexStore(root, HashEmbedder(), RetrievalConfig(**cfg), analyzer=models.analyzer())  # type: ignore[arg-type]
    store.warm_up()
    return store


def docs_of(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.chunk.document_id for h in result.hits]


def test_build_open_and_search(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    stages: list[tuple[str, int, int]] = []
    info = store.build_version("t1", "v1", corpus.chunks(), progress=lambda s, d, t: stages.append((s, d, t)))
    assert (info.chunks, info.documents, info.index_kind, info.dim) == (10, 10, "flat", 64)
    assert stages[0] == ("embedding", 0, 10)
    assert stages[-1] == ("indexing", 10, 10)
    assert store.list_versions("t1") == ["v1"]
    r = store.open("t1", "v1")
    assert store.open("t1", "v1") is r  # cached
    hit = r.search("外币汇款手续费多少", k=1).hits[0]
    assert hit.chunk.document_id == "fx-1"
    assert hit.dense_score is not None
    assert hit.bm25_score is not None
    assert hit.dense_rank == 1


def test_versions_are_immutable(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.build_version("t1", "v1", corpus.chunks())
    with pytest.raises(VersionExists):
        store.build_version("t1", "v1", corpus.chunks()[:2])
    assert store.open("t1", "v1").search("mortgage", k=10).hits  # untouched


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    class Exploding(HashEmbedder):
        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("embedder died")

    store = IndexStore(tmp_path, Exploding(), RetrievalConfig(), analyzer=models.analyzer())
    store.warm_up()
    with pytest.raises(RuntimeError, match="embedder died"):
        store.build_version("t1", "v1", corpus.chunks())
    assert store.list_versions("t1") == []
    assert not (tmp_path / "t1").exists() or list((tmp_path / "t1").iterdir()) == []


def test_failure_while_writing_removes_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrieval.index import store as store_module

    def broken_save(self, directory):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    store = make_store(tmp_path)
    monkeypatch.setattr(store_module.KeywordIndex, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        store.build_version("t1", "v1", corpus.chunks())
    assert list((tmp_path / "t1").iterdir()) == []  # the half-written .building-* directory is gone
    assert not store.exists("t1", "v1")


def test_a_reader_never_sees_a_half_built_version(tmp_path: Path) -> None:
    """While v2 is being built (the embedder is blocked mid-way), v2 does not exist and v1 serves."""
    release = threading.Event()
    started = threading.Event()

    class Slow(HashEmbedder):
        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            started.set()
            release.wait(10)
            return super().embed_passages(texts)

    store = make_store(tmp_path)
    store.build_version("t1", "v1", corpus.chunks())
    slow = IndexStore(tmp_path, Slow(), RetrievalConfig(), analyzer=models.analyzer())
    t = threading.Thread(target=slow.build_version, args=("t1", "v2", corpus.chunks()))
    t.start()
    assert started.wait(10)
    assert not store.exists("t1", "v2")
    with pytest.raises(IndexUnavailable):
        store.open("t1", "v2")
    assert docs_of(store.open("t1", "v1").search("mortgage early", k=1)) == ["loans-2"]
    release.set()
    t.join(10)
    assert store.exists("t1", "v2")
    assert docs_of(store.open("t1", "v2").search("mortgage early", k=1)) == ["loans-2"]


@pytest.mark.parametrize("damage", ["truncate_faiss", "edit_chunks", "drop_manifest"])
def test_corruption_is_detected_as_index_unavailable(tmp_path: Path, damage: str) -> None:
    store = make_store(tmp_path)
    store.build_version("t1", "v1", corpus.chunks())
    d = tmp_path / "t1" / "v1"
    if damage == "truncate_faiss":
        data = (d / "dense.faiss").read_bytes()
        (d / "dense.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "edit_chunks":
        text = (d / "chunks.jsonl").read_text(encoding="utf-8")
        (d / "chunks.jsonl").write_text(text.replace("25 USD", "99 USD"), encoding="utf-8")
    else:
        (d / "manifest.json").unlink()
    fresh = make_store(tmp_path)
    with pytest.raises(IndexUnavailable):
        fresh.open("t1", "v1")
    # the app's answer: rebuild from its database rows, under a new version name
    fresh.build_version("t1", "v1-rebuilt", corpus.chunks())
    assert fresh.open("t1", "v1-rebuilt").search("wire transfer fees", k=1).hits


def test_opening_with_another_embedder_is_refused(tmp_path: Path) -> None:
    make_store(tmp_path).build_version("t1", "v1", corpus.chunks())
    other = IndexStore(tmp_path, HashEmbedder(dim=32), RetrievalConfig(), analyzer=models.analyzer())
    with pytest.raises(IndexUnavailable, match="rebuild"):
        other.open("t1", "v1")


def test_delete_version(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.build_version("t1", "v1", corpus.chunks())
    store.open("t1", "v1")
    assert store.delete_version("t1", "v1") is True
    assert store.delete_version("t1", "v1") is False
    with pytest.raises(IndexUnavailable):
        store.open("t1", "v1")


def test_unsafe_names_are_refused(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="letters"):
            store.build_version(bad, "v1", corpus.chunks())


@pytest.mark.parametrize("ann_threshold", [1_000, 1])
def test_derived_version_deletes_and_adds_without_touching_the_base(
    tmp_path: Path, ann_threshold: int
) -> None:
    store = make_store(tmp_path, ann_threshold=ann_threshold)
    store.build_version("t1", "v1", corpus.chunks())
    new = ChunkRecord("savings-1#0", "savings-1", "Savings interest is 2%.", "What is the savings interest rate?",
                      lang="en", metadata={"collection": "deposits"})  # fmt: skip
    info = store.derive_version("t1", "v1", "v2", remove_documents=["fx-2"], add_chunks=[new])
    assert (info.chunks, info.reused_vectors) == (10, 9)
    v1, v2 = store.open("t1", "v1"), store.open("t1", "v2")
    assert "fx-2" not in {c.document_id for c in v2.chunks}
    assert all(
        h.chunk.document_id != "fx-2" for h in v2.search("international wire transfer fees", k=10).hits
    )
    assert docs_of(v2.search("savings interest rate", k=1)) == ["savings-1"]
    assert docs_of(v1.search("What are the fees for international wire transfers?", k=1)) == ["fx-2"]
    # a fresh process reads v2 the same way (tombstones of the HNSW kind are persisted)
    again = make_store(tmp_path, ann_threshold=ann_threshold).open("t1", "v2")
    assert all(
        h.chunk.document_id != "fx-2" for h in again.search("international wire transfer fees", k=10).hits
    )


def test_dense_index_switches_to_hnsw_above_the_threshold_and_deletes_by_id() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for threshold, kind in ((500, "flat"), (100, "hnsw")):
        idx = DenseIndex.create(16, 200, ann_threshold=threshold)
        assert idx.kind == kind
        idx.add(np.arange(1000, 1200), x)
        assert idx.search(x[7], 1)[1].tolist() == [1007]
        idx.remove([1007])
        assert 1007 not in idx.search(x[7], 5)[1].tolist()
        assert idx.size == 199
        scores, ids = idx.search(x[7], 3, allowed=np.array([1007, 1008, 1009]))
        assert sorted(ids.tolist()) == [1008, 1009]
