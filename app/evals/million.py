"""A million chunks in one tenant index: flat vs HNSW vs IVF-PQ (``kefu bench million``).

Real e5 vectors come from real customer-service texts (the English corpus of the retrieval bench, then
the Chinese AFQMC and BQ sentences), embedded in parts of ``PART`` texts and cached as ``.npy`` files, so
an interrupted run resumes and a later run reuses them. A million real passages cannot be embedded on
2 shared vCPUs in the time a run has, so the rest are *synthetic*: each new vector is a normalised
mixture of two or three random real vectors (Dirichlet(2, 1, 1) weights) plus Gaussian noise of
σ = 0.015 a coordinate (chosen so that the mixtures' similarity to their nearest real vector and to each
other matches the real set's; e5 coordinates have σ ≈ 0.05). ``synthetic_check`` measures whether that keeps the real set's statistics (norm, the
similarity of each vector to its nearest real neighbour, the mean pairwise cosine); the report carries it.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.evaluation import bench
from retrieval.index.dense import DenseIndex, DenseSpec
from retrieval.protocols import Embedder

PART = 2048
F32 = npt.NDArray[np.float32]


def corpus(data_dir: Path) -> list[str]:
    """Real texts, deduplicated, in a fixed shuffled order (English first, then Chinese)."""
    english = bench.english_texts(data_dir, 10**7)
    random.Random(7).shuffle(english)
    seen = set(english)
    chinese: list[str] = []

    def add(t: str) -> None:
        t = " ".join(t.split())
        if len(t) > 3 and t not in seen:
            seen.add(t)
            chinese.append(t)

    with (data_dir / "afqmc/dev.json").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            add(row["sentence1"])
            add(row["sentence2"])
    with (data_dir / "bq_corpus/dev.tsv").open(encoding="utf-8") as fh:
        for parts in csv.reader(fh, delimiter="\t"):
            for t in parts[:2]:
                add(t)
    random.Random(7).shuffle(chinese)
    return english + chinese


def embed_real(
    texts: list[str], embedder: Embedder, cache: Path, *, budget_s: float, log: bool = True
) -> F32:
    """Embeds ``texts`` in parts (cached under ``cache``) until the parts are done or ``budget_s`` of
    embedding time is spent; returns the vectors of all parts done so far (this and earlier runs)."""
    cache.mkdir(parents=True, exist_ok=True)
    spent = 0.0
    out: list[F32] = []
    for p, start in enumerate(range(0, len(texts), PART)):
        path = cache / f"part-{p:04d}.npy"
        if path.exists():
            out.append(np.load(path))
            continue
        if spent >= budget_s:
            break
        t0 = time.perf_counter()
        vecs = embedder.embed_passages(texts[start : start + PART]).astype(np.float32)
        spent += time.perf_counter() - t0
        np.save(path.with_suffix(".tmp.npy"), vecs)
        path.with_suffix(".tmp.npy").rename(path)
        out.append(vecs)
        if log:
            n = sum(len(v) for v in out)
            print(f"part {p}: {n} real vectors, {spent:.0f}s embedding this run", flush=True)
    return np.vstack(out) if out else np.zeros((0, embedder.dim), np.float32)


def synthesize(real: F32, size: int, *, noise: float = 0.015, seed: int = 11) -> F32:
    """``size`` vectors: the real ones, then normalised mixtures of 2–3 real ones plus noise."""
    if size <= len(real):
        return real[:size]
    rng = np.random.default_rng(seed)
    n_new, dim = size - len(real), real.shape[1]
    out = np.empty((size, dim), np.float32)
    out[: len(real)] = real
    step = 50_000
    for a in range(0, n_new, step):
        b = min(a + step, n_new)
        m = b - a
        k = rng.integers(2, 4, m)  # 2 or 3 parents
        w = rng.dirichlet([2.0, 1.0, 1.0], m).astype(np.float32)
        w[k == 2, 2] = 0.0
        w /= w.sum(axis=1, keepdims=True)
        picks = rng.integers(0, len(real), (m, 3))
        mix = (w[:, :, None] * real[picks]).sum(axis=1)
        mix += rng.normal(0, noise, (m, dim)).astype(np.float32)
        mix /= np.linalg.norm(mix, axis=1, keepdims=True)
        out[len(real) + a : len(real) + b] = mix
    return out


@dataclass(frozen=True, slots=True)
class SetStats:
    """Statistics of a sample of vectors against the real set (``nn``: cosine to the nearest real
    vector other than itself; ``pair``: cosine between random pairs within the sample)."""

    name: str
    n: int
    norm_mean: float
    nn_p10: float
    nn_p50: float
    nn_p90: float
    pair_mean: float
    pair_p90: float


def synthetic_check(real: F32, synthetic: F32, *, sample: int = 2000, seed: int = 3) -> list[SetStats]:
    """The real set's and the synthetic set's statistics side by side (a sample of each)."""
    import faiss

    rng = np.random.default_rng(seed)
    flat = faiss.IndexFlatIP(real.shape[1])
    flat.add(real)
    stats = []
    for name, vecs, skip_self in (("real", real, True), ("synthetic", synthetic, False)):
        if len(vecs) == 0:
            continue
        s = vecs[rng.choice(len(vecs), min(sample, len(vecs)), replace=False)]
        d, _ = flat.search(s, 2)
        nn = d[:, 1] if skip_self else d[:, 0]
        pairs = (s[: len(s) // 2] * s[len(s) // 2 : 2 * (len(s) // 2)]).sum(axis=1)
        p10, p50, p90 = (round(float(np.percentile(nn, q)), 4) for q in (10, 50, 90))
        stats.append(SetStats(name, len(vecs), round(float(np.linalg.norm(s, axis=1).mean()), 4), p10, p50, p90,
                              round(float(pairs.mean()), 4), round(float(np.percentile(pairs, 90)), 4)))  # fmt: skip
    return stats


def rss_mib() -> float:
    """Resident memory of this process now (MiB)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True, slots=True)
