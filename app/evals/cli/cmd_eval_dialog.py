"""``kefu eval intents|clinc|dialogs|sgd``: the dialog layer's figures (docs/BENCHMARKS.md, "Dialog").

- ``intents --train CSV --test CSV``: the local intent classifier (accuracy, macro-F1, n).
- ``clinc``: CLINC150 out-of-scope: threshold chosen on val, in-scope accuracy and OOS recall on test.
- ``dialogs --data FILE``: multi-turn cases scored on the last turn's decision (and reason), run through
  the demo tenant's tracker + policy and a retrieval signal from the demo KB (the real hybrid retriever);
  also the tracker's latency per turn beyond the embedding.
- ``sgd``: the LLM tracker on SGD Banks_2 / Payment_1 against the configured model (``LLM__*``).
Embeddings come from retrieval's embedder factory and are cached under ``DATA_DIR/eval_cache``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from app.cli import Clis

EMBEDDER_HELP = "Embedder (retrieval factory name); default: RETRIEVAL__EMBEDDER"


def _print(result: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(title)
    for key, value in result.items():
        if isinstance(value, dict):
            typer.echo(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
        elif not isinstance(value, list):
            typer.echo(f"  {key}: {value}")
        elif key == "traps_handed_off":
            typer.echo(f"  {key}: {len(value)} {value}")


class CachedQueries:
    """``embed_queries`` of a warmed-up embedder, memoised per text and on disk per (embedder, text set)."""

    def __init__(self, embedder: Any, cache_dir: Path) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.memo: dict[str, Any] = {}
        self.seconds = 0.0

    def bulk(self, texts: Sequence[str]) -> Any:
        import numpy as np

        key = hashlib.sha256("\x1f".join([self.embedder.name, *texts]).encode()).hexdigest()[:24]
        path = self.cache_dir / f"{self.embedder.name}-{key}.npy"
        if path.is_file():
            return np.load(path)
        start = time.perf_counter()
        vectors = self.embedder.embed_queries(list(texts))
        self.seconds += time.perf_counter() - start
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.embedder.embed_queries(missing), strict=True):
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts]) if texts else self.embedder.embed_queries([])


def _embedder(name: str | None) -> tuple[Any, CachedQueries]:
    from app.settings import get_settings
    from retrieval.embedders import build_embedder

    settings = get_settings()
    embedder = build_embedder(name or settings.retrieval.embedder, cache_dir=settings.data_dir / "embeddings")
    embedder.warm_up()
    return settings, CachedQueries(embedder, settings.data_dir / "eval_cache")


def _params(ngrams: bool, threshold: float = 0.5) -> Any:
    from dialog.classifier import ClassifierParams

    return (
        ClassifierParams(threshold=threshold)
        if ngrams
        else ClassifierParams(threshold=threshold, char_ngrams=(0, 0))
    )


def register(cli: Clis) -> None:
    @cli.eval.command("intents")
    def intents(
        train: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV with text,category"),
        test: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV with text,category"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object"),
        embedder: str = typer.Option(None, help=EMBEDDER_HELP),
        ngrams: bool = typer.Option(True, help="Character n-gram features beside the embedding"),
    ) -> None:
        """Accuracy and macro-F1 of the local intent classifier (train on --train, score on --test)."""
        from dialog.classifier import IntentClassifier
        from dialog.evaluation.intents import evaluate_intents, read_labelled_csv

        tr, te = read_labelled_csv(train), read_labelled_csv(test)
        _, embed = _embedder(embedder)
        tv, sv = embed.bulk(tr[0]), embed.bulk(te[0])
        report = evaluate_intents(
            IntentClassifier(embed, _params(ngrams)), tr, te, train_vectors=tv, test_vectors=sv
        )
        result = {**report.as_dict(), "embedder": embed.embedder.name, "ngrams": ngrams,
                  "embed_seconds": round(embed.seconds, 1)}  # fmt: skip
        _print(result, as_json, f"intents: {train.name} -> {test.name}")

    @cli.eval.command("clinc")
    def clinc(
        data: Path = typer.Option(None, help="CLINC150 data_full.json (default: EVAL_DATA_DIR/clinc150/)"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object"),
        embedder: str = typer.Option(None, help=EMBEDDER_HELP),
        ngrams: bool = typer.Option(True, help="Character n-gram features beside the embedding"),
        min_in_scope: float = typer.Option(0.92, help="Threshold choice: keep val in-scope accuracy >= this"),
    ) -> None:
        """Out-of-scope detection: train on train + oos_train, pick the threshold on val, score test."""
        from dialog.classifier import IntentClassifier
        from dialog.evaluation.intents import THRESHOLD_GRID, oos_point
        from dialog.intents import OUT_OF_SCOPE

        settings, embed = _embedder(embedder)
        path = data or settings.eval_data_dir / "clinc150" / "data_full.json"
        if not path.is_file():
            raise typer.BadParameter(f"{path} not found: set EVAL_DATA_DIR or pass --data")
        raw = json.loads(path.read_text(encoding="utf-8"))

        def split(*names: str) -> tuple[list[str], list[str]]:
            rows = [r for n in names for r in raw[n]]
            return [r[0] for r in rows], [OUT_OF_SCOPE if r[1] == "oos" else r[1] for r in rows]

        train, val, test = split("train", "oos_train"), split("val", "oos_val"), split("test", "oos_test")
        clf = IntentClassifier(embed, _params(ngrams)).fit(train[0], train[1], vectors=embed.bulk(train[0]))
        val_probs = clf.probabilities(val[0], embed.bulk(val[0]))
        test_probs = clf.probabilities(test[0], embed.bulk(test[0]))
        points = [oos_point(clf, val_probs, val[1], t) for t in THRESHOLD_GRID]
        keep = [p for p in points if p.in_scope_accuracy >= min_in_scope] or points[:1]
        chosen = max(keep, key=lambda p: (p.oos_recall, -p.threshold))
        at = oos_point(clf, test_probs, test[1], chosen.threshold)
        curve = {
            f"{t:.2f}": oos_point(clf, test_probs, test[1], t).as_dict() for t in (0.3, 0.4, 0.5, 0.6, 0.7)
        }
        result = {
            "threshold": chosen.threshold,
            "in_scope_accuracy": round(at.in_scope_accuracy, 4),
            "oos_recall": round(at.oos_recall, 4),
            "oos_precision": round(at.oos_precision, 4),
            "val_in_scope_accuracy": round(chosen.in_scope_accuracy, 4),
            "val_oos_recall": round(chosen.oos_recall, 4),
            "n": len(test[0]),
            "n_oos": sum(1 for g in test[1] if g == OUT_OF_SCOPE),
            "train_seconds": round(clf.train_seconds, 1),
            "embedder": embed.embedder.name,
            "ngrams": ngrams,
            "test_curve": curve,
        }
        _print(result, as_json, f"clinc150 out-of-scope ({path})")

    @cli.eval.command("dialogs")
    def dialogs(
        data: Path = typer.Option(
            Path("data/dialog_eval.jsonl"), exists=True, dir_okay=False, help="JSONL cases"
        ),
        as_json: bool = typer.Option(False, "--json", help="One JSON object"),
        embedder: str = typer.Option(None, help=EMBEDDER_HELP),
        floor: str = typer.Option(
            None,
            help="Dense-score floor of a good retrieval instead of the retriever's own verdict (floor or "
            "margin, as the turn); 'golden': the floor that best separates the KB's golden questions",
        ),
        show_failures: bool = typer.Option(False, help="List the cases that failed"),
        kb_examples: bool = typer.Option(
            True, help="Train the tracker on the KB's questions and headings too, as the app does"
        ),
    ) -> None:
        """Last-turn decisions of multi-turn cases through tracker + policy + demo-KB retrieval."""
        from app.kb.kb_profiles import kb_profile_of
        from dialog.evaluation.dialogs import load_dialog_cases, make_turn, run_dialogs
        from dialog.factory import build_local_tracker, build_policy

        cases = load_dialog_cases(data)
        settings, embed = _embedder(embedder)
        search, chosen_floor, chunks, labels = _demo_search(settings, embed.embedder, floor)
        profile = kb_profile_of(chunks) if kb_examples else None
        tracker = build_local_tracker(settings.dialog, embed=embed, kb=profile)
        turn = make_turn(tracker, build_policy(settings.dialog), search, topic_of=labels.get)
        report = asyncio.run(run_dialogs(cases, turn))
        result = {**report.metrics(), "retrieval_floor": round(chosen_floor, 4), "embedder": embed.embedder.name,
                  "tracker_beyond_embedding_ms": _tracker_latency(tracker, cases)}  # fmt: skip
        if show_failures or as_json:
            result["failures"] = report.failures()
        _print(result, as_json, f"dialogs: {data}")
        if show_failures and not as_json:
            for f in report.failures():
                typer.echo(f"  FAIL {f['id']}: expected {f['expected']} got {f['got']} | {f['standalone']}")

    @cli.eval.command("sgd")
    def sgd(
        data: Path = typer.Option(None, help="SGD folder with dev/ and test/ (default: EVAL_DATA_DIR/sgd)"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object"),
        per_service: int = typer.Option(0, help="Only the first N dialogues of each service (0: all)"),
        embedder: str = typer.Option("all-minilm-l6-v2", help="Embedder of the local fallback"),
        max_tokens: int = typer.Option(0, help="Token budget of one state update (0: the schema's bound)"),
    ) -> None:
        """Active-intent accuracy and slot F1 of the LLM tracker on unseen SGD services (LLM__* model)."""
        from dialog.evaluation.sgd import build_trackers, load_dialogues, load_schemas, run_sgd

        settings, embed = _embedder(embedder)
        root = data or settings.eval_data_dir / "sgd"
        dialogues = load_dialogues(root)
        if per_service:
            counts: dict[str, int] = {}
            kept = []
            for d in dialogues:
                counts[d.service] = counts.get(d.service, 0) + 1
                if counts[d.service] <= per_service:
                    kept.append(d)
            dialogues = kept
        schemas = load_schemas(root)

        async def run() -> dict[str, Any]:
            client, call = await _llm_call(settings, max_tokens)
            try:
                trackers = build_trackers(schemas, call, embed, timeout_s=settings.llm.timeout_s)
                start = time.perf_counter()
                report = await run_sgd(
                    dialogues, trackers, progress=lambda i, n: typer.echo(f"{i}/{n}", err=True)
                )
                return {**report.metrics(), "model": client.model_name, "backend": settings.llm.backend,
                        "dialogues": len(dialogues), "seconds": round(time.perf_counter() - start, 1),
                        "examples": report.examples}  # fmt: skip
            finally:
                await client.aclose()

        _print(asyncio.run(run()), as_json, f"sgd {', '.join(schemas)} ({root})")


async def _llm_call(settings: Any, max_tokens: int) -> tuple[Any, Any]:
    """The app's LLM client and the ``(messages, schema) -> dict`` adapter the LLM tracker takes."""
    from llm_backend.factory import build_llm_client
    from llm_backend.types import ChatMessage

    client = build_llm_client(settings.llm, settings.data_dir)
    await client.warm_up()

    from dialog.tracker_llm import max_output_tokens

    async def call(messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]  # type: ignore[arg-type]
        budget = max_tokens or max_output_tokens(schema)
        out: dict[str, Any] = await client.structured(chat, schema, max_tokens=budget)
        return out

    return client, call


