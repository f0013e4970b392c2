"""From the runs of the answer evaluation to verdicts and the report (pure: no I/O).

Report keys: ``answerable`` / ``answered_correctly`` (every gold fact, no contradicting figure) /
``facts_present`` (every gold fact, contradictions or not) / ``contradictions`` (answerable cases whose
last reply states a contradicting figure), ``unanswerable`` / ``refused_correctly``, ``bad_input`` /
``clear_replies``, ``server_errors`` (turns with a 5xx, no response or a broken stream), and the times of
every customer turn that got a whole reply (``first_text_*``: the first text on screen; ``final_*``: the
whole reply), p50 and p95 in milliseconds; the same per set (``by_set``); each failed case with its reason
in ``failures``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.evals.answer_driver import CaseRun
from app.evals.answer_grading import grade_answer, grade_clear, grade_refusal, percentile

Reason = Literal[
    "ok", "missing_fact", "contradiction", "missing_fact_and_contradiction", "not_refused", "forbidden_text",
    "http_error", "unclear_reply",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict:
    id: str
    set: str
    expect: str
    passed: bool
    reason: Reason
    facts_present: bool = False
    contradiction: bool = False
    missing: list[list[str]] = field(default_factory=list)
    off_figures: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    decision: str = ""
    decision_reason: str | None = None
    status: int = 0
    detail: str = ""
    reply: str = ""
    turns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    first_text_ms: list[float] = field(default_factory=list)
    final_ms: list[float] = field(default_factory=list)


def _server_failure(run: CaseRun) -> bool:
    return any(t.status == 0 or t.status >= 500 or t.stream_error for t in run.turns)


def judge(run: CaseRun) -> Verdict:
    """The verdict on one case: graded on its last reply (a case whose turns stopped early fails)."""
    case, last = run.case, run.last
    common: dict[str, Any] = dict(
        id=case.id, set=case.set, expect=case.expect, decision=last.decision, decision_reason=last.reason,
        status=last.status, detail=last.detail or (last.error_code or ""), reply=last.text, turns=case.turns,
        tags=case.tags,
        first_text_ms=[t.first_text_ms for t in run.turns if t.final and t.first_text_ms is not None],
        final_ms=[t.final_ms for t in run.turns if t.final and t.final_ms is not None],
    )  # fmt: skip
    if case.expect == "clear":
        verdicts = [grade_clear(t.status, final=t.final, text=t.text, decision=t.decision,
                                error_code=t.error_code, stream_error=t.stream_error) for t in run.turns]  # fmt: skip
        ok = len(run.turns) > 0 and all(v in ("clear_reply", "clear_error") for v in verdicts)
        bad = next((v for v in verdicts if v not in ("clear_reply", "clear_error")), "")
        return Verdict(
            passed=ok, reason="ok" if ok else "unclear_reply", **{**common, "detail": bad or common["detail"]}
        )
    complete = (
        len(run.turns) == len(case.turns) and last.status == 200 and last.final and not last.stream_error
    )
    if not complete:
        return Verdict(passed=False, reason="http_error", **common)
    if case.expect == "refuse":
        g = grade_refusal(
            last.text, last.decision, last.reason, forbid=case.forbid, accept_decisions=case.accept
        )
        reason: Reason = "ok" if g.correct else ("forbidden_text" if g.forbidden else "not_refused")
        return Verdict(passed=g.correct, reason=reason, forbidden=g.forbidden, **common)
    a = grade_answer(last.text, case.facts, kinds=case.kinds, allow=case.allow, asked=case.turns)
    if a.correct:
        reason = "ok"
    elif a.contradiction and not a.facts_present:
        reason = "missing_fact_and_contradiction"
    else:
        reason = "contradiction" if a.contradiction else "missing_fact"
    return Verdict(passed=a.correct, reason=reason, facts_present=a.facts_present, contradiction=a.contradiction,
                   missing=a.missing, off_figures=a.off_figures, **common)  # fmt: skip


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None


def summary(verdicts: Sequence[Verdict], runs: Sequence[CaseRun] = ()) -> dict[str, Any]:
    """The headline figures over ``verdicts`` (see the module docstring)."""
    answerable = [v for v in verdicts if v.expect == "answer"]
    unanswerable = [v for v in verdicts if v.expect == "refuse"]
    bad = [v for v in verdicts if v.expect == "clear"]
    first = [ms for v in verdicts for ms in v.first_text_ms]
    final = [ms for v in verdicts for ms in v.final_ms]
    out: dict[str, Any] = {
        "cases": len(verdicts),
        "answerable": len(answerable),
        "answered_correctly": sum(v.passed for v in answerable),
        "answered_rate": _rate(sum(v.passed for v in answerable), len(answerable)),
        "facts_present": sum(v.facts_present for v in answerable),
        "contradictions": sum(v.contradiction for v in answerable),
        "unanswerable": len(unanswerable),
        "refused_correctly": sum(v.passed for v in unanswerable),
        "refusal_rate": _rate(sum(v.passed for v in unanswerable), len(unanswerable)),
        "bad_input": len(bad),
        "clear_replies": sum(v.passed for v in bad),
        "http_errors": sum(v.reason == "http_error" for v in verdicts),
        "turns_timed": len(final),
        "first_text_p50_ms": percentile(first, 50),
        "first_text_p95_ms": percentile(first, 95),
        "final_p50_ms": percentile(final, 50),
        "final_p95_ms": percentile(final, 95),
        "decisions": dict(
            Counter(
                f"{v.decision}/{v.decision_reason}" if v.decision_reason else v.decision for v in verdicts
            )
        ),  # fmt: skip
    }
    if runs:
        out["server_errors"] = sum(_server_failure(r) for r in runs)
        out["models"] = dict(Counter(t.model or "-" for r in runs for t in r.turns if t.final))
    return out


def report(verdicts: Sequence[Verdict], runs: Sequence[CaseRun] = ()) -> dict[str, Any]:
    """``summary`` over everything, per set, the failure reasons counted, and each failed case."""
    out = summary(verdicts, runs)
    sets = sorted({v.set for v in verdicts})
    out["by_set"] = {s: summary([v for v in verdicts if v.set == s]) for s in sets}
    for part in out["by_set"].values():
        part.pop("decisions", None)
    out["failure_reasons"] = dict(Counter(v.reason for v in verdicts if not v.passed))
    out["failures"] = [
        {
            "id": v.id, "set": v.set, "reason": v.reason, "turns": list(v.turns), "decision": v.decision,
            "decision_reason": v.decision_reason, "missing": v.missing, "off_figures": v.off_figures,
            "forbidden": v.forbidden, "status": v.status, "detail": v.detail, "reply": v.reply[:600],
            "tags": list(v.tags),
        }
        for v in verdicts
        if not v.passed
    ]  # fmt: skip
    return out
