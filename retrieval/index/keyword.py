"""Keyword index: BM25 (bm25s) over ``KeywordAnalyzer`` tokens (jieba for Chinese, words for English).

Document ids are positions 0..n-1 in the order given to ``build``. Besides scores, a search reports the
*coverage* of its best hit: the share of the query's IDF mass that the hit contains (0..1). Raw BM25
scores are not comparable across queries; coverage is, and fusion uses it to decide how far to trust the
keyword side (a query whose words barely occur in the KB should not steer the ranking).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.errors import IndexUnavailable
from retrieval.text import KeywordAnalyzer

_EMPTY = "\u0000"  # placeholder token for a chunk without keywords (bm25s needs >= 1 token per doc)


@dataclass(frozen=True, slots=True)
class KeywordHits:
    ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]
    coverage: float  # IDF share of the query terms present in the best hit (0 when nothing matched)
    query_terms: int  # distinct query terms known to the index


class KeywordIndex:
    def __init__(self, analyzer: KeywordAnalyzer, bm25: Any, doc_freq: dict[str, int], n_docs: int) -> None:
        self._analyzer = analyzer
        self._bm25 = bm25
        self._df = doc_freq
        self._n = n_docs
        self._token_cache: dict[int, frozenset[str]] = {}

    @classmethod
    def build(
        cls, analyzer: KeywordAnalyzer, tokens: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75
    ) -> KeywordIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        corpus = [list(t) if t else [_EMPTY] for t in tokens]
        bm25 = bm25s.BM25(k1=k1, b=b)
        if corpus:
            bm25.index(corpus, show_progress=False)
        df: Counter[str] = Counter()
        for t in corpus:
            df.update(set(t))
        return cls(analyzer, bm25, dict(df), len(corpus))

    @property
    def size(self) -> int:
        return self._n

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def search(
        self,
        query_tokens: Sequence[str],
        k: int,
        *,
        mask: npt.NDArray[np.float32] | None = None,
        doc_tokens: Any = None,
    ) -> KeywordHits:
        """Top ``k`` by BM25 (only documents with a positive score), best first.

        ``mask``: 1.0 for documents allowed by filters, 0.0 otherwise (length ``size``).
        ``doc_tokens(i) -> set[str]``: tokens of document ``i``, used for the coverage of the best hit.
        """
        known = [t for t in dict.fromkeys(query_tokens) if t in self._df]
        if not known or self._n == 0 or k <= 0:
            return KeywordHits(np.zeros(0, np.int64), np.zeros(0, np.float32), 0.0, len(known))
        scores = np.asarray(self._bm25.get_scores(list(query_tokens), weight_mask=mask), dtype=np.float32)
        n_pos = int(np.count_nonzero(scores > 0))
        if n_pos == 0:
            return KeywordHits(np.zeros(0, np.int64), np.zeros(0, np.float32), 0.0, len(known))
        k = min(k, n_pos)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        coverage = 0.0
        if doc_tokens is not None and len(top):
            present = doc_tokens(int(top[0]))
            total = sum(self.idf(t) for t in known)
            coverage = sum(self.idf(t) for t in known if t in present) / total if total > 0 else 0.0
        return KeywordHits(top.astype(np.int64), scores[top], coverage, len(known))

    def save(self, directory: Path) -> None:
        import json

        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)
        (directory / "doc_freq.json").write_text(
            json.dumps({"n": self._n, "df": self._df}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, analyzer: KeywordAnalyzer) -> KeywordIndex:
        import json

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        try:
            meta = json.loads((directory / "doc_freq.json").read_text(encoding="utf-8"))
            bm25 = bm25s.BM25.load(str(directory), show_progress=False) if meta["n"] else bm25s.BM25()
        except (OSError, ValueError, KeyError) as exc:
            raise IndexUnavailable(f"keyword index {directory} unreadable: {exc}") from None
        return cls(analyzer, bm25, {str(k): int(v) for k, v in meta["df"].items()}, int(meta["n"]))