def _demo_search(
    settings: Any, embedder: Any, floor: str | None
) -> tuple[Any, float, list[Any], dict[str, str]]:
    """Hybrid retrieval over the demo KB. ``good_enough`` is the retriever's own (the configured floor or
    margin, as the chat turn sees it) unless ``floor`` is given: a number (best dense score >= it), or
    "golden": the floor that best separates the KB's answerable golden questions from the unanswerable
    ones (balanced accuracy). The signal is the chat turn's (``retrieval_signal``: passages for the scope
    checks, ``clear`` for the evidence gate). Also returns the chunks and each chunk id's label."""
    import dataclasses

    from app.chat.types import retrieval_signal
    from app.evals.cli.cmd_eval_answerability import demo_chunks, demo_retriever
    from dialog.protocols import RetrievalSignal
    from retrieval.evaluation.data import read_queries
    from retrieval.labels import display_label

    config = settings.retrieval
    kb_dir: Path = settings.demo_kb_dir
    chunks = demo_chunks(settings, kb_dir)
    retriever = demo_retriever(settings, embedder, kb_dir, chunks)
    labels = {c.chunk_id: display_label(c) for c in chunks}

    def top(query: str) -> float:
        hits = retriever.search(query, k=config.top_k).hits
        return max((h.dense_score or 0.0) for h in hits) if hits else 0.0

    fixed: float | None = None
    if floor == "golden":
        golden = read_queries(kb_dir / "golden_questions.jsonl")
        fixed = _best_floor([(top(q.query), bool(q.relevant)) for q in golden])
    elif floor is not None:
        try:
            fixed = float(floor)
        except ValueError:
            raise typer.BadParameter(f"--floor must be a number or 'golden', got {floor!r}") from None

    def search(track: Any) -> tuple[RetrievalSignal, list[str]]:
        result = retriever.search(track.standalone_query, k=config.top_k)
        signal = retrieval_signal(result)
        if fixed is not None:  # without --floor: the retriever's own verdict, as the chat turn uses it
            best = max((h.dense_score or 0.0) for h in result.hits) if result.hits else 0.0
            good = bool(result.hits) and best >= fixed
            signal = dataclasses.replace(signal, good_enough=good, clear=signal.clear and good)
        return signal, [h.chunk.chunk_id for h in result.hits[:3]]

    return search, (retriever.floor if fixed is None else fixed), chunks, labels


