"""The evaluation harnesses: metrics, intent scoring, the dialog runner and its case file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dialog.classifier import ClassifierParams, IntentClassifier
from dialog.evaluation.dialogs import DialogCase, load_dialog_cases, make_turn, run_dialogs
from dialog.evaluation.intents import choose_threshold, evaluate_intents, oos_point, read_labelled_csv
from dialog.evaluation.metrics import accuracy, macro_f1, percentile, precision_recall
from dialog.policy import Policy
from dialog.protocols import RetrievalSignal, TrackResult
from dialog.testing import hash_embed
from dialog.tracker_local import LocalTracker

CASES = Path(__file__).resolve().parents[3] / "data" / "dialog_eval.jsonl"
HANDOFF_DEV = CASES.with_name("handoff_eval.jsonl")
HANDOFF_HELDOUT = CASES.with_name("handoff_heldout.jsonl")


def test_metrics() -> None:
    assert accuracy(["a", "b", "c", "a"], ["a", "b", "a", "a"]) == 0.75
    # a: p=2/3 r=1 f=0.8; b: 1; c: 0 -> 0.6
    assert macro_f1(["a", "b", "c", "a"], ["a", "b", "a", "a"]) == pytest.approx(0.6)
    assert precision_recall([True, False, True], [True, True, False]) == (0.5, 0.5)
    assert precision_recall([False], [False]) == (1.0, 1.0)
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([], 95) == 0.0
    with pytest.raises(ValueError, match="differ"):
        accuracy(["a"], [])


def test_read_labelled_csv(tmp_path: Path) -> None:
    good = tmp_path / "t.csv"
    good.write_text('text,category\n"card, lost",lost_card\nhello,greet\n,empty\n', encoding="utf-8")
    assert read_labelled_csv(good) == (["card, lost", "hello"], ["lost_card", "greet"])
    bad = tmp_path / "b.csv"
    bad.write_text("utterance,label\nhi,greet\n", encoding="utf-8")
    with pytest.raises(ValueError, match="text,category"):
        read_labelled_csv(bad)


def _toy() -> tuple[list[str], list[str]]:
    texts = ["lost my card", "card was lost", "I lost the card", "transfer money", "send a transfer",
             "make a transfer now", "what's the weather", "tell me a joke", "weather tomorrow"]  # fmt: skip
    labels = ["lost"] * 3 + ["transfer"] * 3 + ["out_of_scope"] * 3
    return texts, labels


def test_evaluate_intents_scores_a_held_out_set() -> None:
    train = _toy()
    test = (["my card is lost", "transfer some money"], ["lost", "transfer"])
    report = evaluate_intents(IntentClassifier(hash_embed), train, test)
    assert report.accuracy == 1.0
    assert report.macro_f1 == 1.0
    assert (report.n, report.n_train, report.n_labels) == (2, 9, 3)


def test_out_of_scope_threshold_choice() -> None:
    clf = IntentClassifier(hash_embed, ClassifierParams(char_ngrams=(0, 0))).fit(*_toy())
    texts = ["lost my card", "transfer money", "tell me a joke", "weather today"]
    gold = ["lost", "transfer", "out_of_scope", "out_of_scope"]
    probs = clf.probabilities(texts)
    everything = oos_point(clf, probs, gold, 0.999)
    assert everything.oos_recall == 1.0
    assert everything.in_scope_accuracy == 0.0
    chosen = choose_threshold(clf, probs, gold, target_recall=1.0)
    assert chosen.oos_recall == 1.0
    assert chosen.threshold <= 0.95


def test_the_shipped_cases_are_valid_and_broad() -> None:
    cases = load_dialog_cases(CASES)
    assert len(cases) >= 30
    assert sum(len(c.turns) > 1 for c in cases) >= 20
    langs = {c.lang for c in cases}
    assert {"zh", "en"} <= langs
    reasons = {c.reason for c in cases if c.decision == "handoff"}
    assert reasons == {"explicit_request", "urgent_topic", "frustration", "repeated_failure"}
    assert {c.decision for c in cases} == {"answer", "clarify", "handoff", "dont_know"}
    assert max(len(t) for c in cases for t in c.turns) >= 3500  # the very long message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x", "turns": ["hi"]}', "not a dialog case"),
        ('{"id": "x", "turns": ["hi"], "expect": {"decision": "maybe"}}', "decision must be"),
        ('{"id": "x", "turns": [], "expect": {"decision": "answer"}}', "no turns"),
    ],
)
def test_bad_case_files_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_dialog_cases(path)


async def test_runner_scores_the_last_turn(tracker: LocalTracker) -> None:
    def search(track: TrackResult) -> tuple[RetrievalSignal, list[str]]:
        good = "分期" in track.standalone_query or "transfer" in track.standalone_query.lower()
        return RetrievalSignal(good_enough=good, top_score=0.9 if good else 0.1, n_hits=3), ["c1", "c2"]

    cases = [
        DialogCase(
            "a", "zh", ("信用卡分期怎么申请？", "那手续费呢？"), "answer", standalone=("分期", "手续费")
        ),
        DialogCase("b", "zh", ("信用卡分期怎么申请？", "转人工"), "handoff", "explicit_request"),
        DialogCase("c", "zh", ("股票代码是多少", "行长是谁"), "handoff", "repeated_failure"),
        DialogCase("d", "en", ("How long does a transfer take?",), "dont_know"),  # wrong on purpose
    ]
    report = await run_dialogs(cases, make_turn(tracker, Policy(), search))
    metrics = report.metrics()
    assert [r.passed for r in report.results] == [True, True, True, False]
    assert metrics["decision_accuracy"] == 0.75
    assert metrics["handoff_precision"] == 1.0
    assert metrics["handoff_recall"] == 1.0
    assert metrics["rewrite_pass_rate"] == 1.0
    assert metrics["n"] == 4
    assert report.failures()[0]["id"] == "d"
    assert report.results[0].standalone == "信用卡分期的手续费是多少？"
    json.dumps(metrics)


def test_the_shipped_handoff_sets_have_traps_and_paraphrases() -> None:
    for path, least in ((HANDOFF_DEV, 60), (HANDOFF_HELDOUT, 20)):
        cases = load_dialog_cases(path)
        assert len(cases) >= least
        assert {c.lang for c in cases} == {"zh", "en"}
        assert sum(c.trap for c in cases) >= 5
        assert sum(c.decision == "handoff" for c in cases) >= least // 2


async def test_a_trap_passes_unless_it_hands_off(tracker: LocalTracker, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lines = [
        {"id": "trap-ok", "lang": "zh", "turns": ["人工客服电话是多少"], "expect": {"handoff": False}},
        {"id": "trap-bad", "lang": "zh", "turns": ["转人工"], "expect": {"handoff": False}},
        {"id": "human", "lang": "zh", "turns": ["叫你们经理来"], "expect": {"decision": "handoff"}},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    cases = load_dialog_cases(path)
    assert [c.trap for c in cases] == [True, True, False]

    def search(track: TrackResult) -> tuple[RetrievalSignal, list[str]]:
        return RetrievalSignal(good_enough=True, top_score=0.9, n_hits=3), ["c1"]

    report = await run_dialogs(cases, make_turn(tracker, Policy(), search))
    metrics = report.metrics()
    assert [r.passed for r in report.results] == [True, False, True]
    assert (metrics["n_traps"], metrics["traps_handed_off"]) == (2, ["trap-bad"])
    assert (metrics["handoff_recall"], metrics["handoff_precision"]) == (1.0, 0.5)
    assert report.failures()[0]["expected"] == ["not handoff", None]


async def test_after_a_handoff_the_bot_stays_quiet(tracker: LocalTracker) -> None:
    def search(track: TrackResult) -> tuple[RetrievalSignal, list[str]]:
        return RetrievalSignal(good_enough=True), ["c1"]

    cases = [DialogCase("a", "zh", ("转人工", "信用卡分期怎么申请？"), "handoff", "agent_handling")]
    report = await run_dialogs(cases, make_turn(tracker, Policy(), search))
    assert report.results[0].passed


def test_embeddings_are_l2_rows() -> None:
    v = hash_embed(["abc", "你好", ""])
    assert v.shape == (3, 256)
    assert np.allclose(np.linalg.norm(v[:2], axis=1), 1.0)
