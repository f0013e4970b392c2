"""Keyword analysis: one script for Chinese, jieba segmentation, and why bm25s alone fails on Chinese."""

from __future__ import annotations

import bm25s
import pytest

from retrieval.text import KeywordAnalyzer, detect_lang, s_stem


@pytest.fixture(scope="module")
def analyzer() -> KeywordAnalyzer:
    a = KeywordAnalyzer()
    a.warm_up()
    return a


def test_bm25s_default_tokenizer_scores_every_chinese_query_zero() -> None:
    corpus = ["信用卡账单日是每月五日", "如何修改网银登录密码", "外币汇款手续费"]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords=None, show_progress=False), show_progress=False)
    q = bm25s.tokenize(["信用卡账单日"], stopwords=None, show_progress=False)
    _, scores = retriever.retrieve(q, k=3, show_progress=False)
    assert float(scores.max()) == 0.0  # whitespace tokens: the query is one unknown "word"


def test_jieba_tokens_make_the_same_chinese_query_match(analyzer: KeywordAnalyzer) -> None:
    corpus = ["信用卡账单日是每月五日", "如何修改网银登录密码", "外币汇款手续费"]
    retriever = bm25s.BM25()
    retriever.index([analyzer.analyze(t) for t in corpus], show_progress=False)
    scores = retriever.get_scores(analyzer.analyze("信用卡账单日"))
    assert scores.argmax() == 0
    assert scores[0] > 0


def test_traditional_and_simplified_share_tokens(analyzer: KeywordAnalyzer) -> None:
    mainland = set(analyzer.analyze("信用卡账单日"))
    taiwan = set(analyzer.analyze("信用卡帳單日"))
    assert mainland == taiwan
    # different words stay different, but the shared ones now match: 信用卡 ... 日
    assert {"信用卡", "日"} <= set(analyzer.analyze("信用卡結帳日")) & mainland
    assert analyzer.to_simplified("網路銀行") == "网络银行"


def test_english_tokens_fold_case_width_plurals_and_stopwords(analyzer: KeywordAnalyzer) -> None:
    assert analyzer.analyze("What are the Fees for ＣＡＲＤＳ?") == ["fee", "card"]
    assert [s_stem(w) for w in ("policies", "cards", "bus", "class", "does")] == [
        "policy", "card", "bus", "class", "doe"]  # fmt: skip


def test_detect_lang() -> None:
    assert detect_lang("信用卡年費") == "zh"
    assert detect_lang("Visa卡的年費是多少") == "zh"
    assert detect_lang("What is the annual fee of my Visa card?") == "en"
    assert detect_lang("12345 !!") == ""


def test_analyzer_requires_warm_up() -> None:
    with pytest.raises(RuntimeError, match="warm_up"):
        KeywordAnalyzer().analyze("x")
