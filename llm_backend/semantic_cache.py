"""Semantic answer cache for frequent questions, per tenant and knowledge-base version.

Key: the masked, standalone question. A lookup first tries the exact normalised text (case, width,
spaces and punctuation folded), then the nearest cached question by embedding cosine similarity, which
must reach ``threshold`` *and* agree with the new question on what similarity alone blurs
(``cache_guard.signature``: numbers, negation, products, channels, parties, days and the direction of
an action). A wrong cached answer costs more than a miss.

Never cached: questions or answers holding placeholders (``<PHONE_NUMBER_1>``: customer data was
involved), answers the caller marks as using customer-specific slots, "I don't know" answers. Entries
are dropped when the tenant's KB version changes, after ``ttl_s``, and least-recently-used beyond
``max_entries_per_tenant``. ``on_lookup`` receives "hit_exact" / "hit_semantic" / "miss" / "skip_private"
for a hit-rate metric; ``stats`` counts the same.

State lives in this process (one cache per app worker); the embedding function is given by the caller
(``retrieval``'s ``Embedder.embed_queries``) and runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from llm_backend.cache_guard import signature
from llm_backend.config import SemanticCacheConfig
from llm_backend.prompt_text import PLACEHOLDER, is_no_answer
from llm_backend.types import CachedAnswer, CacheHit

Vectors = npt.NDArray[np.float32]
EmbedFn = Callable[[Sequence[str]], Vectors]


def normalise(question: str) -> str:
    """Fold width, case, spaces and punctuation: the exact-match key."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))


def is_private(text: str) -> bool:
    return PLACEHOLDER.search(text) is not None


@dataclass
class _Entry:
    question: str
    answer: CachedAnswer
    vector: Vectors
    signature: tuple[frozenset[str], bool, frozenset[str]]
    expires_at: float
    origin: str | None = None  # the conversation the question was first asked in (for erasure)


@dataclass
class _Bucket:
    kb_version: str
    entries: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    _matrix: Vectors | None = None
    _keys: list[str] = field(default_factory=list)

    def matrix(self) -> tuple[Vectors, list[str]]:
        if self._matrix is None:
            self._keys = list(self.entries)
            rows = [self.entries[k].vector for k in self._keys]
            self._matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
        return self._matrix, self._keys

    def changed(self) -> None:
        self._matrix = None


@dataclass
class CacheStats:
    hits_exact: int = 0
    hits_semantic: int = 0
    misses: int = 0
    skipped_private: int = 0
    stored: int = 0
    refused: int = 0

    @property
    def lookups(self) -> int:
        return self.hits_exact + self.hits_semantic + self.misses + self.skipped_private

    @property
    def hit_rate(self) -> float:
        return (self.hits_exact + self.hits_semantic) / self.lookups if self.lookups else 0.0


