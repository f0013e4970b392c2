"""Semantic answer cache on a replay of 200 customer questions with repeats, paraphrases and near misses.

Questions come with an intent id; an answer is "right" for a question when it was produced for the same
intent. Sources (EVAL_DATA_DIR): BQ Corpus (WeBank customer questions, zh) positive pairs as paraphrases
and high-overlap negative pairs as near misses, and BANKING77 (en) intents with several phrasings. The
replay asks each question once, in a seeded order where an intent's first question comes first: a miss
"generates" the intent's answer and stores it; a hit is checked against the question's intent. The LLM
is not involved: this measures the cache's matching alone.

``calibrate`` sweeps the similarity threshold on separate BQ pairs (never in the replay), so the shipped
threshold is not tuned on the replay itself.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from llm_backend.config import SemanticCacheConfig
from llm_backend.semantic_cache import EmbedFn, SemanticAnswerCache, _signature, normalise
from llm_backend.types import CachedAnswer

SEED = 20261128


@dataclass(frozen=True, slots=True)
class Ask:
    question: str
    intent: str
    kind: str  # first | paraphrase | repeat | near_miss


def _bq_pairs(data: Path) -> list[tuple[str, str, int]]:
    rows = []
    with (data / "bq_corpus" / "dev.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[2] in ("0", "1"):
                rows.append((parts[0].strip(), parts[1].strip(), int(parts[2])))
    return rows


def _overlap(a: str, b: str) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / max(1, len(sa | sb))


def _variant(q: str, rng: random.Random) -> str:
    """The same question typed again: punctuation, spacing or case changed."""
    choice = rng.randrange(3)
    if choice == 0:
        return q.rstrip("？?。.!！") + ("？" if any("\u4e00" <= c <= "\u9fff" for c in q) else "?")
    if choice == 1:
        return " " + q + " "
    return q.upper() if q.isascii() else q + "。"


def build_replay(
    data: Path, *, size: int = 200, seed: int = SEED
) -> tuple[list[Ask], list[tuple[str, str, int]]]:
    """The replay (``size`` asks) and the BQ pairs left out of it (for calibration)."""
    rng = random.Random(seed)
    pairs = _bq_pairs(data)
    rng.shuffle(pairs)
    used: set[str] = set()
    asks_first: list[Ask] = []
    asks_later: list[Ask] = []

    def fresh(*qs: str) -> bool:
        return all(q and q not in used and normalise(q) for q in qs)

    positives = [p for p in pairs if p[2] == 1 and normalise(p[0]) != normalise(p[1])]
    for i, (s1, s2, _) in enumerate(positives[:50]):
        used.update((s1, s2))
        asks_first.append(Ask(s2, f"bq{i}", "first"))
        asks_later.append(Ask(s1, f"bq{i}", "paraphrase"))
        if i < 20:
            asks_later.append(Ask(_variant(s2, rng), f"bq{i}", "repeat"))
    near = sorted((p for p in pairs if p[2] == 0 and fresh(p[0], p[1])), key=lambda p: -_overlap(p[0], p[1]))
    for j, (a, b, _) in enumerate(near[:15]):
        used.update((a, b))
        asks_first.append(Ask(a, f"neg{j}a", "first"))
        asks_later.append(Ask(b, f"neg{j}b", "near_miss"))
    by_intent: dict[str, list[str]] = defaultdict(list)
    with (data / "banking77" / "test.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_intent[row["category"]].append(row["text"].strip())
    intents = sorted(by_intent)
    rng.shuffle(intents)
    for intent in intents[:14]:
        texts = by_intent[intent][:]
        rng.shuffle(texts)
        asks_first.append(Ask(texts[0], f"b77:{intent}", "first"))
        asks_later += [Ask(t, f"b77:{intent}", "paraphrase") for t in texts[1:3]]
    for intent in intents[:8]:
        asks_later.append(Ask(_variant(by_intent[intent][0], rng), f"b77:{intent}", "repeat"))
    # Order: later asks are spread among first asks, each after its intent's first question.
    order: list[Ask] = []
    pending = asks_later[:]
    rng.shuffle(pending)
    firsts = asks_first[:]
    rng.shuffle(firsts)
    seen: set[str] = set()
    while firsts or pending:
        ready = [a for a in pending if _after(a) in seen]
        if firsts and (not ready or rng.random() < 0.45):
            nxt = firsts.pop()
            seen.add(nxt.intent)
        else:
            nxt = ready[0]
            pending.remove(nxt)
        order.append(nxt)
    held_out = [p for p in pairs if p[0] not in used and p[1] not in used]
    return order[:size], held_out


def _after(ask: Ask) -> str:
    """The intent whose first question must precede ``ask`` (a near miss follows its look-alike)."""
    return ask.intent[:-1] + "a" if ask.kind == "near_miss" else ask.intent


@dataclass
class ReplayResult:
    asks: int = 0
    hits: int = 0
    exact: int = 0
    semantic: int = 0
    wrong: list[tuple[str, str, float]] = field(default_factory=list)
    missed: int = 0  # misses although an answer of the same intent was cached
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


async def replay(asks: Sequence[Ask], embed: EmbedFn, config: SemanticCacheConfig) -> ReplayResult:
    cache = SemanticAnswerCache(embed, config)
    result = ReplayResult()
    cached_intents: set[str] = set()
    for ask in asks:
        result.asks += 1
        hit = await cache.lookup(tenant="demo", kb_version="v1", question=ask.question)
        result.by_kind[ask.kind][1] += 1
        if hit is None:
            if ask.intent in cached_intents:
                result.missed += 1
            await cache.store(tenant="demo", kb_version="v1", question=ask.question,
                              answer=CachedAnswer(f"answer for {ask.intent}"))  # fmt: skip
            cached_intents.add(ask.intent)
            continue
        result.hits += 1
        result.by_kind[ask.kind][0] += 1
        result.exact += hit.kind == "exact"
        result.semantic += hit.kind == "semantic"
        if hit.answer.text != f"answer for {ask.intent}":
            result.wrong.append((ask.question, hit.matched_question, hit.similarity))
    return result


def calibrate(
    pairs: Sequence[tuple[str, str, int]], embed: EmbedFn, thresholds: Sequence[float], *, limit: int = 600
) -> list[tuple[float, float, float, int]]:
    """(threshold, recall of positives, false-hit rate of negatives, false hits) with the cache's guards."""
    sample = list(pairs[:limit])
    left = embed([p[0] for p in sample])
    right = embed([p[1] for p in sample])
    sims = np.sum(np.asarray(left) * np.asarray(right), axis=1)
    guard = np.array([_signature(a) == _signature(b) for a, b, _ in sample])
    labels = np.array([p[2] for p in sample])
    out = []
    for t in thresholds:
        hit = (sims >= t) & guard
        pos, neg = labels == 1, labels == 0
        out.append((t, float(hit[pos].mean()), float(hit[neg].mean()), int(hit[neg].sum())))
    return out
