"""``kefu eval retrieval`` (any KB + queries) and ``kefu eval retrieval-suite`` (the public datasets)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer

from app.cli import Clis

_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "no_answer_precision", "no_answer_recall")


def _jsonable(metrics: dict[str, float | int]) -> dict[str, float | int | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()}


def register(cli: Clis) -> None:
    @cli.eval.command("retrieval")
    def eval_retrieval(
        kb: Path = typer.Option(
            None, "--kb", help="Folder of files (id = relative path) or JSONL of documents"
        ),
        queries: Path = typer.Option(None, "--queries", help='JSONL: {"id","lang","query","relevant":[ids]}'),
        dataset: str = typer.Option(
            None,
            help="Instead of --kb/--queries: a dataset of EVAL_DATA_DIR (bank_faqs_hdfc, esun_aicup2024_faq)",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout"),
        embedder: str = typer.Option(None, help="Override RETRIEVAL__EMBEDDER"),
        floor: bool = typer.Option(
            True, help="Also the floor's errors at the KB's own calibrated floor (retrieval.calibration)"
        ),
    ) -> None:
        """Measure a knowledge base on your own questions: recall@1/5/10, MRR@10, no-answer P/R; the share
        of answerable questions the floor lets through and of no-answer ones it refuses, at the default
        floor and at the floor calibrated on the KB itself (as publishing a version does)."""
        if dataset is not None:
            _eval_dataset(dataset, as_json, embedder, floor)
            return
        if kb is None or queries is None:
            raise typer.BadParameter("give --kb and --queries, or --dataset")
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
            embedder or config.embedder,
            cache_dir=settings.data_dir / "cache" / "embeddings",
            query_engine=config.query_engine,
            models_dir=settings.data_dir / "models",
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
        compared = _floors(retriever, qs) if floor else None
        if as_json:
            out: dict[str, object] = dict(_jsonable(metrics))
            out.update(documents=len(loaded.documents), chunks=len(chunks), rejected=len(loaded.rejected),
                       embedder=emb.name)  # fmt: skip
            if compared is not None:
                out["floors"] = compared
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        typer.echo(f"{len(loaded.documents)} documents, {len(chunks)} chunks, {metrics['n']} answerable "
                   f"and {metrics['n_no_answer']} no-answer queries, embedder {emb.name}")  # fmt: skip
        for k in _KEYS:
            typer.echo(f"{k:>20}  {fmt(metrics[k])}")
        if compared is not None:
            _echo_floors(compared)

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
        inner = build_embedder(
            embedder or config.embedder,
            query_engine=config.query_engine,
            models_dir=settings.data_dir / "models",
        )
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


def _floors(retriever: Any, qs: list[Any]) -> Any:
    from retrieval.evaluation.floor import floor_comparison

    return _jsonable_tree(floor_comparison(retriever, qs))


def _jsonable_tree(obj: object) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable_tree(v) for k, v in obj.items()}
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def _echo_floors(compared: dict[str, Any]) -> None:
    typer.echo(f"{'floor':>20}  {'value':>6} {'let through':>12} {'no-answer recall':>17}")
    for name in ("default", "calibrated"):
        m = compared[name]
        if m is None:
            typer.echo(f"{name:>20}  (no calibration bounds for this embedder)")
            continue
        nar = "—" if m["no_answer_recall"] is None else f"{m['no_answer_recall']:.3f}"
        typer.echo(f"{name:>20}  {m['floor']:>6.3f} {m['let_through']:>12.3f} {nar:>17}")
    typer.echo(f"calibration: {json.dumps(compared['calibration'])}")


def _eval_dataset(name: str, as_json: bool, embedder: str | None, floor: bool) -> None:
    """``kefu eval retrieval --dataset NAME``: the dataset's KB and queries through the production search."""
    import logging

    from app.settings import get_settings
    from retrieval.embedders import CachedEmbedder, build_embedder
    from retrieval.evaluation.data import parse_documents
    from retrieval.evaluation.datasets import load_dataset
    from retrieval.evaluation.runner import build_retriever, chunk_kb, evaluate_search, fmt
    from retrieval.text import KeywordAnalyzer

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = get_settings()
    config = settings.retrieval
    try:
        ds = load_dataset(name, settings.eval_data_dir)
    except FileNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except KeyError:
        raise typer.BadParameter(f"unknown dataset {name!r}") from None
    inner = build_embedder(
        embedder or config.embedder, query_engine=config.query_engine, models_dir=settings.data_dir / "models"
    )
    emb = CachedEmbedder(inner, settings.data_dir / "cache" / "embeddings", cache_queries=True)
    analyzer = KeywordAnalyzer()
    emb.warm_up()
    analyzer.warm_up()
    kb = parse_documents(ds.documents, config)
    chunks = chunk_kb(kb, config, faq_context=config.faq_context)
    retriever = build_retriever(chunks, emb, analyzer, config, log=lambda m: typer.echo(m, err=True))
    metrics = dict(evaluate_search(retriever, ds.queries).metrics)
    compared = _floors(retriever, list(ds.queries)) if floor else None
    if as_json:
        out: dict[str, object] = {"dataset": name, "note": ds.note, **_jsonable(metrics),
                                  "documents": len(kb.documents), "chunks": len(chunks), "embedder": emb.name}  # fmt: skip
        if compared is not None:
            out["floors"] = compared
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{name}: {ds.note}; {len(chunks)} chunks, embedder {emb.name}")
    for k in _KEYS:
        typer.echo(f"{k:>20}  {fmt(metrics[k])}")
    if compared is not None:
        _echo_floors(compared)