def _best_floor(scored: Sequence[tuple[float, bool]]) -> float:
    best, best_score = 0.0, -1.0
    for candidate in sorted({s for s, _ in scored}):
        pos = [s >= candidate for s, ok in scored if ok]
        neg = [s < candidate for s, ok in scored if not ok]
        score = (sum(pos) / len(pos) if pos else 0.0) + (sum(neg) / len(neg) if neg else 0.0)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _tracker_latency(tracker: Any, cases: Sequence[Any], rounds: int = 5) -> dict[str, float]:
    """Per-turn time of ``track_sync`` with every embedding already computed (the embedding is shared
    with retrieval, so this is the tracker's own cost), over all case turns, ``rounds`` times.

    Wall time on a shared 2-vCPU machine includes waiting for a CPU; the thread's CPU time does not.
    Both are reported (ms)."""
    from dialog.evaluation.metrics import percentile
    from dialog.events import UserSaid
    from dialog.state import DialogState

    wall: list[float] = []
    cpu: list[float] = []
    for round_ in range(rounds + 1):
        for case in cases:
            state = DialogState()
            for text in case.turns:
                start, start_cpu = time.perf_counter(), time.thread_time()
                result = tracker.track_sync(state, text)
                if round_:  # round 0 fills the embedding memo
                    wall.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.thread_time() - start_cpu) * 1000)
                for e in (UserSaid(text=text, lang=result.lang), *result.events):
                    state = state.apply(e)
    return {
        "wall_p50": round(percentile(wall, 50), 3),
        "wall_p95": round(percentile(wall, 95), 3),
        "cpu_p50": round(percentile(cpu, 50), 3),
        "cpu_p95": round(percentile(cpu, 95), 3),
        "n": len(wall),
    }
