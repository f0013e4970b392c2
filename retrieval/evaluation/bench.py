"""Speed benchmarks of retrieval: query latency, ingestion throughput vs the raw encoder, ANN vs exact.

Each measurement compares against its baseline in the same process (ratios are what count on a shared
machine). Corpora come from the evaluation data; where a size needs more embedded chunks than it is
reasonable to embed on 2 vCPUs (100k), real vectors are topped up with perturbed copies of real vectors
(noise, re-normalised) over real texts, and the report says how many are real.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval.config import RetrievalConfig
from retrieval.hybrid import HybridRetriever
from retrieval.index.build import VIEWS, build_dense, build_keyword
from retrieval.index.dense import DenseIndex
from retrieval.protocols import Embedder
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord


def english_texts(data_dir: Path, limit: int) -> list[str]:
    """Real English customer-service texts, deduplicated, in a fixed order."""
    out: dict[str, None] = {}

    def add(t: str) -> None:
        t = " ".join(t.split())
        if len(t) > 8:
            out.setdefault(t, None)

    kb = json.loads((data_dir / "dstc10_track2_task2/knowledge.json").read_text(encoding="utf-8"))
    for ents in kb.values():
        for ent in ents.values():
            for d in ent["docs"].values():
                add(f"{d['title']} {d['body']}")
    kb11 = json.loads((data_dir / "dstc11_track5/knowledge.json").read_text(encoding="utf-8"))
    for ents in kb11.values():
        for ent in ents.values():
            for f in (ent.get("faqs") or {}).values():
                add(f"{f['question']} {f['answer']}")
            for r in (ent.get("reviews") or {}).values():
                for s in r["sentences"].values():
                    add(s)
    with (data_dir / "bank_faqs_hdfc/BankFAQs.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            add(f"{row['Question']} {row['Answer']}")
    for split in ("train", "test"):
        with (data_dir / f"banking77/{split}.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                add(row["text"])
    clinc = json.loads((data_dir / "clinc150/data_full.json").read_text(encoding="utf-8"))
    for items in clinc.values():
        for text, _ in items:
            add(text)
    logs = json.loads((data_dir / "dstc11_track5/val/logs.json").read_text(encoding="utf-8"))
    for log in logs:
        for turn in log:
            add(turn["text"])
    return list(out)[:limit]


def english_queries(data_dir: Path, n: int) -> list[str]:
    with (data_dir / "banking77/test.csv").open(encoding="utf-8") as fh:
        qs = [row["text"] for row in csv.DictReader(fh)]
    return qs[:n]


def grow(
    vectors: npt.NDArray[np.float32], size: int, *, noise: float = 0.05, seed: int = 7
) -> npt.NDArray[np.float32]:
    """``size`` vectors: the real ones, then perturbed copies of random real ones (unit norm)."""
    if size <= len(vectors):
        return vectors[:size]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(vectors), size - len(vectors))
    extra = vectors[picks] + rng.normal(0, noise, (len(picks), vectors.shape[1])).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([vectors, extra]).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Latency:
    chunks: int
    real_vectors: int
    index_kind: str
    embedder: str
    p50_ms: float
    p95_ms: float
    embed_p50_ms: float
    search_p50_ms: float  # dense + BM25 + fusion, query vector given
    build_s: float
    # CPU time of the calling thread (``time.thread_time``): the work itself, without the wait for a core
    # that dominates wall time on a shared machine. It is the whole cost only when the engines run on the
    # calling thread (``kefu bench retrieval --threads 1``); with more threads it leaves their share out.
    cpu_p50_ms: float = 0.0
    cpu_p95_ms: float = 0.0
    cpu_embed_p50_ms: float = 0.0
    cpu_search_p50_ms: float = 0.0


def query_latency(
    texts: Sequence[str],
    vectors: npt.NDArray[np.float32],
    real: int,
    queries: Sequence[str],
    embedder: Embedder,
    analyzer: KeywordAnalyzer,
    config: RetrievalConfig,
    *,
    warmup: int = 20,
) -> Latency:
    chunks = [
        ChunkRecord(
            f"c{i}",
            f"d{i}",
            texts[i % len(texts)],
            texts[i % len(texts)],
            lang="en",
            metadata={"kind": "text"},
        )  # fmt: skip
        for i in range(len(vectors))
    ]
    t0 = time.perf_counter()
    retriever = HybridRetriever(
        chunks=chunks, dense=build_dense(vectors, config, np.arange(len(vectors), dtype=np.int64) * VIEWS), keyword=build_keyword(chunks, analyzer, config),
        embedder=embedder, analyzer=analyzer, config=config, version="bench",
    )  # fmt: skip
    build_s = time.perf_counter() - t0
    for q in queries[:warmup]:
        retriever.search(q, k=config.top_k)
    total, embed, search = [], [], []
    cpu_total, cpu_embed, cpu_search = [], [], []
    clock = time.thread_time
    for q in queries[warmup:]:
        a, ca = time.perf_counter(), clock()
        qv = embedder.embed_queries([q])[0]
        b, cb = time.perf_counter(), clock()
        retriever.candidates(q, query_vector=qv)
        c, cc = time.perf_counter(), clock()
        retriever.search(q, k=config.top_k)
        d, cd = time.perf_counter(), clock()
        embed.append(b - a)
        search.append(c - b)
        total.append(d - c)
        cpu_embed.append(cb - ca)
        cpu_search.append(cc - cb)
        cpu_total.append(cd - cc)
    return Latency(len(chunks), real, retriever.dense.kind, embedder.name, _pct(total, 50), _pct(total, 95),
                   _pct(embed, 50), _pct(search, 50), round(build_s, 1), _pct(cpu_total, 50),
                   _pct(cpu_total, 95), _pct(cpu_embed, 50), _pct(cpu_search, 50))  # fmt: skip


def _pct(xs: Sequence[float], p: int) -> float:
    return round(float(np.percentile(np.asarray(xs) * 1000, p)), 2)


@dataclass(frozen=True, slots=True)
class AnnRecall:
    size: int
    queries: int
    recall_at_10: float
    exact_ms: float
    hnsw_ms: float
    speedup: float
    ef_search: int


def ann_vs_exact(
    vectors: npt.NDArray[np.float32], queries: npt.NDArray[np.float32], config: RetrievalConfig
) -> AnnRecall:
    exact = DenseIndex.create(vectors.shape[1], len(vectors), ann_threshold=len(vectors) + 1)
    hnsw = DenseIndex.create(vectors.shape[1], len(vectors), ann_threshold=0, m=config.hnsw_m,
                             ef_construction=config.hnsw_ef_construction, ef_search=config.hnsw_ef_search)  # fmt: skip
    ids = np.arange(len(vectors), dtype=np.int64)
    exact.add(ids, vectors)
    hnsw.add(ids, vectors)
    hits, t_exact, t_hnsw = 0, 0.0, 0.0
    for q in queries:
        a = time.perf_counter()
        _, e = exact.search(q, 10)
        b = time.perf_counter()
        _, h = hnsw.search(q, 10)
        c = time.perf_counter()
        t_exact += b - a
        t_hnsw += c - b
        hits += len(set(e.tolist()) & set(h.tolist()))
    n = len(queries)
    return AnnRecall(len(vectors), n, round(hits / (10 * n), 4), round(t_exact / n * 1000, 3),
                     round(t_hnsw / n * 1000, 3), round(t_exact / max(t_hnsw, 1e-9), 1),
                     config.hnsw_ef_search)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Throughput:
    embedder: str
    chunks: int
    texts_embedded: int  # chunks x views (FAQ pairs embed their question and their answer view)
    raw_chunks_per_s: float
    pipeline_chunks_per_s: float
    ratio: float


def ingestion_vs_encoder(
    csv_bytes: bytes, filename: str, embedder: Embedder, analyzer: KeywordAnalyzer, config: RetrievalConfig,
    *, rounds: int = 2,
) -> Throughput:  # fmt: skip
    """The full pipeline (parse -> chunk -> embed -> index -> atomic publish) on an FAQ file, against the
    raw encoder on the same texts; alternated ``rounds`` times, medians compared. No embedding cache."""
    from retrieval.chunking import Chunker
    from retrieval.index.build import view_texts
    from retrieval.index.store import IndexStore
    from retrieval.ingest import SourceFile, ingest
    from retrieval.loaders import load_document

    chunks = Chunker(config).chunk(load_document(csv_bytes, filename, config), "x")
    texts = [t for c in chunks for t in view_texts(c, config)]  # exactly what the pipeline embeds
    raw, pipe = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(Path(tmp), embedder, config, analyzer=analyzer)
        for r in range(rounds):
            a = time.perf_counter()
            embedder.embed_passages(texts)
            b = time.perf_counter()
            ingest(store, "bench", f"v{r}", [SourceFile("faq", filename, csv_bytes)])
            c = time.perf_counter()
            raw.append(len(chunks) / (b - a))
            pipe.append(len(chunks) / (c - b))
    rr, pp = statistics.median(raw), statistics.median(pipe)
    return Throughput(embedder.name, len(chunks), len(texts), round(rr, 1), round(pp, 1), round(pp / rr, 3))


def hdfc_faq_csv(data_dir: Path, rows: int) -> bytes:
    with (data_dir / "bank_faqs_hdfc/BankFAQs.csv").open(encoding="utf-8") as fh:
        data = list(csv.DictReader(fh))[:rows]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Question", "Answer", "Class"])
    for row in data:
        w.writerow([row["Question"], row["Answer"], row["Class"]])
    return buf.getvalue().encode("utf-8")


def esun_faq_csv(data_dir: Path, rows: int) -> bytes:
    kb = json.loads(
        (data_dir / "esun_aicup2024_faq/reference/faq/pid_map_content.json").read_text(encoding="utf-8")
    )
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["問題", "答案"])
    n = 0
    for entries in kb.values():
        for e in entries:
            if n < rows:
                w.writerow([e["question"], "\n".join(e["answers"])])
                n += 1
    return buf.getvalue().encode("utf-8")


def esun_passages(data_dir: Path, n: int) -> list[str]:
    """E.SUN FAQ entries as "question answer" passages (long Traditional Chinese text), first ``n``."""
    kb = json.loads(
        (data_dir / "esun_aicup2024_faq/reference/faq/pid_map_content.json").read_text(encoding="utf-8")
    )
    out = [f"{e['question']} {' '.join(e['answers'])}" for entries in kb.values() for e in entries]
    return out[:n]


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} vCPU, load average {load[0]:.1f} at start"


@dataclass(frozen=True, slots=True)
class EngineSpeed:
    engine: str
    passages_per_s: float
    query_p50_ms: float
    cosine_to_reference: float  # mean cosine of its passage vectors to the first engine's


def engine_speed(
    engines: Sequence[Embedder], passages: Sequence[str], queries: Sequence[str], *, rounds: int = 2
) -> list[EngineSpeed]:
    """Engines of one model on the same texts, alternated ``rounds`` times (medians)."""
    per: dict[int, list[float]] = {i: [] for i in range(len(engines))}
    lat: dict[int, list[float]] = {i: [] for i in range(len(engines))}
    vecs: dict[int, npt.NDArray[np.float32]] = {}
    for _ in range(rounds):
        for i, e in enumerate(engines):
            a = time.perf_counter()
            vecs[i] = e.embed_passages(passages)
            per[i].append(len(passages) / (time.perf_counter() - a))
            for q in queries:
                b = time.perf_counter()
                e.embed_queries([q])
                lat[i].append(time.perf_counter() - b)
    ref = vecs[0]
    return [
        EngineSpeed(
            f"{e.name}@{getattr(e, 'engine', '')}",
            round(statistics.median(per[i]), 1),
            _pct(lat[i], 50),
            round(float((vecs[i] * ref).sum(axis=1).mean()), 5),
        )  # fmt: skip
        for i, e in enumerate(engines)
    ]
