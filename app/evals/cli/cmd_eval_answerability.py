"""``kefu eval answerability``: does the turn answer what the demo KB answers, and refuse what it does not?

Every golden question of the KB (``golden_questions.jsonl``: an empty ``relevant`` marks one the KB does
not answer) and a hand-written unanswerable set (``data/answerability_unanswerable.jsonl``: weather,
jokes, other banks' products, banking the demo bank does not offer; zh and en) run from a fresh
conversation through the tracker, the retriever's floor and the policy, as the chat turn runs them before
generation (``app/evals/answerability.py``); no model is called. Prints the counts per outcome
(answered / dont_know / oos / handoff / clarify) and each question that went the wrong way.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import typer

from app.cli import Clis

UNANSWERABLE = Path("data/answerability_unanswerable.jsonl")


def demo_chunks(settings: Any, kb_dir: Path) -> list[Any]:
    """The KB folder parsed and chunked as ingestion does (``Chunker``)."""
    from app.demo import NOT_CONTENT
    from retrieval.evaluation.data import LoadedKB
    from retrieval.evaluation.runner import chunk_kb
    from retrieval.loaders import load_document

    config = settings.retrieval
    files = sorted(p for p in kb_dir.rglob("*") if p.is_file() and p.name not in NOT_CONTENT)
    parsed = [(f.relative_to(kb_dir).as_posix(), load_document(f, f.name, config)) for f in files]
    return list(chunk_kb(LoadedKB(parsed, [], []), config))


def demo_retriever(settings: Any, embedder: Any, kb_dir: Path, chunks: list[Any] | None = None) -> Any:
    """The KB's chunks (``demo_chunks``) indexed by the real hybrid retriever with the configured floor;
    passage vectors cached under ``DATA_DIR/embeddings``."""
    from retrieval.evaluation.runner import build_retriever
    from retrieval.text import KeywordAnalyzer

    chunks = demo_chunks(settings, kb_dir) if chunks is None else chunks
    return build_retriever(chunks, embedder, KeywordAnalyzer(), settings.retrieval, log=lambda m: None)


def register(cli: Clis) -> None:
    @cli.eval.command("answerability")
    def answerability(
        kb: Path = typer.Option(None, help="KB folder with golden_questions.jsonl (default: the demo KB)"),
        unanswerable: Path = typer.Option(
            UNANSWERABLE, exists=True, dir_okay=False, help="JSONL of questions the KB does not answer"
        ),  # fmt: skip
        only: Path = typer.Option(
            None,
            exists=True,
            dir_okay=False,
            help="Run only this JSONL (answerable and unanswerable mixed, e.g. a held-out set) instead",
        ),  # fmt: skip
        as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout"),
        embedder: str = typer.Option(None, help="Override RETRIEVAL__EMBEDDER"),
        kb_examples: bool = typer.Option(
            True, help="Train the tracker on the KB's questions and headings too, as the app does"
        ),
    ) -> None:
        """Answered / don't know / out of scope per question set, through tracker + floor + policy."""
        import logging

        from app.evals.answerability import judge, read_questions, report
        from app.kb.kb_profiles import kb_profile_of
        from app.settings import get_settings
        from dialog.factory import build_local_tracker, build_policy
        from retrieval.embedders import build_embedder

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        settings = get_settings()
        kb_dir = kb or settings.demo_kb_dir
        golden = kb_dir / "golden_questions.jsonl"
        if not golden.is_file():
            raise typer.BadParameter(f"{golden} not found")
        if only is not None:
            questions = read_questions(only, set_name=only.stem)
        else:
            questions = read_questions(golden, set_name="golden") + read_questions(
                unanswerable, set_name="unanswerable"
            )
        emb = build_embedder(
            embedder or settings.retrieval.embedder, cache_dir=settings.data_dir / "embeddings"
        )
        emb.warm_up()
        chunks = demo_chunks(settings, kb_dir)
        retriever = demo_retriever(settings, emb, kb_dir, chunks)
        profile = kb_profile_of(chunks) if kb_examples else None
        tracker = build_local_tracker(settings.dialog, embed=emb.embed_queries, kb=profile)
        verdicts = asyncio.run(
            judge(
                questions,
                tracker=tracker,
                policy=build_policy(settings.dialog),
                retriever=retriever,
                k=settings.retrieval.top_k,
            )  # fmt: skip
        )
        out = report(verdicts)
        out.update(embedder=emb.name, floor=retriever.floor, margin=retriever.margin,
                   margin_rank=settings.retrieval.margin_rank,
                   out_of_scope_confidence=settings.dialog.policy.out_of_scope_confidence,
                   kb_examples=len(profile.examples) if profile else 0)  # fmt: skip
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        sets = str(only) if only is not None else f"{golden} + {unanswerable}"
        typer.echo(f"answerability: {sets} (embedder {emb.name}, floor {out['floor']}, "
                   f"margin {out['margin']} over rank {out['margin_rank']})")  # fmt: skip
        for name in ("answerable", "golden_unanswerable", "unanswerable", "refusal"):
            if name in out:
                typer.echo(f"  {name:20} " + "  ".join(f"{k}={v}" for k, v in out[name].items()))
        typer.echo(f"  answered_rate (answerable): {out.get('answered_rate')}")
        typer.echo(f"  refusal_rate (not answerable): {out.get('refusal_rate')}")
        for w in out["wrong"]:
            typer.echo(f"  WRONG {w['id']} {w['outcome']} ({w['reason']}) intent={w['intent']}"
                       f"@{w['intent_confidence']} dense={w['dense']} | {w['query']}")  # fmt: skip
