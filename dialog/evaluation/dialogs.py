"""Multi-turn dialog evaluation: conversations in, the last turn's decision (and reason) scored.

Input (JSONL): ``{"id", "lang", "turns": [customer messages], "expect": {"decision", "reason"?,
"standalone"?: [substrings the last turn's standalone question must contain], "standalone_not"?: [substrings
it must not contain: the entity a follow-up replaced]}}``. A **trap** expects ``{"handoff": false}``
instead of a decision: any decision but a handoff passes (a message that mentions 人工, a person or a bot
without asking for one). Handoff recall counts every case that expects a handoff (whatever the reason);
precision counts every case whose last turn handed off; ``traps_handed_off`` lists the traps that did.
The harness takes the turn as a function, so the same cases run against tracker + policy (``make_turn``)
or against the app's full chat turn.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialog.evaluation.metrics import percentile, precision_recall
from dialog.events import BotSaid, Event, UserSaid
from dialog.handoff import summarise
from dialog.policy import Policy, events_for_decision
from dialog.protocols import Decision, RetrievalSignal, Tracker, TrackResult
from dialog.state import DialogState

ACTIONS = ("answer", "clarify", "handoff", "dont_know")


@dataclass(frozen=True, slots=True)
class DialogCase:
    id: str
    lang: str
    turns: tuple[str, ...]
    decision: str | None  # None: a trap (any decision but a handoff)
    reason: str | None = None
    standalone: tuple[str, ...] = ()
    standalone_not: tuple[str, ...] = ()

    @property
    def trap(self) -> bool:
        return self.decision is None


def load_dialog_cases(path: Path) -> list[DialogCase]:
    """Parse and check the JSONL file; errors name the line."""
    cases: list[DialogCase] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw["expect"]
            trap = expect.get("handoff") is False and "decision" not in expect
            case = DialogCase(
                id=str(raw["id"]),
                lang=str(raw.get("lang", "")),
                turns=tuple(str(t) for t in raw["turns"]),
                decision=None if trap else str(expect["decision"]),
                reason=expect.get("reason"),
                standalone=tuple(expect.get("standalone", ())),
                standalone_not=tuple(expect.get("standalone_not", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{n}: not a dialog case ({exc})") from exc
        if case.decision is not None and case.decision not in ACTIONS:
            raise ValueError(f"{path}:{n}: decision must be one of {ACTIONS}, got {case.decision!r}")
        if not case.turns:
            raise ValueError(f"{path}:{n}: no turns")
        if case.id in seen:
            raise ValueError(f"{path}:{n}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return cases


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    state: DialogState  # after the turn
    decision: Decision
    standalone_query: str
    track_ms: float = 0.0  # the tracker's time on this turn


TurnFn = Callable[[DialogState, str], Awaitable[TurnOutcome]]
SearchFn = Callable[[TrackResult], tuple[RetrievalSignal, Sequence[str]]]


def make_turn(
    tracker: Tracker, policy: Policy, search: SearchFn, *, topic_of: Callable[[str], str | None] | None = None
) -> TurnFn:
    """The turn as the app runs it, minus generation: track, persist, retrieve, decide, persist.

    ``search`` returns the retrieval signal and the ids of the chunks an answer would cite; ``topic_of``
    gives a chunk id's label (the answer's ``BotSaid.topic``, as the app records it).
    """

    async def turn(state: DialogState, text: str) -> TurnOutcome:
        start = time.perf_counter()
        track = await tracker.track(state, text)
        track_ms = (time.perf_counter() - start) * 1000
        for e in (UserSaid(text=text, lang=track.lang), *track.events):
            state = state.apply(e)
        if state.mode != "bot":
            decision = Decision("handoff", "agent_handling")
            return TurnOutcome(state, decision, track.standalone_query, track_ms)
        signal, chunk_ids = search(track)
        decision = policy(state, track, signal)
        reason = decision.reason or ""
        events: list[Event] = events_for_decision(decision, signal, summary=summarise(state, reason))
        cited = list(chunk_ids) if decision.action == "answer" and decision.message is None else []
        topic = (topic_of(cited[0]) or "") if cited and topic_of is not None else ""
        # An answer stands in as the passages it would cite, so two answers from the same passage read
        # the same (as two composed answers from one passage do) and answers from different ones do not.
        text = decision.message or f"(answer from {', '.join(cited) or 'nothing'})"
        events.append(BotSaid(text=text, citations=cited, decision=decision.action, topic=topic))
        for e in events:
            state = state.apply(e)
        return TurnOutcome(state, decision, track.standalone_query, track_ms)

    return turn


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: DialogCase
    decision: str
    reason: str | None
    standalone: str
    decision_ok: bool
    reason_ok: bool
    standalone_ok: bool | None  # None when the case sets no expectation

    @property
    def passed(self) -> bool:
        return self.decision_ok and self.reason_ok and self.standalone_ok is not False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id,
            "expected": ["not handoff", None] if self.case.trap else [self.case.decision, self.case.reason],
            "got": [self.decision, self.reason],
            "standalone": self.standalone,
            "passed": self.passed,
        }


@dataclass
class DialogReport:
    results: list[CaseResult]
    track_ms: list[float] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        results = self.results
        n = len(results)
        handoff_gold = [r.case.decision == "handoff" for r in results]
        handoff_got = [r.decision == "handoff" for r in results]
        precision, recall = precision_recall(handoff_gold, handoff_got)
        traps = [r for r in results if r.case.trap]
        rewrites = [r for r in results if r.standalone_ok is not None]
        return {
            "decision_accuracy": round(sum(r.decision_ok and r.reason_ok for r in results) / n, 4)
            if n
            else 0.0,
            "action_accuracy": round(sum(r.decision_ok for r in results) / n, 4) if n else 0.0,
            "handoff_precision": round(precision, 4),
            "handoff_recall": round(recall, 4),
            "n_handoff": sum(handoff_gold),
            "n_traps": len(traps),
            "traps_handed_off": [r.case.id for r in traps if r.decision == "handoff"],
            "rewrite_pass_rate": round(sum(bool(r.standalone_ok) for r in rewrites) / len(rewrites), 4)
            if rewrites
            else None,
            "n_rewrite": len(rewrites),
            "pass_rate": round(sum(r.passed for r in results) / n, 4) if n else 0.0,
            "n": n,
            "track_p50_ms": round(percentile(self.track_ms, 50), 2),
            "track_p95_ms": round(percentile(self.track_ms, 95), 2),
        }

    def failures(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.results if not r.passed]


def _normalise(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum() or ch in "<>_")


async def run_dialogs(
    cases: Sequence[DialogCase], turn: TurnFn, *, fresh: Callable[[], DialogState] = DialogState
) -> DialogReport:
    """Play every case from a fresh state; score the last turn."""
    report = DialogReport(results=[])
    for case in cases:
        state = fresh()
        outcome: TurnOutcome | None = None
        for text in case.turns:
            outcome = await turn(state, text)
            state = outcome.state
            report.track_ms.append(outcome.track_ms)
        assert outcome is not None
        got = outcome.decision
        got_q = _normalise(outcome.standalone_query)
        standalone_ok = (
            all(_normalise(s) in got_q for s in case.standalone)
            and not any(_normalise(s) in got_q for s in case.standalone_not)
            if case.standalone or case.standalone_not
            else None
        )
        report.results.append(
            CaseResult(
                case=case,
                decision=got.action,
                reason=got.reason,
                standalone=outcome.standalone_query,
                decision_ok=got.action != "handoff" if case.trap else got.action == case.decision,
                reason_ok=case.reason is None or got.reason == case.reason,
                standalone_ok=standalone_ok,
            )
        )
    return report
