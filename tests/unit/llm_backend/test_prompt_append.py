"""The append-only prompt layout: earlier turns come back byte for byte, a turn's new passages go after the
history and keep numbering on, trimming drops the oldest whole turns, this turn's best passage is shown."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from llm_backend.composer_backend import read_passages
from llm_backend.config import PromptConfig
from llm_backend.errors import LLMContextTooLong
from llm_backend.prompt_text import cited_refs
from llm_backend.prompts import build_rag_prompt, with_evidence
from llm_backend.tokens import EstimatingCounter, count_messages
from llm_backend.types import BuiltPrompt, ChatMessage, Passage

COUNTER = EstimatingCounter()
APPEND = PromptConfig(layout="append")
FEE = Passage("fee", "信用卡年费为每年200元，首年免年费。", "信用卡年费")
LOST = Passage("lost", "挂失请拨打客服热线95555。", "挂失")
WIRE = Passage("wire", "Wire transfers take 1-2 business days.", "Transfers")
ATM = Passage("atm", "ATM单笔最多取3000元，每日最多2万元。", "ATM取款")
FX = Passage("fx", "外币兑换请到柜台办理，需带身份证。", "外币兑换")


def build(
    question: str,
    passages: Sequence[Passage],
    *,
    previous: BuiltPrompt | None = None,
    history: Sequence[ChatMessage] = (),
    config: PromptConfig = APPEND,
    context_tokens: int = 4096,
) -> BuiltPrompt:
    return build_rag_prompt(
        question, passages, counter=COUNTER, config=config, context_tokens=context_tokens,
        answer_tokens=256, history=history, earlier=previous.turns if previous else (),
    )  # fmt: skip


def converse(turns: Sequence[tuple[str, Sequence[Passage]]], **kw: object) -> list[BuiltPrompt]:
    """Each turn built from the previous one's ``turns``; every answer cites [1]."""
    built: list[BuiltPrompt] = []
    history: list[ChatMessage] = []
    for question, passages in turns:
        built.append(build(question, passages, previous=built[-1] if built else None, history=history, **kw))  # type: ignore[arg-type]
        history += [ChatMessage("user", question), ChatMessage("assistant", f"答：{question} [1]")]
    return built


def test_first_turn_is_system_then_passages_and_question_in_one_message() -> None:
    out = build("信用卡年费多少？", [FEE, LOST])
    assert [m.role for m in out.messages] == ["system", "user"]
    last = out.messages[1].content
    assert last.index("[1] 信用卡年费") < last.index("[2] 挂失") < last.index("<question>")
    assert out.citations == ("fee", "lost")
    assert [t.passages for t in out.turns] == [(FEE, LOST)]


def test_same_inputs_give_the_same_bytes() -> None:
    a = converse([("信用卡年费多少？", [FEE, LOST]), ("ATM能取多少？", [ATM, FEE])])
    b = converse([("信用卡年费多少？", [FEE, LOST]), ("ATM能取多少？", [ATM, FEE])])
    assert a == b


def test_a_follow_up_that_adds_passages_extends_the_previous_prompt_and_its_answer() -> None:
    t1, t2, t3 = converse(
        [("信用卡年费多少？", [FEE, LOST]), ("ATM能取多少？", [ATM, FEE, WIRE]), ("那外币呢？", [FX])]
    )
    # every earlier message, the first turn's passages and question included, comes back byte for byte
    assert t2.messages[: len(t1.messages)] == t1.messages
    assert t2.messages[len(t1.messages)] == ChatMessage("assistant", "答：信用卡年费多少？ [1]")
    assert t3.messages[: len(t2.messages)] == t2.messages
    # a passage already shown is not shown again; new ones are numbered on after the earlier turns'
    new = t2.messages[-1].content
    assert "[3] ATM取款" in new
    assert "[4] Transfers" in new
    assert "信用卡年费为" not in new
    assert new.index("</passages>") < new.index("<question>\nATM能取多少？")
    assert t2.citations == ("fee", "lost", "atm", "wire")
    assert t3.citations[: len(t2.citations)] == t2.citations  # an earlier answer's [n] stays true
    assert cited_refs("见 [1] 和 [3]", t3.citations) == ["fee", "atm"]
    assert t3.usage.dropped_history_messages == 0


def test_a_follow_up_whose_best_passage_is_shown_adds_only_what_outranks_it() -> None:
    t1, t2 = converse([("信用卡年费多少？", [FEE, LOST]), ("首年呢？", [FEE, WIRE])])
    assert t2.messages[-1].content.startswith("Customer question")  # no passage block: nothing new
    assert t2.citations == ("fee", "lost")
    assert t2.turns[-1].passages == ()


def test_the_composer_backend_reads_every_turns_passages_with_their_numbers() -> None:
    *_, t2 = converse([("信用卡年费多少？", [FEE, LOST]), ("ATM能取多少？", [ATM, FEE])])
    passages, question = read_passages(list(t2.messages))
    assert [(p.ref, p.title) for p in passages] == [("1", "信用卡年费"), ("2", "挂失"), ("3", "ATM取款")]
    assert question == "ATM能取多少？"


