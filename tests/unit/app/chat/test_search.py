"""``app.chat.search``: a product the question names is a preference, not a fence (the guides that hold
a card's activation steps carry no product label and must stay among the passages)."""

from __future__ import annotations

import pytest

from app.chat.search import covered, search_for_turn
from retrieval.testing import KeywordRetriever
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord, SearchFilters, SearchResult


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


@pytest.fixture(scope="module")
def analyzer() -> KeywordAnalyzer:
    a = KeywordAnalyzer()
    a.warm_up()
    return a


FEES = [
    _chunk("fees", "Late payment fee: 5% of the unpaid minimum payment. Over-limit fee: none."),
    _chunk("atm", "卡片丢失或被盗：拨打95396按0。ATM吞卡：请在下一个工作日携带身份证到网点领取。"),
]


class _UnderTheFloor(KeywordRetriever):
    """The hits of a keyword search with the retriever's verdict "not good enough" (a dense floor)."""

    def search(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> SearchResult:
        found = super().search(query, k=k, filters=filters)
        return SearchResult(hits=found.hits, good_enough=False, version=found.version)


@pytest.mark.parametrize(
    "question",
    # the words that only ask ("多少", "在哪", "how long ... take") need not be in the passage
    [
        "is there an over limit fee",
        "ATM吞卡了",
        "late payment fee 多少",
        "ATM吞卡了 在哪",
        "how long does an over limit fee take",
    ],
)
def test_a_passage_holding_every_keyword_of_the_question_is_good_enough(
    analyzer: KeywordAnalyzer, question: str
) -> None:
    retriever = _UnderTheFloor(FEES, floor=0.0)
    assert covered(question, retriever.search(question, k=2).hits, analyzer)
    assert search_for_turn(retriever, question, k=2, analyzer=analyzer).good_enough
    assert not search_for_turn(retriever, question, k=2).good_enough  # without it: the retriever's verdict


@pytest.mark.parametrize(
    "question", ["is there an over limit fee for business accounts", "fee", "ATM能存外币吗"]
)
def test_a_missing_keyword_or_a_one_word_question_is_not_enough(
    analyzer: KeywordAnalyzer, question: str
) -> None:
    retriever = _UnderTheFloor(FEES, floor=0.0)
    assert not search_for_turn(retriever, question, k=2, analyzer=analyzer).good_enough


def test_another_products_row_holding_every_keyword_is_kept(analyzer: KeywordAnalyzer) -> None:
    """The preference is a guess from a word ("网银" -> mobile banking); a row labelled otherwise that holds
    every keyword of the question is the answer, and stays (the e2e markup question hit this)."""
    rows = [
        _chunk("security", "网银页面出现一段代码怎么办？ 请清除浏览器缓存后重新登录网上银行。", "security"),
        _chunk("mobile", "手机丢了，手机银行怎么办？ 请拨打95396暂停手机银行服务。", "mobile_banking"),
        _chunk("other", "银行卡密码输错被锁了怎么办？ 次日自动解锁。", "security"),
    ]
    retriever = KeywordRetriever(rows, floor=0.0)
    question = "网银页面出现一段代码怎么办"
    kept = search_for_turn(retriever, question, k=3, prefer={"product": "mobile_banking"}, analyzer=analyzer)
    ids = [h.chunk.chunk_id for h in kept.hits]
    assert ids[0] == "security"
    assert "other" not in ids  # labelled otherwise and not holding every keyword: still dropped
    without = search_for_turn(retriever, question, k=3, prefer={"product": "mobile_banking"})
    assert "security" not in [h.chunk.chunk_id for h in without.hits]  # no analyzer: the label decides
