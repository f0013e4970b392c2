"""Ranking metrics over document ids (binary relevance), and no-answer precision/recall."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant documents found in the top ``k`` (1.0 or 0.0 with one relevant doc)."""
    if not relevant:
        raise ValueError("recall of a query without relevant documents is undefined")
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    for i, doc in enumerate(ranked[:k]):
        if doc in relevant:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """One query's result: the ranked document ids (deduplicated) and whether the system answered."""

    query_id: str
    relevant: frozenset[str]
    ranked: tuple[str, ...]
    answered: bool  # False: the system said "nothing good enough"


def summarize(outcomes: Sequence[QueryOutcome], ks: Sequence[int] = (1, 5, 10)) -> dict[str, float | int]:
    """recall@k, mrr@10 and ndcg@10 over answerable queries (``n``); no-answer precision/recall over all.

    No-answer precision: of the queries the system declined, the share that truly had no answer.
    No-answer recall: of the queries without an answer in the KB, the share the system declined.
    Both are NaN when undefined (the system never declined / the set has no unanswerable query).
    """
    answerable = [o for o in outcomes if o.relevant]
    out: dict[str, float | int] = {"n": len(answerable), "n_no_answer": len(outcomes) - len(answerable)}
    for k in ks:
        out[f"recall@{k}"] = _mean([recall_at(o.ranked, set(o.relevant), k) for o in answerable])
    out["mrr@10"] = _mean([mrr_at(o.ranked, set(o.relevant), 10) for o in answerable])
    out["ndcg@10"] = _mean([ndcg_at(o.ranked, set(o.relevant), 10) for o in answerable])
    # share of answerable queries the floor lets through (the rest would be handed off)
    out["answered_rate"] = _mean([1.0 if o.answered else 0.0 for o in answerable])
    declined = [o for o in outcomes if not o.answered]
    unanswerable = [o for o in outcomes if not o.relevant]
    out["no_answer_precision"] = (
        sum(1 for o in declined if not o.relevant) / len(declined) if declined else math.nan
    )
    out["no_answer_recall"] = (
        sum(1 for o in unanswerable if not o.answered) / len(unanswerable) if unanswerable else math.nan
    )
    return out


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan
