"""The per-version floor: probes made of the KB's own questions, the floor chosen from them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from retrieval.calibration import apply_floor, calibrate_floor, choose_floor, make_probes, reword
from retrieval.config import RetrievalConfig
from retrieval.hybrid import HybridRetriever
from retrieval.index.store import IndexStore
from retrieval.testing import HashEmbedder
from retrieval.types import ChunkRecord
from tests.unit.retrieval import corpus, models


def open_kb(tmp_path: Path, chunks: list[ChunkRecord]) -> HybridRetriever:
    store = IndexStore(tmp_path, HashEmbedder(), RetrievalConfig(), analyzer=models.analyzer())
    store.build_version("t", "v", chunks)
    return store.open("t", "v")


def test_reword_drops_words_but_keeps_at_least_half_in_order() -> None:
    text = "How do I reset my online banking password today"
    out = reword(text, random.Random(1), drop=0.5)
    words = out.split()
    assert len(words) >= 5
    assert words == [w for w in text.split() if w in words]  # order kept, nothing invented
    assert reword("short one", random.Random(1), drop=0.9) == "short one"
    zh = reword("信用卡年费怎么收取呢", random.Random(3), drop=0.5)
    assert 5 <= len(zh) <= 10


def test_probes_come_one_per_distinct_question_and_know_their_twins() -> None:
    chunks = corpus.chunks()
    twin = ChunkRecord("dup#0", "dup", "x", chunks[0].embed_text, metadata={"kind": "faq"})
    probes = make_probes([*chunks, twin], max_probes=100, seed=1, drop=0.0)
    assert len(probes) == len(chunks)  # the twin asks the same question: one probe
    first = next(p for p in probes if p.source == 0)
    assert first.same == {0, len(chunks)}
    assert len(make_probes(chunks, max_probes=3, seed=1, drop=0.0)) == 3


def pairs(confidences: list[float], margin: float = 0.01) -> list[tuple[float, float]]:
    return [(c, margin) for c in confidences]


KW = {"default_floor": 0.9, "default_margin": 0.024, "keep": 0.97, "refuse": 0.8, "margin_refuse": 0.95}


@pytest.mark.parametrize(
    ("pos", "neg", "floor"),
    [
        # separable: between the negatives' 80th percentile and the positives' 3rd
        ([0.90, 0.91, 0.92, 0.93, 0.95] * 20, [0.70, 0.75, 0.80, 0.82, 0.84] * 20, (0.84, 0.90)),
        # overlapping: the positives win (refusing answerable questions is the error this corrects)
        ([0.85, 0.90, 0.92, 0.93, 0.95] * 20, [0.80, 0.88, 0.90, 0.91, 0.94] * 20, (0.85, 0.85)),
        # clamped to [low, high]
        ([0.99] * 50, [0.97] * 50, (0.95, 0.95)),
        ([0.3] * 50, [0.2] * 50, (0.8, 0.8)),
    ],
)
def test_choose_floor(pos: list[float], neg: list[float], floor: tuple[float, float]) -> None:
    cal = choose_floor(pairs(pos), pairs(neg), low=0.8, high=0.95, **KW)  # type: ignore[arg-type]
    assert floor[0] <= cal.floor <= floor[1]
    assert cal.positives == len(pos)
    assert cal.negatives == len(neg)
    assert 0.0 <= cal.negatives_refused <= 1.0
    assert cal.margin == 0.024  # the negatives never stand out: the default margin stays
    assert cal.to_json()["method"] == "kb-probes-v1"


def test_the_margin_rises_where_unanswerable_questions_stand_out() -> None:
    neg = pairs([0.8] * 10, margin=0.01) + pairs([0.8] * 90, margin=0.06)
    cal = choose_floor(pairs([0.9] * 100), neg, low=0.8, high=0.95, **KW)  # type: ignore[arg-type]
    assert cal.margin == pytest.approx(0.06, abs=1e-5)
    assert cal.negatives_refused == 1.0


def test_no_probes_keep_the_defaults() -> None:
    cal = choose_floor([], pairs([0.5]), low=0.8, high=0.95, **KW)  # type: ignore[arg-type]
    assert (cal.floor, cal.margin) == (0.9, 0.024)


def test_calibrating_a_version_and_using_its_floor(tmp_path: Path) -> None:
    r = open_kb(tmp_path, corpus.chunks())
    cal = calibrate_floor(r, max_probes=50, seed=3, low=0.0, high=1.0)
    assert cal.positives == len(corpus.FAQ)
    # a question left out of the index is further from what remains than from its own entry
    assert cal.positive_quantile > 0.0
    assert cal.positives_let_through >= 0.9
    apply_floor(r, cal.floor, cal.margin)
    assert (r.floor, r.margin) == (cal.floor, cal.margin)
    apply_floor(r, None)  # nothing stored: unchanged
    assert r.floor == cal.floor
    apply_floor(object(), 0.5)  # a retriever without a floor of its own: ignored
