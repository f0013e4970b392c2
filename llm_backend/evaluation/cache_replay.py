"""Semantic answer cache on a replay of 200 customer questions with repeats, paraphrases and near misses.

Replay (demo KB, ``cache_replay_items``): 64 FAQ questions (each FAQ row is one answer, one intent), a
hand-written paraphrase of 60 of them (30 zh, 30 en), 36 repeats typed differently (punctuation, spaces,
case), and 40 near misses — questions that look like a cached one but need another answer (gold vs
platinum card, 1- vs 3-year deposit, deposit vs withdraw, own vs other bank's ATM...), each its own
intent. Seeded order; an intent's first question comes before its paraphrases and repeats, and a near
miss comes after the question it resembles. A miss "generates" the intent's answer and stores it; a hit
is right only when it carries the answer of the question's own intent. The LLM is not involved.

``calibrate`` sweeps the threshold on BQ Corpus pairs (WeBank customer questions labelled same / different
meaning; EVAL_DATA_DIR): more data, noisier labels, never part of the replay.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from llm_backend.cache_guard import signature
from llm_backend.config import SemanticCacheConfig
from llm_backend.evaluation.cache_replay_items import NEAR_MISSES, PARAPHRASES
from llm_backend.semantic_cache import EmbedFn, SemanticAnswerCache
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


def _variant(q: str, rng: random.Random) -> str:
    """The same question typed again: punctuation, spacing or case changed."""
    choice = rng.randrange(3)
    if choice == 0:
        return q.rstrip("？?。.!！") + ("？" if any("\u4e00" <= c <= "\u9fff" for c in q) else "?")
    if choice == 1:
        return " " + q + " "
    return q.upper() if q.isascii() else q + "。"


def build_replay(demo_kb: Path, *, seed: int = SEED) -> list[Ask]:
    """The 200-question replay over the demo KB's FAQ (see the module docstring)."""
    rng = random.Random(seed)
    with (demo_kb / "faq.csv").open(encoding="utf-8", newline="") as fh:
        faq = [row["question"] for row in csv.DictReader(fh)]
    rows = sorted(set(PARAPHRASES) | {row for row, _ in NEAR_MISSES})
    firsts = [Ask(faq[row], f"faq{row}", "first") for row in rows]
    later = [Ask(text, f"faq{row}", "paraphrase") for row, text in sorted(PARAPHRASES.items())]
    later += [Ask(text, f"near{i}:faq{row}", "near_miss") for i, (row, text) in enumerate(NEAR_MISSES)]
    repeats = 200 - len(firsts) - len(later)
    typed_again = rng.sample(firsts, repeats // 2) + rng.sample(
        later[: len(PARAPHRASES)], repeats - repeats // 2
    )
    later += [Ask(_variant(a.question, rng), a.intent, "repeat") for a in typed_again]
    order: list[Ask] = []
    rng.shuffle(firsts)
    rng.shuffle(later)
    seen: set[str] = set()
    while firsts or later:
        ready = [a for a in later if _after(a) in seen]
        if firsts and (not ready or rng.random() < 0.4):
            nxt = firsts.pop()
            seen.add(nxt.intent)
        else:
            nxt = ready[0]
            later.remove(nxt)
        order.append(nxt)
    return order


def bq_pairs(data: Path) -> list[tuple[str, str, int]]:
    """BQ Corpus dev pairs (for ``calibrate``), shuffled with the seed."""
    pairs = _bq_pairs(data)
    random.Random(SEED).shuffle(pairs)
    return pairs


def _after(ask: Ask) -> str:
    """The intent whose first question must precede ``ask`` (a near miss follows its look-alike)."""
    return ask.intent.split(":", 1)[1] if ask.kind == "near_miss" else ask.intent


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
    guard = np.array([signature(a) == signature(b) for a, b, _ in sample])
    labels = np.array([p[2] for p in sample])
    out = []
    for t in thresholds:
        hit = (sims >= t) & guard
        pos, neg = labels == 1, labels == 0
        out.append((t, float(hit[pos].mean()), float(hit[neg].mean()), int(hit[neg].sum())))
    return out
