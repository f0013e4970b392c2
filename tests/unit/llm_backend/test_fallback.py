"""Degraded answers: a cited quote of the top passage, or a handoff message, in the customer's language."""

from __future__ import annotations

from llm_backend.fallback import extractive_answer, handoff_answer
from llm_backend.prompt_text import NO_ANSWER_EN, NO_ANSWER_ZH
from llm_backend.types import Passage


def test_quotes_the_top_passage_with_its_citation() -> None:
    passages = [Passage("c7", "信用卡年费为每年200元。首年免年费。", "年费"), Passage("c8", "其他")]
    out = extractive_answer(passages, question="年费多少？")
    assert "年费: 信用卡年费为每年200元。首年免年费。 [1]" in out.text
    assert out.text.startswith("智能助手暂时无法生成回答")
    assert out.citations == ("c7",)
    assert not out.handoff


def test_long_passage_is_cut_at_a_sentence_end() -> None:
    text = "First sentence here. " * 40
    out = extractive_answer([Passage("a", text)], question="What is it?", max_chars=100)
    quote = out.text.splitlines()[1]
    assert quote.endswith(".… [1]")
    assert len(quote) < 120
    assert out.text.startswith("Our assistant can't compose an answer")


def test_a_withheld_answer_gets_a_lead_that_claims_no_outage() -> None:
    passages = [Passage("c7", "信用卡年费为每年200元。", "年费")]
    zh = extractive_answer(passages, question="年费多少？", kind="ungrounded")
    assert zh.text == "以下是我们资料中与您问题最相关的内容：\n年费: 信用卡年费为每年200元。 [1]"
    en = extractive_answer([Passage("a", "Branches open 9:00-17:00.")], question="Hours?", kind="ungrounded")
    assert en.text == "Here is the most relevant passage from our documents:\nBranches open 9:00-17:00. [1]"
    for text in (zh.text, en.text):
        assert "暂时无法" not in text
        assert "can't" not in text
    assert en.citations == ("a",)


def test_no_passages_gives_the_no_answer_phrase() -> None:
    assert extractive_answer([], question="年费？").text == NO_ANSWER_ZH
    assert extractive_answer([Passage("a", "  ")], question="fee?").text == NO_ANSWER_EN
    assert extractive_answer([], question="fee?", kind="ungrounded").text == NO_ANSWER_EN


def test_handoff_message() -> None:
    out = handoff_answer(question="How do I close my account?")
    assert out.handoff
    assert "human agent" in out.text
    assert out.citations == ()
    assert "人工客服" in handoff_answer(question="怎么销户").text
