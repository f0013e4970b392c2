"""Golden questions: a tenant's own (question -> expected documents) checks, and the publish gate.

``run_golden`` is pure: it searches a ``Retriever`` and reports recall@5 per question (documents ranked
by their best chunk). ``gate`` compares a candidate version's report with the active one's and refuses
when the candidate's mean recall@5 is lower by more than ``margin``; the decision lists every question
whose result changed, so an admin sees what a KB update broke (or fixed) before it goes live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.errors import PublishRefused
from retrieval.protocols import Retriever
from retrieval.types import SearchFilters

K = 5


@dataclass(frozen=True, slots=True)
class GoldenQuestion:
    id: str
    question: str
    expected: tuple[str, ...]  # document ids
    filters: SearchFilters | None = None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    id: str
    question: str
    expected: tuple[str, ...]
    found: tuple[str, ...]  # top-5 document ids, best first
    recall: float  # recall@5

    @property
    def rank(self) -> int | None:
        """1-based rank of the first expected document in ``found`` (None: not in the top 5)."""
        return next((i + 1 for i, d in enumerate(self.found) if d in self.expected), None)


@dataclass(frozen=True, slots=True)
class GoldenReport:
    version: str
    results: tuple[QuestionResult, ...]

    @property
    def recall_at_5(self) -> float:
        return sum(r.recall for r in self.results) / len(self.results) if self.results else 1.0


@dataclass(frozen=True, slots=True)
class QuestionChange:
    id: str
    question: str
    expected: tuple[str, ...]
    active_recall: float
    candidate_recall: float
    active_found: tuple[str, ...]
    candidate_found: tuple[str, ...]

    @property
    def direction(self) -> str:
        if self.candidate_recall < self.active_recall:
            return "worse"
        return "better" if self.candidate_recall > self.active_recall else "reordered"


@dataclass(frozen=True, slots=True)
class GateDecision:
    allowed: bool
    candidate_recall: float
    active_recall: float | None
    margin: float
    reason: str
    changes: tuple[QuestionChange, ...] = field(default=())

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise PublishRefused(self.reason, self)


def run_golden(
    retriever: Retriever, questions: Sequence[GoldenQuestion], *, version: str = ""
) -> GoldenReport:
    results = []
    seen_version = version
    for q in questions:
        if not q.expected:
            raise ValueError(f"golden question {q.id!r} names no expected document")
        res = retriever.search(q.question, k=K * 4, filters=q.filters)
        seen_version = seen_version or res.version
        found: dict[str, None] = {}
        for h in res.hits:
            found.setdefault(h.chunk.document_id, None)
            if len(found) == K:
                break
        top = tuple(found)
        recall = len(set(q.expected) & set(top)) / len(set(q.expected))
        results.append(QuestionResult(q.id, q.question, q.expected, top, recall))
    return GoldenReport(seen_version, tuple(results))


def gate(candidate: GoldenReport, active: GoldenReport | None, margin: float) -> GateDecision:
    """Allowed unless candidate recall@5 < active recall@5 - margin. With no active version (first
    publish) or no golden questions, publishing is allowed."""
    if active is None:
        return GateDecision(True, candidate.recall_at_5, None, margin, "first version: nothing to compare")
    before = {r.id: r for r in active.results}
    changes = []
    for r in candidate.results:
        a = before.get(r.id)
        if a is None or (a.recall, a.found) != (r.recall, r.found):
            changes.append(
                QuestionChange(
                    r.id,
                    r.question,
                    r.expected,
                    a.recall if a else 0.0,
                    r.recall,
                    a.found if a else (),
                    r.found,
                )  # fmt: skip
            )
    drop = active.recall_at_5 - candidate.recall_at_5
    worse = sum(1 for c in changes if c.direction == "worse")
    if drop > margin:
        reason = (
            f"recall@5 on golden questions would fall from {active.recall_at_5:.3f} to "
            f"{candidate.recall_at_5:.3f} (more than the {margin:.3f} margin); {worse} question(s) got worse"
        )
        return GateDecision(False, candidate.recall_at_5, active.recall_at_5, margin, reason, tuple(changes))
    reason = f"recall@5 {active.recall_at_5:.3f} -> {candidate.recall_at_5:.3f} (margin {margin:.3f})"
    return GateDecision(True, candidate.recall_at_5, active.recall_at_5, margin, reason, tuple(changes))


def check_publish(
    candidate: Retriever,
    active: Retriever | None,
    questions: Sequence[GoldenQuestion],
    margin: float,
) -> GateDecision:
    """Run the golden questions on both versions and gate (``decision.raise_if_refused()`` to enforce)."""
    if not questions:
        return GateDecision(True, 1.0, None, margin, "no golden questions")
    cand = run_golden(candidate, questions)
    act = run_golden(active, questions) if active is not None else None
    return gate(cand, act, margin)
