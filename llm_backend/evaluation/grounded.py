"""Answer quality on a small grounded set: the demo KB's ``answer_eval.jsonl`` (30 answerable questions
with gold facts, 5 the KB does not answer), passages from the demo KB via ``toy_kb.LexicalRanker``.

Per answerable question: did the answer cite a passage of a relevant document, and contain every gold
fact (spaces ignored, case-insensitive)? Per unanswerable question: did it say the documents do not
answer? Also reported: how often all gold facts were in the passages at all (what retrieval allowed),
and false "I don't know"s on answerable questions.

Each answer is graded twice when ``evaluate`` gets a ``serve`` function: the model's raw answer, and the
answer the customer is served after the chat turn's own post-processing (citation attribution, the
quoted passage instead of an answer no passage supports, no-answer detection). The turn lives in ``app``,
which this package does not import: ``app`` passes its function in (``app/evals/cli/cmd_eval_llm.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from llm_backend.composer import ClauseComposer
from llm_backend.config import LLMConfig
from llm_backend.errors import LLMError
from llm_backend.evaluation.toy_kb import KbPassage, LexicalRanker, load_demo_kb
from llm_backend.figures import figures, number
from llm_backend.prompt_text import cited_numbers, is_no_answer
from llm_backend.prompts import build_rag_prompt, with_evidence
from llm_backend.protocols import LLMClient
from llm_backend.types import BuiltPrompt, Lang, Passage


def _norm(text: str) -> str:
    return "".join(text.split()).casefold()


def contradicts(answer: str, gold_facts: Sequence[str], question: str = "") -> bool:
    """The answer states a figure of a kind the gold facts have (a rate, amount, duration, clock time,
    count) with a value that no gold fact (nor the question) has: a wrong figure, or another variant's
    beside the right one. A bare gold number (``300``) stands for an amount or a count."""
    kinds: set[str] = set()
    values: set[Decimal] = set()
    for fact in gold_facts:
        found = figures(fact)
        kinds.update(f.kind for f in found)
        values.update(f.value for f in found)
        bare = number(fact.replace(" ", ""))
        if not found and bare is not None:
            kinds.update({"amount", "count"})
            values.add(bare.normalize())
    values.update(f.value for f in figures(question))
    return any(f.kind in kinds and f.value not in values for f in figures(answer))


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass(frozen=True, slots=True)
class Served:
    """What the customer is shown for one answer."""

    text: str
    cited: tuple[str, ...]  # refs of the passages the shown text cites
    no_answer: bool  # the turn reads it as "not in our documents"
    reason: str | None = None  # why it is not the model's answer as written (e.g. llm_unsupported)


# (question, lang, the retrieved passages, the prompt built from them, the model's answer or None when the
# call failed, the failure's LLMError code or "") -> what the chat turn would show
ServeFn = Callable[[str, Lang, Sequence[Passage], BuiltPrompt, str | None, str], Served]


@dataclass
class Graded:
    id: str
    lang: str
    answerable: bool
    answer: str
    cites_relevant: bool
    has_facts: bool
    facts_in_context: bool
    said_no_answer: bool
    error: str = ""
    # the served answer (empty without a ``serve`` function)
    served_answer: str = ""
    served_cites_relevant: bool = False
    served_has_facts: bool = False
    served_no_answer: bool = False
    served_reason: str = ""
    # a figure of a gold fact's kind with another value (``contradicts``); time for the answer (the model
    # call, and for the served answer the turn's checks too)
    contradiction: bool = False
    served_contradiction: bool = False
    latency_ms: float = 0.0
    served_latency_ms: float = 0.0


@dataclass
class GroundedReport:
    rows: list[Graded] = field(default_factory=list)
    served: bool = False  # rows carry the served answer too

    def _split(self, served: bool) -> tuple[list[Graded], list[Graded], tuple[str, str, str]]:
        """(answerable rows, unanswerable rows, the fields to read: cites relevant, has facts, no answer)."""
        ans = [r for r in self.rows if r.answerable]
        un = [r for r in self.rows if not r.answerable]
        if served:
            return ans, un, ("served_cites_relevant", "served_has_facts", "served_no_answer")
        return ans, un, ("cites_relevant", "has_facts", "said_no_answer")

    def summary(self, *, served: bool = False) -> dict[str, float]:
        """Shares over the raw answers, or over the served ones (``served``)."""
        ans, un, (cites, facts, no_answer) = self._split(served)

        def share(items: list[Graded], pred: str) -> float:
            return sum(bool(getattr(r, pred)) for r in items) / max(1, len(items))

        return {
            "answerable": len(ans),
            "unanswerable": len(un),
            "cites_relevant": share(ans, cites),
            "has_facts": share(ans, facts),
            "both": sum(bool(getattr(r, cites)) and bool(getattr(r, facts)) for r in ans) / max(1, len(ans)),
            "facts_in_context": share(ans, "facts_in_context"),
            "false_no_answer": share(ans, no_answer),
            "no_answer_when_missing": share(un, no_answer),
            "errors": sum(bool(r.error) for r in self.rows),
        }

    def _counts(self, served: bool) -> str:
        ans, un, (cites, facts, no_answer) = self._split(served)

        def n(items: list[Graded], *preds: str) -> str:
            return f"{sum(all(bool(getattr(r, p)) for p in preds) for r in items)}/{len(items)}"

        by_lang = " / ".join(n([r for r in ans if r.lang == lang], facts) for lang in ("zh", "en"))
        return (
            f"{n(ans, cites)} | {n(ans, facts)} ({by_lang}) | {n(ans, cites, facts)} "
            f"| {n(ans, no_answer)} | {n(un, no_answer)}"
        )

    def timing(self, *, served: bool = False) -> dict[str, float]:
        """Contradictions (answerable questions) and latency percentiles (all questions)."""
        ans = [r for r in self.rows if r.answerable]
        flag = "served_contradiction" if served else "contradiction"
        lat = [r.served_latency_ms if served else r.latency_ms for r in self.rows]
        return {
            "contradictions": sum(bool(getattr(r, flag)) for r in ans),
            "latency_p50_ms": _percentile(lat, 0.5),
            "latency_p95_ms": _percentile(lat, 0.95),
        }

    def markdown(self) -> str:
        s = self.summary()
        lines = [
            f"Answerable: {s['answerable']:.0f} questions (zh / en facts split below), gold facts in the "
            f"passages for {s['facts_in_context']:.0%}; not in the KB: {s['unanswerable']:.0f}; "
            f"model errors: {s['errors']:.0f}.",
            "",
            "| answer graded | cites a relevant passage | contains all gold facts (zh / en) | both "
            '| says "not in our documents" on answerable (false) | says "not in our documents" when the KB lacks it |',
            "|---|---|---|---|---|---|",
            f"| model's raw answer | {self._counts(False)} |",
        ]
        if self.served:
            lines.append(f"| served (after the turn's checks) | {self._counts(True)} |")
            reasons: dict[str, int] = {}
            for r in self.rows:
                if r.served_reason:
                    reasons[r.served_reason] = reasons.get(r.served_reason, 0) + 1
            why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"
            lines.append(f"\nServed answers that are the composed answer instead of the model's: {why}.")
        for name, served in (("raw", False), ("served", True)) if self.served else (("raw", False),):
            t = self.timing(served=served)
            lines.append(
                f"\n{name}: answers with a contradicting figure {t['contradictions']:.0f}/{s['answerable']:.0f}; "
                f"time per answer p50 {t['latency_p50_ms']:.0f} ms, p95 {t['latency_p95_ms']:.0f} ms."
            )
        return "\n".join(lines)


def _doc(passage_ref: str) -> str:
    return passage_ref.split("#", 1)[0]


def load_items(demo_kb: Path) -> tuple[list[dict[str, Any]], LexicalRanker]:
    """The questions and a ranker over the demo KB (file reads: call outside the event loop)."""
    text = (demo_kb / "answer_eval.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()], LexicalRanker(
        load_demo_kb(demo_kb)
    )


async def evaluate(
    client: LLMClient,
    config: LLMConfig,
    items: list[dict[str, Any]],
    ranker: LexicalRanker,
    *,
    on_graded: Callable[[Graded], None] | None = None,
    serve: ServeFn | None = None,
    evidence: bool = True,
) -> GroundedReport:
    """Ask each question once (temperature from ``config``); ``on_graded`` sees each row as it is graded;
    ``serve`` (optional) gives the answer the chat turn would show, graded beside the raw one.
    ``evidence``: the prompt carries the composer's evidence after the question, as the chat turn's
    does (``prompts.with_evidence``)."""
    report = GroundedReport(served=serve is not None)
    composer = ClauseComposer(config.composer)
    for item in items:
        hits: list[KbPassage] = ranker.top(item["question"], 4, item["lang"])
        passages = [h.passage for h in hits]
        built = build_rag_prompt(
            item["question"], passages, counter=client.token_counter, config=config.prompt,
            context_tokens=client.context_tokens, answer_tokens=config.max_tokens, lang=item["lang"],
        )  # fmt: skip
        started = time.perf_counter()
        if evidence:
            composed = composer.compose(item["question"], built.shown, lang=built.lang)
            built = with_evidence(
                built, composed.text, counter=client.token_counter, context_tokens=client.context_tokens,
                answer_tokens=config.max_tokens,
            )  # fmt: skip
        error = ""
        try:
            answer = (await client.complete(list(built.messages), max_tokens=config.max_tokens)).text
        except LLMError as exc:
            answer, error = "", exc.code
        latency_ms = (time.perf_counter() - started) * 1000.0
        relevant = set(item["relevant"])
        cited_docs = {_doc(built.citations[n - 1]) for n in cited_numbers(answer, len(built.citations))}
        context = _norm(" ".join(p.text for p in built.shown))
        facts = [_norm(f) for f in item["gold_facts"]]
        row = Graded(
            id=item["id"],
            lang=item["lang"],
            answerable=bool(relevant),
            answer=answer,
            cites_relevant=bool(cited_docs & relevant),
            has_facts=bool(facts) and all(f in _norm(answer) for f in facts),
            facts_in_context=bool(facts) and all(f in context for f in facts),
            said_no_answer=is_no_answer(answer),
            error=error,
            contradiction=bool(relevant) and contradicts(answer, item["gold_facts"], item["question"]),
            latency_ms=latency_ms,
        )
        if serve is not None:
            shown = serve(item["question"], built.lang, passages, built, None if error else answer, error)
            row.served_latency_ms = (time.perf_counter() - started) * 1000.0
            row.served_contradiction = bool(relevant) and contradicts(
                shown.text, item["gold_facts"], item["question"]
            )
            row.served_answer = shown.text
            row.served_cites_relevant = bool({_doc(ref) for ref in shown.cited} & relevant)
            row.served_has_facts = bool(facts) and all(f in _norm(shown.text) for f in facts)
            row.served_no_answer = shown.no_answer
            row.served_reason = shown.reason or ""
        report.rows.append(row)
        if on_graded is not None:
            on_graded(report.rows[-1])
    return report
