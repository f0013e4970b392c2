"""``app.evals.answerability``: the turn's decision path without the model, on the packages' fakes
(the real models run in ``test_eval_answerability.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.evals.answerability import judge, outcome_of, read_questions, report
from dialog.policy import Policy
from dialog.protocols import Decision
from dialog.testing import local_tracker
from retrieval.testing import KeywordRetriever
from retrieval.types import ChunkRecord, SearchResult

CHUNKS = [
    ChunkRecord(chunk_id=cid, document_id="faq.csv", text=text, embed_text=question, title="faq", lang="en")
    for cid, question, text in (
        ("c1", "What does a transfer to another bank cost?", "Transfers to other banks cost 5 yuan."),
        ("c2", "When are the branches open?", "Branches open 9:00-17:00 on weekdays."),
    )
]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_questions_read_the_golden_format_and_bad_lines_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.jsonl", [{"id": "a", "lang": "en", "query": "x?", "relevant": ["d"]},
                                         {"id": "b", "lang": "zh", "query": "y?", "relevant": []}])  # fmt: skip
    qs = read_questions(path, set_name="golden")
    assert [(q.id, q.answerable, q.set) for q in qs] == [("a", True, "golden"), ("b", False, "golden")]
    _write(path, [{"id": "a", "query": "x", "relevant": []}, {"id": "a", "query": "y", "relevant": []}])
    with pytest.raises(ValueError, match=r"q.jsonl:2: duplicate id"):
        read_questions(path, set_name="golden")
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.jsonl:1: not a question"):
        read_questions(path, set_name="golden")


def test_an_urgent_topic_with_a_good_retrieval_counts_as_answered() -> None:
    good, bad = SearchResult(hits=[], good_enough=True), SearchResult(hits=[], good_enough=False)
    urgent = Decision("handoff", "urgent_topic", message="...")
    assert outcome_of(urgent, good) == "answered"
    assert outcome_of(urgent, bad) == "handoff"
    assert outcome_of(Decision("dont_know", "out_of_scope"), bad) == "oos"
    assert outcome_of(Decision("dont_know", "no_answer"), bad) == "dont_know"
    assert outcome_of(Decision("answer", "smalltalk", message="hi"), bad) == "clarify"
    assert outcome_of(Decision("answer"), good) == "answered"


async def test_judge_counts_what_the_customer_would_get(tmp_path: Path) -> None:
    golden = _write(tmp_path / "g.jsonl", [
        {"id": "g1", "lang": "en", "query": "What does a transfer to another bank cost?", "relevant": ["faq.csv"]},
        {"id": "g2", "lang": "en", "query": "Do you sell car insurance?", "relevant": []},
    ])  # fmt: skip
    other = _write(
        tmp_path / "u.jsonl", [{"id": "u1", "lang": "en", "query": "zebra quantum poetry", "relevant": []}]
    )
    qs = read_questions(golden, set_name="golden") + read_questions(other, set_name="unanswerable")
    verdicts = await judge(
        qs, tracker=local_tracker(), policy=Policy(), retriever=KeywordRetriever(CHUNKS, floor=0.6), k=3
    )
    got = {v.question.id: v.outcome for v in verdicts}
    assert got["g1"] == "answered"
    assert got["g2"] in ("dont_know", "oos")
    assert got["u1"] in ("dont_know", "oos")
    out = report(verdicts)
    assert out["answerable"]["n"] == 1
    assert out["answerable"]["answered"] == 1
    assert out["golden_unanswerable"]["n"] == 1
    assert out["unanswerable"]["n"] == 1
    assert out["refusal"]["n"] == 2
    assert out["refusal_rate"] == 1.0
    assert out["answered_rate"] == 1.0
    assert out["wrong"] == []
