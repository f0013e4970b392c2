"""``kefu eval retrieval`` on a small KB folder and on a JSONL KB, as a bank would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import build_cli
from retrieval.evaluation.metrics import QueryOutcome, mrr_at, ndcg_at, recall_at, summarize


def write_kb(root: Path) -> tuple[Path, Path]:
    kb = root / "kb"
    (kb / "cards").mkdir(parents=True)
    (kb / "cards" / "faq.csv").write_text(
        "question,answer\nHow do I report a lost card?,Call the hotline to block it.\n"
        "What is the annual fee?,The gold card has no annual fee.\n",
        encoding="utf-8",
    )
    (kb / "loans.md").write_text(
        "# Mortgage\n\nYou can repay your mortgage early for a 1% fee.\n", encoding="utf-8"
    )
    (kb / "broken.pdf").write_bytes(b"not a pdf")
    queries = root / "queries.jsonl"
    rows = [
        {"id": "1", "lang": "en", "query": "I lost my card, what now?", "relevant": ["cards/faq.csv"]},
        {"id": "2", "lang": "en", "query": "early mortgage repayment fee", "relevant": ["loans.md"]},
        {"id": "3", "lang": "en", "query": "What time does the museum open?", "relevant": []},
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return kb, queries


@pytest.mark.models
def test_eval_retrieval_json_on_a_folder_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    kb, queries = write_kb(tmp_path)
    result = CliRunner().invoke(
        build_cli(),
        [
            "eval",
            "retrieval",
            "--kb",
            str(kb),
            "--queries",
            str(queries),
            "--json",
            "--embedder",
            "all-minilm-l6-v2",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "no_answer_precision",
        "no_answer_recall",
        "n",
    ):
        assert key in out
    assert out["n"] == 2
    assert out["recall@5"] == 1.0
    assert out["documents"] == 2
    assert out["rejected"] == 1
    floors = out["floors"]  # the floor's errors at the default floor and at the KB's own
    assert set(floors["default"]) >= {"floor", "margin", "let_through", "no_answer_recall"}
    assert floors["calibrated"] is None  # MiniLM has no calibration bounds (e5 has)
    assert "broken.pdf: type_mismatch" in result.stderr


def test_metrics_by_hand() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c"}, 2) == 0.0
    assert recall_at(ranked, {"b", "x"}, 5) == 0.5
    assert mrr_at(ranked, {"c"}, 10) == pytest.approx(1 / 3)
    assert ndcg_at(ranked, {"a"}, 10) == 1.0
    assert ndcg_at(ranked, {"b"}, 10) == pytest.approx(1 / 1.5849625, rel=1e-6)
    m = summarize([
        QueryOutcome("1", frozenset({"a"}), ("a", "b"), True),
        QueryOutcome("2", frozenset({"z"}), ("a", "b"), False),
        QueryOutcome("3", frozenset(), ("a",), False),
        QueryOutcome("4", frozenset(), ("a",), True),
    ])  # fmt: skip
    assert (m["n"], m["n_no_answer"], m["recall@1"]) == (2, 2, 0.5)
    assert m["no_answer_precision"] == 0.5  # declined 2, one truly unanswerable
    assert m["no_answer_recall"] == 0.5  # 2 unanswerable, one declined


def test_suite_scoring_path_equals_the_production_search_path() -> None:
    """The suite scores many fusion methods over shared candidates; for our configuration it must rank
    exactly as ``HybridRetriever.search`` does (else the published figures would not be the product's)."""
    from retrieval.config import RetrievalConfig
    from retrieval.evaluation.data import EvalQuery
    from retrieval.evaluation.runner import (
        build_retriever,
        evaluate_methods,
        evaluate_search,
        standard_methods,
    )
    from retrieval.testing import HashEmbedder
    from tests.unit.retrieval import corpus, models

    config = RetrievalConfig()
    r = build_retriever(corpus.chunks(), HashEmbedder(), models.analyzer(), config, log=lambda m: None)
    qs = [EvalQuery(str(i), q, (doc,)) for i, (doc, _l, _c, _p, q, _a) in enumerate(corpus.FAQ)]
    qs += [EvalQuery("x1", "credit card fee 年费", ("cards-1",)), EvalQuery("x2", "lost card 挂失", ())]
    suite = evaluate_methods(r, qs, standard_methods(config))["hybrid"]
    prod = evaluate_search(r, qs)
    assert [o.ranked for o in suite.outcomes] == [o.ranked for o in prod.outcomes]
    assert [o.answered for o in suite.outcomes] == [o.answered for o in prod.outcomes]
