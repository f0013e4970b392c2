"""``kefu bench million``: one tenant index of a million e5 vectors, flat vs HNSW vs IVF-PQ."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import typer

from app.cli import Clis


def register(cli: Clis) -> None:
    @cli.bench.command("million")
    def bench_million(
        size: int = typer.Option(1_000_000, help="Vectors in the index (real ones first, then mixtures)"),
        embed_budget: float = typer.Option(0.0, help="Seconds to spend embedding more real texts first"),
        queries: int = typer.Option(300, help="BANKING77 test questions as queries"),
        kinds: str = typer.Option("flat,ivfpq,hnsw", help="Which index kinds to build"),
        hnsw_m: int = typer.Option(32, help="HNSW M"),
        ef_construction: int = typer.Option(80, help="HNSW efConstruction (the build is the slow part)"),
        hnsw_budget: float = typer.Option(1500.0, help="Seconds of HNSW build before it is measured as is"),
        nprobes: str = typer.Option("8,16,32,64,128", help="IVF-PQ nprobe sweep"),
        efs: str = typer.Option("64,128,256", help="HNSW efSearch sweep"),
        pq_m: int = typer.Option(48, help="PQ sub-quantisers"),
        refines: str = typer.Option("", help="Extra IVF-PQ refine factors to measure at nprobe 32"),
        cache: Path = typer.Option(Path.home() / ".cache/kefu/million", help="Real vectors, in parts"),
        out: Path = typer.Option(Path("var/bench/million.json"), help="Where to write the figures"),
        threads: int = typer.Option(
            0,
            help="FAISS (OpenMP) threads; 0: its default. 1 on an oversubscribed machine, where a second "
            "OpenMP thread spins waiting for a core",
        ),
    ) -> None:
        """flat / HNSW / IVF-PQ over a million e5 vectors: recall@10 vs flat, p50/p95, memory, build."""
        import logging
        import os
        import tempfile
        from dataclasses import replace

        import numpy as np

        from app.evals import million
        from app.settings import get_settings
        from retrieval.embedders import build_embedder
        from retrieval.evaluation import bench
        from retrieval.index.dense import DenseSpec

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        if threads > 0:
            import faiss

            faiss.omp_set_num_threads(threads)
        data = get_settings().eval_data_dir
        report: dict[str, object] = {"machine": bench.machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                                     "threads": threads}  # fmt: skip
        qpath = cache / f"queries-banking77-test-{queries}.npy"
        embedder = None
        if embed_budget > 0 or not qpath.exists():
            embedder = build_embedder("multilingual-e5-small")
            embedder.warm_up()
        if not qpath.exists():
            assert embedder is not None
            cache.mkdir(parents=True, exist_ok=True)
            np.save(qpath, embedder.embed_queries(bench.english_queries(data, queries)))
        qv = np.load(qpath).astype(np.float32)
        texts = million.corpus(data)
        if embedder is not None:
            real = million.embed_real(texts, embedder, cache / "passages", budget_s=embed_budget)
        else:
            real = million.embed_real(texts, embedder, cache / "passages", budget_s=0)  # type: ignore[arg-type]
        del embedder
        typer.echo(f"{len(real)} real vectors of {len(texts)} texts; {report['machine']}", err=True)
        vectors = million.synthesize(real, size)
        check = million.synthetic_check(real, vectors[len(real) :])
        report.update(real=len(real), size=size, queries=len(qv), synthetic_check=[asdict(c) for c in check])
        for c in check:
            typer.echo(f"  {c}", err=True)
        t0 = time.perf_counter()
        truth = million.exact_truth(vectors, qv)
        typer.echo(f"exact truth in {time.perf_counter() - t0:.0f}s", err=True)
        results: list[million.KindResult] = []
        tmp = Path(tempfile.gettempdir()) / f"million-{os.getpid()}.faiss"
        todo = [k.strip() for k in kinds.split(",") if k.strip()]
        for kind in todo:
            if kind == "flat":
                results += million.build_and_measure(DenseSpec("flat"), vectors, qv, truth, tmp)
            elif kind == "ivfpq":
                base = DenseSpec("ivfpq", pq_m=pq_m, nprobe=32, refine_factor=4)
                sweep = [replace(base, nprobe=int(n)) for n in nprobes.split(",") if int(n) != 32]
                sweep += [replace(base, refine_factor=1), replace(base, refine_factor=10),
                          replace(base, nprobe=64, refine_factor=10), replace(base, nprobe=128, refine_factor=10)]  # fmt: skip
                sweep += [replace(base, refine_factor=int(r)) for r in refines.split(",") if r.strip()]
                results += million.build_and_measure(base, vectors, qv, truth, tmp, sweep=sweep)
            elif kind == "hnsw":
                base = DenseSpec("hnsw", hnsw_m=hnsw_m, ef_construction=ef_construction, ef_search=128)
                sweep = [replace(base, ef_search=int(e)) for e in efs.split(",") if int(e) != 128]
                results += million.build_and_measure(base, vectors, qv, truth, tmp, budget_s=hnsw_budget,
                                                     batch=50_000, sweep=sweep)  # fmt: skip
            report["results"] = [asdict(r) for r in results]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        report["load_at_end"] = round(os.getloadavg()[0], 1)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(
            "| kind | parameters | vectors | build s (CPU s) | index MiB | RSS MiB | recall@10 | p50 ms | p95 ms | CPU p50 ms |"
        )
        for r in results:
            typer.echo(f"| {r.kind} | {r.params} | {r.size} | {r.build_s} ({r.build_cpu_s}) | {r.index_mib} | "
                       f"{r.rss_mib} | {r.recall_at_10} | {r.p50_ms} | {r.p95_ms} | {r.cpu_p50_ms} |")  # fmt: skip
        typer.echo(f"wrote {out}")
