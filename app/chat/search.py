"""The turn's search: the tracker's filters (a product the question names) are a preference, not a fence.

A filter on ``metadata`` keeps only chunks that carry the pair, so a question that names "credit card"
used to see only the FAQ rows labelled ``product=credit_card``: the guides and help pages (no label) that
hold the card's activation steps, the applicant's age or the cash-advance limit were never among the
passages. Here a filtered key drops only the chunks labelled with *another* value of it (a debit-card FAQ
for a credit-card question); unlabelled ones compete on their scores as usual.

The retriever's "good enough" (a dense-similarity floor or margin) is also given by the words: a passage
holding every keyword of the question (``covered``) answers it, however casual the wording that kept
its similarity under the floor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from retrieval.protocols import Retriever
from retrieval.types import Hit, SearchResult

# Candidates searched per passage kept when some may be dropped for naming another product.
WIDEN = 2
# A question of at least this many keyword tokens, every one of them in one passage, is answered by it.
MIN_COVERED_TOKENS = 2
# Tokens that ask rather than say what about ("总行地址在哪": 哪; "how long does it take": long, take): a
# passage need not hold them to cover the question.
QUESTION_TOKENS = frozenset(
    ["哪", "哪个", "哪里", "哪儿", "哪些", "多少", "几", "几次", "几天", "几个", "多久", "多长", "吗", "呢", "什么",
     "怎么", "怎样", "如何", "为什么", "能", "会", "可以", "要", "需要", "用", "long", "take", "much", "many"]
)  # fmt: skip


class Analyzer(Protocol):
    """The retriever's keyword analyzer (``retrieval.text.KeywordAnalyzer``): text -> BM25 tokens."""

    def analyze(self, text: str) -> list[str]: ...


def covered(query: str, hits: Sequence[Hit], analyzer: Analyzer) -> bool:
    """One passage holds every keyword token of the question (two or more): "is there an over limit fee"
    and "Over-limit fee: none", "ATM吞卡了" and the debit guide's ATM吞卡 line. The dense similarity of such
    short, casual questions often stays under the floor although the words leave no doubt."""
    wanted = set(analyzer.analyze(query)) - QUESTION_TOKENS
    if len(wanted) < MIN_COVERED_TOKENS:
        return False
    return any(wanted <= set(analyzer.analyze(f"{h.chunk.embed_text}\n{h.chunk.text}")) for h in hits)


def compatible(hit: Hit, prefer: Mapping[str, str]) -> bool:
    """The hit's chunk names no other value of a preferred key (the same value, or none, is fine)."""
    meta = hit.chunk.metadata
    return all(not meta.get(key) or meta.get(key) == value for key, value in prefer.items())


def search_for_turn(
    retriever: Retriever,
    query: str,
    *,
    k: int,
    prefer: Mapping[str, str] | None = None,
    analyzer: Analyzer | None = None,
) -> SearchResult:
    """At most ``k`` hits for ``query``, best first, none labelled with another value of a ``prefer`` key
    unless it holds every keyword of the question (with an ``analyzer``): the preference is the tracker's
    guess from a word or two ("网银" -> mobile banking), and a passage that names everything the customer
    asked ("网银页面出现一段代码怎么办" in a security FAQ row) is not dropped for its label.

    ``good_enough`` is the retriever's verdict on the query (its floor reads the configured top-k, not
    ``k``), or, with an ``analyzer``, True when a hit holds every keyword of the question (``covered``);
    False when every hit was dropped."""
    if not prefer:
        result = retriever.search(query, k=k)
        kept = result.hits
    else:
        result = retriever.search(query, k=k * WIDEN)
        kept = [
            h
            for h in result.hits
            if compatible(h, prefer) or (analyzer is not None and covered(query, [h], analyzer))
        ][:k]
    good = result.good_enough or (analyzer is not None and covered(query, kept, analyzer))
    return SearchResult(hits=kept, good_enough=good and bool(kept), version=result.version)
