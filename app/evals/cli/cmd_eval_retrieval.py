"""``kefu eval retrieval`` (any KB + queries) and ``kefu eval retrieval-suite`` (the public datasets)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer

from app.cli import Clis

_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "no_answer_precision", "no_answer_recall")


def _jsonable(metrics: dict[str, float | int]) -> dict[str, float | int | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}


def register(cli: Clis) -> None:
    @cli.eval.command("retrieval")
    def eval_retrieval(
        kb: Path = typer.Option(
            ..., "--kb", help="Folder of files (id = relative path) or JSONL of documents"
        ),
        queries: Path = typer.Option(..., "--queries", help='JSONL: {"id","lang","query","relevant":[ids]}'),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout"),
        embedder: str = typer.Option(None, help="Override RETRIEVAL__EMBEDDER"),
    ) -> None:
        """Measure a knowledge base on your own questions: recall@1/5/10, MRR@10, no-answer P/R."""
        import logging

        from app.settings import get_settings
        from retrieval.embedders import build_embedder
        from retrieval.evaluation.data import load_kb, read_queries
        from retrieval.evaluation.runner import build_retriever, chunk_kb, evaluate_search, fmt
        from retrieval.text import KeywordAnalyzer

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        settings = get_settings()
        config = settings.retrieval
        emb = build_embedder(
            embedder or config.embedder, cache_dir=settings.data_dir / "cache" / "embeddings"
        )
        analyzer = KeywordAnalyzer()

        def err(message: str) -> None:
            typer.echo(message, err=as_json)

        loaded = load_kb(kb, config)
        qs = read_queries(queries)
        for doc_id, exc in loaded.rejected:
            typer.echo(f"rejected {doc_id}: {exc.code} ({exc.detail})", err=True)
        if not loaded.documents:
            typer.echo("no document could be loaded", err=True)
            raise typer.Exit(2)
        emb.warm_up()
        analyzer.warm_up()
        chunks = chunk_kb(loaded, config)
        retriever = build_retriever(chunks, emb, analyzer, config, log=err)
        result = evaluate_search(retriever, qs)
        metrics = dict(result.metrics)
        if as_json:
            out: dict[str, object] = dict(_jsonable(metrics))
            out.update(documents=len(loaded.documents), chunks=len(chunks), rejected=len(loaded.rejected),
                       embedder=emb.name)  # fmt: skip
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        typer.echo(f"{len(loaded.documents)} documents, {len(chunks)} chunks, {metrics['n']} answerable "
                   f"and {metrics['n_no_answer']} no-answer queries, embedder {emb.name}")  # fmt: skip
        for k in _KEYS:
            typer.echo(f"{k:>20}  {fmt(metrics[k])}")

    @cli.eval.command("retrieval-suite")
    def eval_retrieval_suite(
        datasets: str = typer.Option(
            "esun_aicup2024_faq,bq_corpus,afqmc,dstc10_track2_task2,dstc11_track5", help="Comma-separated"
        ),
        max_queries: int = typer.Option(None, help="Seeded subsample of queries per dataset"),
        out: Path = typer.Option(Path("var/eval/retrieval-suite.json"), help="Where to write all figures"),
        embedder: str = typer.Option(None, help="Override RETRIEVAL__EMBEDDER"),
        rerank: bool = typer.Option(False, help="Also measure our hybrid + the e5-similarity reranker"),
    ) -> None:
        """BM25 alone, dense alone, LangChain's FAISS baseline and our hybrid on each public dataset."""
        import logging

        from app.settings import get_settings
        from retrieval.embedders import CachedEmbedder, build_embedder
        from retrieval.evaluation.datasets import load_dataset
        from retrieval.evaluation.runner import fmt, run_suite_dataset
        from retrieval.rerank import EmbeddingReranker
        from retrieval.text import KeywordAnalyzer

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        settings = get_settings()
        config = settings.retrieval
        inner = build_embedder(embedder or config.embedder)
        emb = CachedEmbedder(inner, settings.data_dir / "cache" / "embeddings", cache_queries=True)
        analyzer = KeywordAnalyzer()
        emb.warm_up()
        analyzer.warm_up()
        report: dict[str, object] = {"embedder": emb.name, "config": config.model_dump(), "datasets": {}}
        for name in [d.strip() for d in datasets.split(",") if d.strip()]:
            try:
                ds = load_dataset(name, settings.eval_data_dir, max_queries=max_queries)
            except FileNotFoundError as exc:
                typer.echo(f"skip {name}: {exc}", err=True)
                continue
            reranker = EmbeddingReranker(emb, depth=config.rerank_depth) if rerank else None
            res = run_suite_dataset(ds.name, ds.documents, ds.queries, emb, analyzer, config, note=ds.note,
                                    log=lambda m: typer.echo(m, err=True), reranker=reranker)  # fmt: skip
            typer.echo(
                f"\n{name}  ({res.documents} docs, {res.chunks} chunks, {res.queries} queries; {ds.note})"
            )
            typer.echo(f"  {'system':16} " + " ".join(f"{k:>9}" for k in _KEYS[:5]))
            for sys_name in ("bm25", "dense", "langchain_dense", "hybrid", "hybrid+rerank"):
                if sys_name not in res.systems:
                    continue
                m = res.systems[sys_name].metrics
                typer.echo(f"  {sys_name:16} " + " ".join(f"{fmt(m[k]):>9}" for k in _KEYS[:5]))
            datasets_out = report["datasets"]
            assert isinstance(datasets_out, dict)
            datasets_out[name] = {
                "note": ds.note, "documents": res.documents, "chunks": res.chunks, "queries": res.queries,
                "seconds": round(res.seconds, 1),
                "systems": {n: _jsonable(s.metrics) for n, s in res.systems.items()},
            }  # fmt: skip
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"\nwrote {out}")