class KindResult:
    """One index over the million (or over ``size`` of them when a build ran out of its budget)."""

    kind: str
    params: str
    size: int
    build_s: float
    build_cpu_s: float
    index_mib: float  # faiss.write_index size
    rss_mib: float  # RSS growth while it was built (the vectors' own copy excluded)
    recall_at_10: float  # vs exact search over the same vectors
    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float  # thread CPU time of a search: the work without the wait for a shared core
    note: str = ""


def _timed_search(index: Any, queries: F32, k: int = 10) -> tuple[list[list[int]], float, float, float]:
    lat, cpu, found = [], [], []
    for q in queries:
        a, c = time.perf_counter(), time.thread_time()
        _, ids = index.search(q, k)
        lat.append(time.perf_counter() - a)
        cpu.append(time.thread_time() - c)
        found.append(ids.tolist())

    def ms(x: list[float], p: int) -> float:
        return round(float(np.percentile(x, p)) * 1000, 2)

    return found, ms(lat, 50), ms(lat, 95), ms(cpu, 50)


def _recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return round(sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True)) / (10 * len(truth)), 4)


def _index_mib(index: Any, tmp: Path) -> float:
    import os

    index.save(tmp)
    size = os.path.getsize(tmp) / 2**20
    tmp.unlink()
    return round(size, 1)


def exact_truth(vectors: F32, queries: F32, k: int = 10) -> list[list[int]]:
    """Exact top-k ids by inner product (numpy, in blocks: no second copy of the vectors)."""
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.zeros((len(queries), k), np.int64)
    for a in range(0, len(vectors), 100_000):
        s = queries @ vectors[a : a + 100_000].T
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, top, 1)], axis=1)
        cand_i = np.concatenate([best_i, top + a], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, order, 1), np.take_along_axis(cand_i, order, 1)
    return best_i.tolist()


def build_and_measure(
    spec: DenseSpec, vectors: F32, queries: F32, truth: list[list[int]], tmp: Path, *,
    budget_s: float = 0.0, batch: int = 100_000, sweep: Sequence[DenseSpec] = (),
) -> list[KindResult]:  # fmt: skip
    """Builds ``spec`` over ``vectors`` (in batches; with ``budget_s`` > 0 it stops adding after that
    many seconds and is measured over what it holds, against exact search over those), then measures it
    and each search-time variant in ``sweep`` (same index, other nprobe / efSearch / refine factor)."""
    import gc

    gc.collect()
    rss0 = rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    index = DenseIndex.create(vectors.shape[1], len(vectors), spec=spec)
    done = 0
    for a in range(0, len(vectors), batch):
        index.add(np.arange(a, min(a + batch, len(vectors)), dtype=np.int64), vectors[a : a + batch])
        done = min(a + batch, len(vectors))
        print(f"  {spec.kind}: {done} added, {time.perf_counter() - t0:.0f}s", flush=True)
        if budget_s and time.perf_counter() - t0 > budget_s and done < len(vectors):
            break
    build_s, build_cpu = round(time.perf_counter() - t0, 1), round(time.process_time() - c0, 1)
    gc.collect()
    rss = round(rss_mib() - rss0, 1)
    note = ""
    if done < len(vectors):
        truth = exact_truth(vectors[:done], queries)
        note = f"stopped at {done} after {build_s}s (budget {budget_s:.0f}s)"
    mib = _index_mib(index, tmp)
    out = []
    built = index.spec
    for variant in (built, *(replace(v, nlist=built.nlist, pq_m=built.pq_m) for v in sweep)):
        index.spec = variant  # search-time parameters only (nprobe, efSearch, refine factor)
        index._ef_search = variant.ef_search
        found, p50, p95, cpu50 = _timed_search(index, queries)
        out.append(KindResult(spec.kind, describe(variant), done, build_s, build_cpu, mib, rss,
                              _recall(found, truth), p50, p95, cpu50, note))  # fmt: skip
        print(f"  {out[-1]}", flush=True)
    del index
    gc.collect()
    return out


def describe(spec: DenseSpec) -> str:
    if spec.kind == "hnsw":
        return f"M={spec.hnsw_m}, efConstruction={spec.ef_construction}, efSearch={spec.ef_search}"
    if spec.kind == "ivfpq":
        return f"IVF{spec.nlist},PQ{spec.pq_m}+SQ8 refine x{spec.refine_factor}, nprobe={spec.nprobe}"
    return "IndexFlatIP"
