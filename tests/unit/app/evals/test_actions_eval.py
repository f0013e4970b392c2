"""``kefu eval actions``: the shipped case files hold what the issue asks for, and the grading counts what
must never happen (a harness that could not report a violation would prove nothing)."""

from __future__ import annotations

from pathlib import Path

from app.evals.actions_eval import ActionCase, CaseResult, load_cases, summarise

DATA = Path(__file__).resolve().parents[4] / "data" / "actions"


def test_case_files() -> None:
    dev = load_cases([DATA / "actions_dev.jsonl"])
    held = load_cases([DATA / "actions_heldout.jsonl"])
    cases = dev + held
    assert len(cases) >= 80
    assert len({c.id for c in cases}) == len(cases)
    assert {c.lang for c in dev} == {c.lang for c in held} == {"zh", "en"}
    assert any(not c.verified for c in held)
    assert any(c.otp == "wrong" for c in held)
    assert any(c.twice for c in held)
    assert any(c.expect_action is None for c in held)


def _case(**kw: object) -> ActionCase:
    base: dict[str, object] = {"id": "x", "lang": "en", "verified": True, "turns": ["freeze my card"],
                               "expect": {"action": "freeze_card", "args": {"card_last4": "8888"}, "executed": True}}  # fmt: skip
    base.update(kw)
    return ActionCase.of(base)


def test_grading_counts_violations() -> None:
    good = CaseResult(_case(), action="freeze_card", args={"card_last4": "8888"}, executed=True)
    wrong_args = CaseResult(_case(id="a"), action="freeze_card", args={"card_last4": "4321"}, executed=True)
    unconfirmed = CaseResult(_case(id="b"), action="freeze_card", args={"card_last4": "8888"}, executed=True,
                             unconfirmed_writes=1)  # fmt: skip
    twice = CaseResult(
        _case(id="c"), action="freeze_card", args={"card_last4": "8888"}, executed=True, duplicates=1
    )
    unverified = CaseResult(_case(id="d", verified=False), action="freeze_card", unverified_calls=True)
    out = summarise([good, wrong_args, unconfirmed, twice, unverified])
    assert out["n"] == 5
    assert out["action_accuracy"] == 1.0
    assert out["args_accuracy"] == 0.6  # wrong_args and unverified (no args read) miss
    assert out["executed_without_confirmation"] == 1
    assert out["duplicate_executions"] == 1
    assert out["executed_unverified"] == 1
    assert {f["id"] for f in out["failures"]} == {"a", "d"}
