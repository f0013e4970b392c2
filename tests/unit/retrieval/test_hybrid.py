"""Hybrid retriever behaviour a user notices: scores for hit-testing, the floor, the FAQ answer view,
the reranker seam."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.embedders import default_agreement_floor, default_floor, default_margin
from retrieval.hybrid import resolve_agreement_floor, resolve_floor, resolve_margin
from retrieval.index.store import IndexStore
from retrieval.rerank import EmbeddingReranker, ScoreFnReranker
from retrieval.testing import HashEmbedder
from retrieval.types import ChunkRecord, Hit
from tests.unit.retrieval import corpus, models


def open_kb(tmp_path: Path, chunks: list[ChunkRecord], **cfg: object) -> object:
    store = IndexStore(tmp_path, HashEmbedder(), RetrievalConfig(**cfg), analyzer=models.analyzer())  # type: ignore[arg-type]
    store.build_version("t", "v", chunks)
    return store.open("t", "v")


def test_hits_carry_dense_bm25_and_fused_scores_with_ranks(tmp_path: Path) -> None:
    r = open_kb(tmp_path, corpus.chunks())
    res = r.search("房贷可以提前还款吗", k=3)  # type: ignore[attr-defined]
    top = res.hits[0]
    assert top.chunk.document_id == "loans-1"
    assert (top.dense_rank, top.bm25_rank) == (1, 1)
    assert top.bm25_score is not None
    assert top.bm25_score > 0
    assert top.dense_score is not None
    assert 0.0 < top.dense_score <= 1.0001
    assert top.score >= res.hits[1].score


def test_floor_decides_good_enough(tmp_path: Path) -> None:
    high = open_kb(tmp_path / "a", corpus.chunks(), score_floor=0.99)
    assert high.search("wire transfer fees", k=3).good_enough is False  # type: ignore[attr-defined]
    exact = "What are the fees for international wire transfers?"
    assert high.search(exact, k=3).good_enough is True  # type: ignore[attr-defined]  # cosine 1.0
    from retrieval.types import SearchFilters

    never = open_kb(tmp_path / "b", corpus.chunks(), score_floor=-1)  # no floor: any hit is good enough
    assert never.search("zzz unrelated", k=3).good_enough is True  # type: ignore[attr-defined]
    nothing = never.search("wire", k=3, filters=SearchFilters(collection="none"))  # type: ignore[attr-defined]
    assert nothing.good_enough is False


def test_default_floor_is_the_embedders_calibrated_one() -> None:
    class E5Like(HashEmbedder):
        name = "multilingual-e5-small"

    assert resolve_floor(RetrievalConfig(), E5Like()) == default_floor("multilingual-e5-small") == 0.90
    assert resolve_floor(RetrievalConfig(score_floor=0.5), E5Like()) == 0.5
    assert resolve_floor(RetrievalConfig(), HashEmbedder()) == 0.0


def faq(doc: str, q: str, a: str, title: str = "") -> ChunkRecord:
    meta = {"kind": "faq", "context": title} if title else {"kind": "faq"}
    return ChunkRecord(
        f"{doc}#0", doc, f"{q}\n{a}", f"{title}: {q}" if title else q, title=title, metadata=meta
    )


def test_the_answer_view_finds_an_faq_by_words_only_in_its_answer(tmp_path: Path) -> None:
    chunks = [
        faq("pets", "Can I bring my animal?", "Dogs and cats under 10 kg are welcome in all rooms."),
        faq("park", "Is there parking?", "Valet parking costs 30 dollars per night."),
        faq("wifi", "Is there internet?", "Free wifi in every room."),
    ]
    query = "dogs cats kg welcome rooms"  # no keyword side: only dense can find it
    with_view = open_kb(tmp_path / "a", chunks, fusion="dense")
    without = open_kb(tmp_path / "b", chunks, fusion="dense", faq_answer_view=False)
    assert with_view.search(query, k=1).hits[0].chunk.document_id == "pets"  # type: ignore[attr-defined]
    assert without.search(query, k=3).hits[0].chunk.document_id != "pets"  # type: ignore[attr-defined]


def test_filters_apply_to_both_views(tmp_path: Path) -> None:
    from retrieval.types import SearchFilters

    chunks = [
        faq("a", "Parking?", "Garage parking.", "Hotel A"),
        faq("b", "Parking?", "Street parking.", "Hotel B"),
    ]
    chunks = [ChunkRecord(c.chunk_id, c.document_id, c.text, c.embed_text, c.title,
                          metadata={**c.metadata, "collection": c.document_id}) for c in chunks]  # fmt: skip
    r = open_kb(tmp_path, chunks)
    res = r.search("garage parking", k=5, filters=SearchFilters(collection="b"))  # type: ignore[attr-defined]
    assert [h.chunk.document_id for h in res.hits] == ["b"]


def hits(*texts: str) -> list[Hit]:
    return [Hit(ChunkRecord(f"c{i}", f"d{i}", t, t), score=1.0 - i / 10) for i, t in enumerate(texts)]


def test_score_fn_reranker_reorders_by_its_score_and_keeps_the_tail() -> None:
    rr = ScoreFnReranker(lambda q, p: 1.0 if "fee" in p else 0.0, weight=0.9, depth=3)
    out = rr.rerank("q", hits("rates", "limits", "annual fee", "tail item"))
    assert [h.chunk.text for h in out] == ["annual fee", "rates", "limits", "tail item"]


def test_embedding_reranker_with_weight_zero_keeps_the_fused_order() -> None:
    rr = EmbeddingReranker(HashEmbedder(), weight=0.0)
    original = hits("a b", "c d", "e f")
    assert [h.chunk.chunk_id for h in rr.rerank("e f", original)] == ["c0", "c1", "c2"]
    moved = EmbeddingReranker(HashEmbedder(), weight=1.0).rerank("e f", original)
    assert moved[0].chunk.chunk_id == "c2"
    assert np.isclose(moved[0].score, 1.0)


def test_a_best_chunk_that_stands_out_passes_under_the_floor(tmp_path: Path) -> None:
    """The margin rule: under the floor, a search is still good enough when its best dense candidate is
    ``score_margin`` above the ``margin_rank``-th one; too few candidates give no margin evidence."""
    query = "wire transfer fees"
    strict = open_kb(tmp_path / "a", corpus.chunks(), score_floor=0.99, score_margin=-1)
    assert strict.search(query, k=3).good_enough is False  # type: ignore[attr-defined]
    r = open_kb(tmp_path / "b", corpus.chunks(), score_floor=0.99, margin_rank=5)
    cands, _ = r.candidates(query)  # type: ignore[attr-defined]
    margin = r.dense_margin(cands)  # type: ignore[attr-defined]
    assert margin == float(cands.dense_scores[0] - cands.dense_scores[4]) > 0.05
    below = open_kb(
        tmp_path / "c", corpus.chunks(), score_floor=0.99, margin_rank=5, score_margin=margin - 1e-3
    )
    assert below.search(query, k=3).good_enough is True  # type: ignore[attr-defined]
    above = open_kb(
        tmp_path / "d", corpus.chunks(), score_floor=0.99, margin_rank=5, score_margin=margin + 1e-3
    )
    assert above.search(query, k=3).good_enough is False  # type: ignore[attr-defined]
    few = open_kb(tmp_path / "e", corpus.chunks(), score_floor=0.99, margin_rank=11, score_margin=1e-6)
    assert few.search(query, k=3).good_enough is False  # type: ignore[attr-defined]  # 10 chunks only


def test_default_margin_is_the_embedders_calibrated_one() -> None:
    class E5Like(HashEmbedder):
        name = "multilingual-e5-small"

    assert resolve_margin(RetrievalConfig(), E5Like()) == default_margin("multilingual-e5-small") == 0.024
    assert resolve_margin(RetrievalConfig(score_margin=0.05), E5Like()) == 0.05
    assert resolve_margin(RetrievalConfig(score_margin=-1), E5Like()) == float("inf")
    assert resolve_margin(RetrievalConfig(), HashEmbedder()) == float("inf")  # not calibrated: floor only


def test_both_rankers_agreeing_on_the_best_chunk_passes_under_the_floor(tmp_path: Path) -> None:
    """The agreement rule: under the floor and without a margin, a search is good enough when the best
    fused chunk is first (``agreement_rank``) in both the dense and the keyword list, the keyword side
    covers enough of the question and the chunk's dense similarity reaches ``agreement_floor``."""
    query = "wire transfer fees"
    off = dict(score_floor=0.99, score_margin=-1)
    probe = open_kb(tmp_path / "p", corpus.chunks(), **off, agreement_floor=-1)
    assert probe.search(query, k=3).good_enough is False  # type: ignore[attr-defined]
    cands, qv = probe.candidates(query)  # type: ignore[attr-defined]
    assert int(cands.dense_ids[0]) == int(cands.bm25_ids[0])  # both rankers put one chunk first
    sim = float(probe.dense_similarity(cands.dense_ids[:1], qv)[0])  # type: ignore[attr-defined]
    kw = dict(agreement_rank=1, agreement_coverage=0.0)
    below = open_kb(tmp_path / "b", corpus.chunks(), **off, **kw, agreement_floor=sim - 1e-3)
    assert below.search(query, k=3).good_enough is True  # type: ignore[attr-defined]
    above = open_kb(tmp_path / "a", corpus.chunks(), **off, **kw, agreement_floor=sim + 1e-3)
    assert above.search(query, k=3).good_enough is False  # type: ignore[attr-defined]


def test_default_agreement_floor_is_the_embedders_calibrated_one() -> None:
    class E5Like(HashEmbedder):
        name = "multilingual-e5-small"

    assert (
        resolve_agreement_floor(RetrievalConfig(), E5Like())
        == default_agreement_floor("multilingual-e5-small")
        == 0.85
    )
    assert resolve_agreement_floor(RetrievalConfig(agreement_floor=0.8), E5Like()) == 0.8
    assert resolve_agreement_floor(RetrievalConfig(agreement_floor=-1), E5Like()) == float("inf")
    assert resolve_agreement_floor(RetrievalConfig(), HashEmbedder()) == float("inf")
