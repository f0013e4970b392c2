"""Answerability of a knowledge base through the turn's own decision path, without the model.

Each question runs from a fresh conversation through what the chat turn does before generation: the
tracker (language, intent, out-of-scope, slots, the standalone question), the retriever's ``search`` with
the tracker's filters (and again without them when a filter narrowed too far, as ``ChatTurn._retrieve``
does), its ``good_enough`` verdict (the floor), and the policy. The outcome is what the customer would get:

- ``answered``: the policy lets the model answer (or, on an urgent topic with a good retrieval, the turn
  answers from the KB and then hands off);
- ``dont_know``: "I don't know" (``no_answer``: under the floor; ``not_covered``: a product line or
  payment firm no passage mentions), ``oos``: "out of scope" (``other_institution``: another bank's
  products);
- ``handoff`` (without an answer) and ``clarify`` (a missing slot is asked for first).

A question the KB answers should be ``answered``; one it does not (a golden question with no relevant
document, or the hand-written unanswerable set) should be refused (anything but ``answered``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.chat.decision import answers_first
from app.chat.search import search_for_turn
from app.chat.types import retrieval_signal
from app.evals.jsonl import read_items
from dialog.events import UserSaid
from dialog.policy import Policy
from dialog.protocols import Decision, Tracker, TrackResult
from dialog.state import DialogState
from retrieval.protocols import Retriever
from retrieval.types import SearchResult

Outcome = Literal["answered", "dont_know", "oos", "handoff", "clarify"]
OUTCOMES: tuple[Outcome, ...] = ("answered", "dont_know", "oos", "handoff", "clarify")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    lang: str
    query: str
    answerable: bool
    set: str  # which file it came from ("golden", "unanswerable")


def read_questions(path: Path, *, set_name: str) -> list[Question]:
    """JSONL of ``{"id", "lang", "query", "relevant": [...]}`` (the golden-question format): an empty
    ``relevant`` marks a question the KB does not answer. Errors name the line."""

    def parse(line: str) -> Question:
        try:
            raw = json.loads(line)
            q = Question(str(raw["id"]), str(raw.get("lang", "")), str(raw["query"]),
                         bool(raw["relevant"]), set_name)  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a question ({exc})") from exc
        if not q.query.strip():
            raise ValueError("empty query")
        return q

    return read_items(path, parse, lambda q: q.id)


@dataclass(frozen=True, slots=True)
class Verdict:
    question: Question
    outcome: Outcome
    action: str
    reason: str | None
    intent: str
    intent_confidence: float
    good_enough: bool
    dense: float  # best dense similarity among the hits (the e5 side of the floor)
    top_score: float  # fused score of the top hit

    @property
    def correct(self) -> bool:
        return (self.outcome == "answered") == self.question.answerable

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.question.id, "set": self.question.set, "query": self.question.query,
                "answerable": self.question.answerable, "outcome": self.outcome, "action": self.action,
                "reason": self.reason, "intent": self.intent,
                "intent_confidence": round(self.intent_confidence, 3), "good_enough": self.good_enough,
                "dense": round(self.dense, 4), "top_score": round(self.top_score, 4)}  # fmt: skip


def outcome_of(decision: Decision, result: SearchResult) -> Outcome:
    if decision.action == "answer":
        return "clarify" if decision.reason == "smalltalk" else "answered"
    if decision.action == "handoff":
        # the turn answers an urgent topic from the KB before handing off (the same rule)
        return "answered" if answers_first(decision, good_enough=result.good_enough) else "handoff"
    if decision.action == "dont_know":
        return "oos" if decision.reason in ("out_of_scope", "other_institution") else "dont_know"
    return "clarify"


def search_as_the_turn(retriever: Retriever, track: TrackResult, k: int) -> SearchResult:
    """``ChatTurn._retrieve`` without the KB lookup (``app.chat.search``: the filters as a preference)."""
    return search_for_turn(
        retriever,
        track.standalone_query,
        k=k,
        prefer=track.retrieval_filters,
        analyzer=getattr(retriever, "analyzer", None),
    )


async def judge(
    questions: Sequence[Question], *, tracker: Tracker, policy: Policy, retriever: Retriever, k: int
) -> list[Verdict]:
    """Each question as the first message of a fresh conversation."""
    verdicts = []
    for q in questions:
        state = DialogState()
        track = await tracker.track(state, q.query)
        for event in (UserSaid(text=q.query, lang=track.lang), *track.events):
            state = state.apply(event)
        result = search_as_the_turn(retriever, track, k)
        top = result.hits[0].score if result.hits else 0.0
        signal = retrieval_signal(result)
        decision = policy(state, track, signal)
        dense = max((h.dense_score or 0.0 for h in result.hits), default=0.0)
        verdicts.append(
            Verdict(
                q,
                outcome_of(decision, result),
                decision.action,
                decision.reason,
                track.intent,
                track.confidence,
                result.good_enough,
                dense,
                top,
            )  # fmt: skip
        )
    return verdicts


@dataclass
class Tally:
    n: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return self.outcomes["answered"]

    def as_dict(self) -> dict[str, int]:
        return {"n": self.n, **{o: self.outcomes[o] for o in OUTCOMES}}


def tally(verdicts: Sequence[Verdict]) -> dict[str, Tally]:
    """Counts per group: ``answerable`` (golden questions with documents), ``golden_unanswerable``,
    ``unanswerable`` (the hand-written set), and ``refusal`` = every question the KB does not answer."""
    groups: dict[str, Tally] = {}
    for v in verdicts:
        q = v.question
        if q.answerable:
            names = ["answerable"]
        else:
            names = ["golden_unanswerable" if q.set == "golden" else "unanswerable", "refusal"]
        for name in names:
            t = groups.setdefault(name, Tally())
            t.n += 1
            t.outcomes[v.outcome] += 1
    return groups


def report(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    groups = tally(verdicts)
    out: dict[str, Any] = {name: t.as_dict() for name, t in groups.items()}
    if "answerable" in groups:
        a = groups["answerable"]
        out["answered_rate"] = round(a.answered / a.n, 4) if a.n else None
    if "refusal" in groups:
        r = groups["refusal"]
        out["refusal_rate"] = round((r.n - r.answered) / r.n, 4) if r.n else None
    out["wrong"] = [v.as_dict() for v in verdicts if not v.correct]
    return out
