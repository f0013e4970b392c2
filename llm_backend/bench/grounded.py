"""Answer quality on a small grounded set: the demo KB's ``answer_eval.jsonl`` (30 answerable questions
with gold facts, 5 the KB does not answer), passages from the demo KB via ``toy_kb.LexicalRanker``.

Per answerable question: did the answer cite a passage of a relevant document, and contain every gold
fact (spaces ignored, case-insensitive)? Per unanswerable question: did it say the documents do not
answer? Also reported: how often all gold facts were in the passages at all (what retrieval allowed),
and false "I don't know"s on answerable questions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_backend.bench.toy_kb import KbPassage, LexicalRanker, load_demo_kb
from llm_backend.config import LLMConfig
from llm_backend.errors import LLMError
from llm_backend.prompt_text import cited_numbers, is_no_answer
from llm_backend.prompts import build_rag_prompt
from llm_backend.protocols import LLMClient


def _norm(text: str) -> str:
    return "".join(text.split()).casefold()


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


@dataclass
class GroundedReport:
    rows: list[Graded] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        ans = [r for r in self.rows if r.answerable]
        un = [r for r in self.rows if not r.answerable]

        def share(items: list[Graded], pred: str) -> float:
            return sum(bool(getattr(r, pred)) for r in items) / max(1, len(items))

        return {
            "answerable": len(ans),
            "unanswerable": len(un),
            "cites_relevant": share(ans, "cites_relevant"),
            "has_facts": share(ans, "has_facts"),
            "both": sum(r.cites_relevant and r.has_facts for r in ans) / max(1, len(ans)),
            "facts_in_context": share(ans, "facts_in_context"),
            "false_no_answer": share(ans, "said_no_answer"),
            "no_answer_when_missing": share(un, "said_no_answer"),
            "errors": sum(bool(r.error) for r in self.rows),
        }

    def markdown(self) -> str:
        s = self.summary()
        lines = [
            "| set | questions | cites a relevant passage | contains all gold facts | both | gold facts in the passages "
            '| says "not in our documents" |',
            "|---|---|---|---|---|---|---|",
            f"| answerable | {s['answerable']:.0f} | {s['cites_relevant']:.0%} | {s['has_facts']:.0%} | {s['both']:.0%} "
            f"| {s['facts_in_context']:.0%} | {s['false_no_answer']:.0%} (false) |",
            f"| not in the KB | {s['unanswerable']:.0f} | – | – | – | – | {s['no_answer_when_missing']:.0%} |",
        ]
        for lang in ("zh", "en"):
            rows = [r for r in self.rows if r.answerable and r.lang == lang]
            ok = sum(r.cites_relevant and r.has_facts for r in rows)
            lines.append(f"\n{lang}: {ok}/{len(rows)} answerable questions fully right.")
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
) -> GroundedReport:
    """Ask each question once (temperature from ``config``); ``on_graded`` sees each row as it is graded."""
    report = GroundedReport()
    for item in items:
        hits: list[KbPassage] = ranker.top(item["question"], 4, item["lang"])
        built = build_rag_prompt(
            item["question"], [h.passage for h in hits], counter=client.token_counter, config=config.prompt,
            context_tokens=client.context_tokens, answer_tokens=config.max_tokens, lang=item["lang"],
        )  # fmt: skip
        error = ""
        try:
            answer = (await client.complete(list(built.messages), max_tokens=config.max_tokens)).text
        except LLMError as exc:
            answer, error = "", exc.code
        cited_docs = {_doc(built.citations[n - 1]) for n in cited_numbers(answer, len(built.citations))}
        context = _norm(" ".join(p.text for p in built.shown))
        facts = [_norm(f) for f in item["gold_facts"]]
        report.rows.append(
            Graded(
                id=item["id"],
                lang=item["lang"],
                answerable=bool(item["relevant"]),
                answer=answer,
                cites_relevant=bool(cited_docs & set(item["relevant"])),
                has_facts=bool(facts) and all(f in _norm(answer) for f in facts),
                facts_in_context=bool(facts) and all(f in context for f in facts),
                said_no_answer=is_no_answer(answer),
                error=error,
            )
        )
        if on_graded is not None:
            on_graded(report.rows[-1])
    return report
