"""The retrieval floor of one knowledge-base version, calibrated from the version's own content.

One floor for every tenant does not fit: e5's similarities sit at different heights for different
languages, writing styles and KB sizes (the 0.90 calibrated on the Chinese demo refuses about one in ten
answerable paraphrases on an English FAQ KB). So when a version is published, its floor is chosen from the
version itself, self-supervised (no gold labels):

- **positive probes**: questions the KB answers, made from its own FAQ questions (or section headings
  when it has none), each reworded the way customers shorten a question: about ``drop`` of its words
  left out. Each is searched against the whole version, as a customer's question would be.
- **negative probes**: the same reworded questions searched as if their own entry (and every entry
  asking the very same question) were not in the index, so the best remaining passage is a neighbour on a
  related topic: what a bank-flavoured question about something the KB lacks looks like.

The floor lets ``keep`` of the positive probes through (their ``1 - keep`` quantile) and refuses
``refuse`` of the negative probes (their ``refuse`` quantile): halfway between the two when both can
hold, the positives' value when they conflict (refusing answerable questions is the error this
corrects), clamped to the embedder's ``BOUNDS`` so a tiny or odd KB cannot end up with a floor that lets
everything (or nothing) through. The margin rule (best minus the 10th best passes a question under the
floor) is raised, never lowered, to the value that ``margin_refuse`` of the negative probes stay under:
on a KB of many near-identical entries, unanswerable questions stand out from the pack too.

``calibrate_floor`` is deterministic (seeded sampling) and costs one query embedding per probe (at most
``max_probes``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from retrieval.fusion import Candidates, fuse
from retrieval.hybrid import HybridRetriever
from retrieval.types import ChunkRecord

METHOD = "kb-probes-v1"
# Where a calibrated floor may land, per embedder: e5's cosines bunch between about 0.75 and 1.0. An
# embedder without bounds here is not calibrated per KB (its default floor stays).
BOUNDS: dict[str, tuple[float, float]] = {"multilingual-e5-small": (0.80, 0.95)}


def bounds_for(embedder_name: str) -> tuple[float, float] | None:
    return BOUNDS.get(embedder_name)


_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class FloorCalibration:
    """What ``calibrate_floor`` chose and why (stored with the version, shown in the publish report)."""

    floor: float
    margin: float  # the margin rule's threshold for this version (best minus the 10th best)
    default_floor: float  # the embedder's (or the configured) values they replace
    default_margin: float
    positives: int  # positive probes
    negatives: int  # negative probes
    positive_quantile: float  # the floor the positives alone ask for
    negative_quantile: float  # the floor the negatives alone ask for
    positives_let_through: float  # share of positive probes the floor or the margin lets through
    negatives_refused: float  # share of negative probes under both
    method: str = METHOD

    def to_json(self) -> dict[str, Any]:
        return {
            k: (round(v, 4) if isinstance(v, float) and np.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class Probe:
    text: str
    source: int  # position of the chunk it was made from
    same: frozenset[int]  # positions of every chunk asking the same question (left out for a negative)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"\W+", " ", text.lower()).split())


def probe_source(chunk: ChunkRecord) -> str:
    """The question a chunk answers: its FAQ question, else the last heading of its section ("" if none)."""
    question = chunk.metadata.get("question", "")
    if question.strip():
        return question.strip()
    if chunk.metadata.get("kind") == "faq":
        return chunk.embed_text.strip()
    path = chunk.metadata.get("heading_path", "")
    return path.split(" > ")[-1].strip() if path else ""


def reword(text: str, rng: random.Random, drop: float) -> str:
    """Drop about ``drop`` of the words (characters' bigrams for Chinese), keeping order and at least half."""
    if _HAN.search(text):
        units = [text[i : i + 2] for i in range(0, len(text), 2)]
        joiner = ""
    else:
        units = _WORD.findall(text)
        joiner = " "
    if len(units) < 4:
        return text
    kept = [u for u in units if rng.random() >= drop]
    if len(kept) < (len(units) + 1) // 2:
        kept = units[: (len(units) + 1) // 2]
    return joiner.join(kept)


def make_probes(chunks: Sequence[ChunkRecord], *, max_probes: int, seed: int, drop: float) -> list[Probe]:
    """Up to ``max_probes`` reworded questions of distinct entries, seeded."""
    by_question: dict[str, list[int]] = {}
    sources: list[tuple[int, str]] = []
    for i, c in enumerate(chunks):
        q = probe_source(c)
        if len(_norm(q)) < 4:
            continue
        key = _norm(q)
        if key not in by_question:
            sources.append((i, q))
        by_question.setdefault(key, []).append(i)
    rng = random.Random(seed)
    picked = rng.sample(sources, min(max_probes, len(sources)))
    return [Probe(reword(q, rng, drop), i, frozenset(by_question[_norm(q)])) for i, q in sorted(picked)]


def _score(
    retriever: HybridRetriever, cands: Candidates, qv: np.ndarray, leave_out: frozenset[int] = frozenset()
) -> tuple[float, float]:
    """The floor's and the margin's statistics for one query (``HybridRetriever.confidence`` and
    ``dense_margin``), optionally as if the chunks in ``leave_out`` were not in the index."""
    if leave_out:
        out = np.asarray(sorted(leave_out), dtype=np.int64)
        keep_d = ~np.isin(cands.dense_ids, out)
        keep_b = ~np.isin(cands.bm25_ids, out)
        cands = Candidates(
            cands.dense_ids[keep_d],
            cands.dense_scores[keep_d],
            cands.bm25_ids[keep_b],
            cands.bm25_scores[keep_b],
            cands.coverage,
        )
    return retriever.confidence(fuse(cands, retriever.params).ids, qv), retriever.dense_margin(cands)


Scored = list[tuple[float, float]]


def probe_scores(retriever: HybridRetriever, probes: Sequence[Probe]) -> tuple[Scored, Scored]:
    """(positive, negative) (confidence, margin) of the probes: each searched with and without its entry."""
    if not probes:
        return [], []
    vectors = retriever.embedder.embed_queries([p.text for p in probes])
    pos: Scored = []
    neg: Scored = []
    for p, qv in zip(probes, vectors, strict=True):
        cands, _ = retriever.candidates(p.text, query_vector=qv)
        pos.append(_score(retriever, cands, qv))
        neg.append(_score(retriever, cands, qv, p.same))
    return pos, neg


def choose_floor(
    positives: Scored,
    negatives: Scored,
    *,
    default_floor: float,
    default_margin: float,
    keep: float,
    refuse: float,
    margin_refuse: float,
    low: float,
    high: float,
) -> FloorCalibration:
    """The floor and margin for these probe (confidence, margin) pairs (see the module docstring)."""
    pos = np.asarray([c for c, _ in positives if np.isfinite(c)], dtype=np.float64)
    neg = np.asarray([c for c, _ in negatives if np.isfinite(c)], dtype=np.float64)
    neg_margins = np.asarray([m for _, m in negatives if np.isfinite(m)], dtype=np.float64)
    if len(pos) == 0:
        return FloorCalibration(default_floor, default_margin, default_floor, default_margin, 0, len(neg),
                                default_floor, default_floor, 1.0, 0.0)  # fmt: skip
    pos_q = float(np.quantile(pos, 1.0 - keep, method="lower"))
    neg_q = float(np.quantile(neg, refuse, method="higher")) if len(neg) else pos_q
    # Both satisfied: halfway between; in conflict the positives win (refusing answerable questions is
    # the error this corrects).
    floor = (pos_q + neg_q) / 2 if neg_q < pos_q else pos_q
    floor = float(np.clip(floor, low, high))
    # The margin passes a question under the floor when its best passage stands out; on this KB it must
    # not stand out for more than ``1 - margin_refuse`` of the negatives.
    margin = default_margin
    if len(neg_margins):
        above = float(np.quantile(neg_margins, margin_refuse, method="higher")) + 1e-6  # ties stay under
        margin = max(default_margin, above)

    def passes(scored: Scored) -> np.ndarray:
        return np.asarray([c >= floor or m >= margin for c, m in scored], dtype=bool)

    return FloorCalibration(
        floor=floor,
        margin=margin,
        default_floor=default_floor,
        default_margin=default_margin,
        positives=len(pos),
        negatives=len(neg),
        positive_quantile=pos_q,
        negative_quantile=neg_q,
        positives_let_through=float(passes(positives).mean()),
        negatives_refused=float(1.0 - passes(negatives).mean()) if negatives else 0.0,
    )


def apply_floor(retriever: object, floor: float | None, margin: float | None = None) -> None:
    """Make ``retriever`` test ``floor`` and ``margin`` (a version's stored calibration); None or a
    retriever without a floor of its own (a fake, a wrapper): nothing changes."""
    use = getattr(retriever, "use_floor", None)
    if floor is not None and callable(use):
        use(floor, margin)


def calibrate_floor(
    retriever: HybridRetriever,
    *,
    max_probes: int = 200,
    seed: int = 13,
    drop: float = 0.3,
    keep: float = 0.97,
    refuse: float = 0.8,
    margin_refuse: float = 0.95,
    low: float | None = None,
    high: float | None = None,
) -> FloorCalibration:
    """The floor and margin of ``retriever``'s version, from its own content (see the module docstring).
    ``low`` / ``high``: where the floor may land (default: ``BOUNDS`` of the embedder; raises
    ``ValueError`` for an embedder without bounds).

    A version without any FAQ question or heading to probe keeps ``retriever.floor`` and ``.margin``."""
    if low is None or high is None:
        bounds = bounds_for(retriever.embedder.name)
        if bounds is None:
            raise ValueError(f"no calibration bounds for embedder {retriever.embedder.name!r}: pass low/high")
        low, high = bounds
    probes = make_probes(retriever.chunks, max_probes=max_probes, seed=seed, drop=drop)
    pos, neg = probe_scores(retriever, probes)
    return choose_floor(pos, neg, default_floor=retriever.floor, default_margin=retriever.margin, keep=keep,
                        refuse=refuse, margin_refuse=margin_refuse, low=low, high=high)  # fmt: skip
