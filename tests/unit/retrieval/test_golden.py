"""Golden questions and the publish gate: a KB update that breaks answers is refused, with a diff."""

from __future__ import annotations

import pytest

from retrieval.errors import PublishRefused
from retrieval.golden import GoldenQuestion, check_publish, gate, run_golden
from retrieval.testing import KeywordRetriever
from tests.unit.retrieval import corpus

QUESTIONS = [
    GoldenQuestion("g1", "mortgage repay early", ("loans-2",)),
    GoldenQuestion("g2", "debit card lost", ("cards-5",)),
    GoldenQuestion("g3", "online banking password reset", ("online-1",)),
    GoldenQuestion("g4", "international wire transfers fees", ("fx-2",)),
]


def retriever_without(*docs: str, version: str = "cand") -> KeywordRetriever:
    return KeywordRetriever([c for c in corpus.chunks() if c.document_id not in docs], version=version)


def test_report_has_recall_at_5_and_rank_per_question() -> None:
    report = run_golden(KeywordRetriever(corpus.chunks(), version="v1"), QUESTIONS)
    assert report.version == "v1"
    assert report.recall_at_5 == 1.0
    assert [r.rank for r in report.results] == [1, 1, 1, 1]


def test_gate_refuses_a_version_that_loses_answers_and_says_which() -> None:
    active = KeywordRetriever(corpus.chunks(), version="v1")
    candidate = retriever_without("fx-2", "loans-2")
    decision = check_publish(candidate, active, QUESTIONS, margin=0.1)
    assert decision.allowed is False
    assert decision.active_recall == 1.0
    assert decision.candidate_recall == 0.5
    worse = [c for c in decision.changes if c.direction == "worse"]
    assert sorted(c.id for c in worse) == ["g1", "g4"]
    assert "1.000 to 0.500" in decision.reason
    with pytest.raises(PublishRefused) as info:
        decision.raise_if_refused()
    assert info.value.code == "publish_refused"


def test_gate_allows_a_drop_within_the_margin_and_a_first_version() -> None:
    active = run_golden(KeywordRetriever(corpus.chunks()), QUESTIONS)
    small_loss = run_golden(retriever_without("fx-2"), QUESTIONS)
    assert gate(small_loss, active, margin=0.25).allowed is True
    assert gate(small_loss, active, margin=0.2).allowed is False
    assert gate(small_loss, None, margin=0.0).allowed is True


def test_improvements_are_reported_but_never_refused() -> None:
    active = run_golden(retriever_without("cards-5"), QUESTIONS)
    candidate = run_golden(KeywordRetriever(corpus.chunks()), QUESTIONS)
    decision = gate(candidate, active, margin=0.0)
    assert decision.allowed is True
    assert [(c.id, c.direction) for c in decision.changes] == [("g2", "better")]


def test_a_golden_question_must_name_a_document() -> None:
    with pytest.raises(ValueError, match="no expected document"):
        run_golden(KeywordRetriever(corpus.chunks()), [GoldenQuestion("x", "q", ())])