def test_evidence_still_goes_after_the_question_of_the_last_message() -> None:
    *_, t2 = converse([("信用卡年费多少？", [FEE, LOST]), ("ATM能取多少？", [ATM, FEE])])
    out = with_evidence(t2, "每日最多2万元。 [3]", counter=COUNTER, context_tokens=4096, answer_tokens=256)
    assert out.messages[:-1] == t2.messages[:-1]
    last = out.messages[-1].content
    assert last.startswith(t2.messages[-1].content)
    assert last.index("</question>") < last.index("<evidence>")


def test_a_message_asked_outside_a_prompt_is_rendered_as_a_plain_question() -> None:
    t1 = build("信用卡年费多少？", [FEE])
    history = [
        ChatMessage("user", "信用卡年费多少？"), ChatMessage("assistant", "200元 [1]"),
        ChatMessage("user", "转人工"), ChatMessage("assistant", "正在为您转接。"),
    ]  # fmt: skip
    t2 = build("ATM能取多少？", [ATM], previous=t1, history=history)
    assert t2.messages[:2] == t1.messages
    assert "<passages>" not in t2.messages[3].content
    assert "转人工" in t2.messages[3].content
    assert t2.citations == ("fee", "atm")


def test_the_block_layout_is_the_default_and_ignores_earlier_turns() -> None:
    t1 = build("信用卡年费多少？", [FEE], config=PromptConfig())
    assert PromptConfig().layout == "block"
    assert t1.turns == ()
    assert "<question>" not in t1.messages[1].content


def _long(i: int) -> Passage:
    return Passage(f"p{i}", f"第{i}条：" + "这是一段很长的参考资料，用来占满上下文窗口。" * 12, f"资料{i}")


def test_overflow_drops_the_oldest_whole_turns_in_steps_and_the_prefix_then_holds() -> None:
    config = PromptConfig(layout="append", history_tokens=300, passages_tokens=600, history_trim_step=4)
    turns = [(f"第{i}个问题是什么？", [_long(i)]) for i in range(1, 8)]
    built = converse(turns, config=config)
    dropped = [b.usage.dropped_history_messages for b in built]
    assert dropped[0] == 0
    assert max(dropped) > 0
    trimmed = dropped.index(next(d for d in dropped if d))
    after = built[trimmed]
    assert dropped[trimmed] % 4 == 0  # whole turns, history_trim_step messages at a time
    # the kept turns are numbered from [1] again, and the next turn extends the trimmed prompt
    assert after.messages[1].content.startswith("Reference passages")
    assert "[1] 资料" in after.messages[1].content
    assert dropped[trimmed + 1] == dropped[trimmed]
    assert built[trimmed + 1].messages[: len(after.messages)] == after.messages
    for b, (_, passages) in zip(built, turns, strict=True):
        assert passages[0].ref in b.citations  # this turn's best passage is always shown
        assert b.usage.total <= 4096 - 256
        assert count_messages(COUNTER, list(b.messages)) == b.usage.total


def test_optional_new_passages_make_room_before_a_turn_is_dropped() -> None:
    config = PromptConfig(layout="append", topic_change_new_passages=1)  # the second new one is optional
    t1 = build("第1个问题是什么？", [_long(1)], config=config)
    history = [ChatMessage("user", "第1个问题是什么？"), ChatMessage("assistant", "答 [1]")]
    roomy = build("另一个问题？", [_long(2), _long(3)], previous=t1, history=history, config=config)
    assert roomy.citations == ("p1", "p2", "p3")
    tight = build(
        "另一个问题？", [_long(2), _long(3)], previous=t1, history=history, config=config, context_tokens=1600
    )
    assert tight.citations == ("p1", "p2")
    assert tight.usage.dropped_history_messages == 0
    assert tight.messages[:2] == t1.messages


def test_a_passage_of_a_dropped_turn_retrieved_again_is_new_again() -> None:
    config = PromptConfig(layout="append", history_tokens=300, passages_tokens=600)
    turns = [(f"第{i}个问题是什么？", [_long(i)]) for i in range(1, 6)]
    built = converse(turns, config=config)
    last = built[-1]
    assert last.usage.dropped_history_messages > 0
    history = [m for i, (q, _) in enumerate(turns) for m in (ChatMessage("user", q), ChatMessage("assistant", f"答：{q} [1]"))]  # fmt: skip
    again = build("第1个问题再说一遍？", [_long(1)], previous=last, history=history, config=config)
    assert "p1" in again.citations
    assert f"[{again.citations.index('p1') + 1}] 资料1" in again.messages[-1].content


def test_a_window_too_small_for_even_the_policy_raises() -> None:
    with pytest.raises(LLMContextTooLong):
        build("信用卡年费多少？", [FEE], context_tokens=300)
