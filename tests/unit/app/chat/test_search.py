"""``app.chat.search``: a product the question names is a preference, not a fence (the guides that hold
a card's activation steps carry no product label and must stay among the passages)."""

from __future__ import annotations

from app.chat.search import search_for_turn
from retrieval.testing import KeywordRetriever
from retrieval.types import ChunkRecord


def _chunk(cid: str, text: str, product: str | None = None) -> ChunkRecord:
    meta = {"product": product} if product else {}
    return ChunkRecord(chunk_id=cid, document_id=cid, text=text, embed_text=text, lang="en", metadata=meta)


CHUNKS = [
    # a guide: no product label, the one that answers
    _chunk("guide", "activate your new credit card in the app: Credit Card > Activate"),
    # FAQ rows: labelled
    _chunk("faq-cc", "credit card instalments: choose 3, 6, 12 or 24", "credit_card"),
    _chunk("faq-debit", "activate your new debit card at the branch counter", "debit_card"),
]


def test_an_unlabelled_guide_stays_and_another_products_row_goes() -> None:
    retriever = KeywordRetriever(CHUNKS, floor=0.1)
    result = search_for_turn(
        retriever, "how do i activate my new credit card", k=3, prefer={"product": "credit_card"}
    )
    ids = [h.chunk.chunk_id for h in result.hits]
    assert ids[0] == "guide"
    assert "faq-debit" not in ids
    assert "faq-cc" in ids
    assert result.good_enough


def test_k_is_kept_after_dropping_and_no_preference_is_a_plain_search() -> None:
    retriever = KeywordRetriever(CHUNKS, floor=0.1)
    narrowed = search_for_turn(retriever, "activate card", k=1, prefer={"product": "credit_card"})
    assert [h.chunk.chunk_id for h in narrowed.hits] == ["guide"]
    plain = search_for_turn(retriever, "activate debit card", k=3)
    assert [h.chunk.chunk_id for h in plain.hits][0] == "faq-debit"


def test_nothing_left_is_not_good_enough() -> None:
    retriever = KeywordRetriever([CHUNKS[2]], floor=0.1)
    result = search_for_turn(retriever, "activate debit card", k=3, prefer={"product": "credit_card"})
    assert result.hits == []
    assert not result.good_enough