class SemanticAnswerCache:
    """See the module docstring. Async methods are safe to call concurrently from one event loop."""

    def __init__(
        self,
        embed: EmbedFn,
        config: SemanticCacheConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_lookup: Callable[[str], None] | None = None,
    ) -> None:
        self._embed = embed
        self._config = config
        self._clock = clock
        self._on_lookup = on_lookup
        self._buckets: dict[str, _Bucket] = {}
        self.stats = CacheStats()

    def _count(self, outcome: str) -> None:
        attr = {"hit_exact": "hits_exact", "hit_semantic": "hits_semantic", "miss": "misses"}.get(
            outcome, "skipped_private"
        )
        setattr(self.stats, attr, getattr(self.stats, attr) + 1)
        if self._on_lookup is not None:
            self._on_lookup(outcome)

    async def _vector(self, text: str) -> Vectors:
        rows = await asyncio.to_thread(self._embed, [text])
        vector: Vectors = np.asarray(rows, dtype=np.float32)[0]
        return vector

    def _live_bucket(self, tenant: str, kb_version: str) -> _Bucket | None:
        bucket = self._buckets.get(tenant)
        if bucket is None or bucket.kb_version != kb_version:
            return None
        now = self._clock()
        expired = [k for k, e in bucket.entries.items() if e.expires_at <= now]
        for k in expired:
            del bucket.entries[k]
        if expired:
            bucket.changed()
        return bucket

    async def lookup(self, *, tenant: str, kb_version: str, question: str) -> CacheHit | None:
        """A cached answer for this tenant's KB version, or None. Never for a question with placeholders."""
        if is_private(question):
            self._count("skip_private")
            return None
        key = normalise(question)
        bucket = self._live_bucket(tenant, kb_version)
        if bucket is not None and key in bucket.entries:
            bucket.entries.move_to_end(key)
            self._count("hit_exact")
            entry = bucket.entries[key]
            return CacheHit(entry.answer, "exact", 1.0, entry.question, entry.origin)
        if bucket is None or not bucket.entries:
            self._count("miss")
            return None
        vector = await self._vector(question)
        bucket = self._live_bucket(tenant, kb_version)  # may have changed while embedding
        if bucket is None or not bucket.entries:
            self._count("miss")
            return None
        matrix, keys = bucket.matrix()
        sims = matrix @ vector
        wanted = signature(question)
        for i in np.argsort(-sims)[:5]:
            if float(sims[i]) < self._config.threshold:
                break
            entry = bucket.entries[keys[int(i)]]
            if entry.signature == wanted:
                bucket.entries.move_to_end(keys[int(i)])
                self._count("hit_semantic")
                return CacheHit(entry.answer, "semantic", float(sims[i]), entry.question, entry.origin)
        self._count("miss")
        return None

    async def store(
        self,
        *,
        tenant: str,
        kb_version: str,
        question: str,
        answer: CachedAnswer,
        uses_customer_data: bool = False,
        origin: str | None = None,
    ) -> bool:
        """Cache ``answer`` for ``question``; False when it must not be cached (see module docstring).
        ``origin`` names where the question came from (a conversation id) for ``forget_origins``."""
        if (
            uses_customer_data
            or is_private(question)
            or is_private(answer.text)
            or is_no_answer(answer.text)
            or not normalise(question)
        ):
            self.stats.refused += 1
            return False
        vector = await self._vector(question)
        bucket = self._buckets.get(tenant)
        if bucket is None or bucket.kb_version != kb_version:
            bucket = self._buckets[tenant] = _Bucket(kb_version)  # a new KB version drops the old answers
        key = normalise(question)
        bucket.entries[key] = _Entry(
            question, answer, vector, signature(question), self._clock() + self._config.ttl_s, origin
        )
        bucket.entries.move_to_end(key)
        while len(bucket.entries) > self._config.max_entries_per_tenant:
            bucket.entries.popitem(last=False)
        bucket.changed()
        self.stats.stored += 1
        return True

    async def warm(self, *, tenant: str, kb_version: str, items: Iterable[tuple[str, CachedAnswer]]) -> int:
        """Pre-fill from golden questions and their approved answers; returns how many were cached."""
        stored = 0
        for question, answer in items:
            stored += await self.store(tenant=tenant, kb_version=kb_version, question=question, answer=answer)
        return stored

    def invalidate(self, tenant: str) -> int:
        """Drop every cached answer of ``tenant`` (call when its KB is republished); returns how many."""
        bucket = self._buckets.pop(tenant, None)
        return len(bucket.entries) if bucket else 0

    def forget_origins(self, tenant: str, origins: Iterable[str]) -> int:
        """Drop ``tenant``'s entries stored with one of ``origins`` (a customer's data is erased or
        expired); returns how many."""
        bucket = self._buckets.get(tenant)
        wanted = set(origins)
        if bucket is None or not wanted:
            return 0
        gone = [k for k, e in bucket.entries.items() if e.origin in wanted]
        for k in gone:
            del bucket.entries[k]
        if gone:
            bucket.changed()
        return len(gone)

    def origins(self, tenant: str) -> set[str]:
        """Where ``tenant``'s cached questions came from (the ``origin`` each was stored with)."""
        bucket = self._buckets.get(tenant)
        return {e.origin for e in bucket.entries.values() if e.origin} if bucket else set()

    def size(self, tenant: str) -> int:
        bucket = self._buckets.get(tenant)
        return len(bucket.entries) if bucket else 0
