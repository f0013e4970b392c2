from __future__ import annotations

import json

from dialog.events import BotSaid, IntentDetected, RetrievalMissed, SlotSet, UserSaid
from dialog.handoff import build_handoff_package
from dialog.intents import load_intents_yaml
from dialog.state import DialogState
from dialog.testing import DEMO_INTENTS

INTENTS = load_intents_yaml(DEMO_INTENTS)


def _state(lang: str = "zh") -> DialogState:
    return DialogState.replay(
        [
            UserSaid(text="信用卡<CREDIT_CARD_1>分期怎么申请？", lang=lang),
            IntentDetected(
                intent="credit_card_instalment", confidence=0.9, standalone_query="信用卡分期怎么申请？"
            ),
            SlotSet(name="card_type", value="credit"),
            SlotSet(name="card_number", value="<CREDIT_CARD_1>"),
            BotSaid(text="在App中申请 [1]", citations=["faq#1", "guide#3"]),
            UserSaid(text="那手续费呢？", lang=lang),
            IntentDetected(
                intent="credit_card_instalment",
                confidence=0.8,
                standalone_query="信用卡分期的手续费是多少？",
                frustration=0.25,
            ),
            BotSaid(text="每期0.66% [1]", citations=["faq#2", "faq#1"]),
            UserSaid(text="还是不明白", lang=lang),
            RetrievalMissed(),
        ]
    )


def test_package_carries_what_the_agent_needs() -> None:
    pkg = build_handoff_package(_state(), "explicit_request", intents=INTENTS)
    assert pkg.reason == "explicit_request"
    assert pkg.intent == "credit_card_instalment"
    assert pkg.slots == {"card_type": "credit", "card_number": "<CREDIT_CARD_1>"}
    assert pkg.cited_chunk_ids == ("faq#1", "guide#3", "faq#2")
    assert [line.role for line in pkg.transcript] == ["user", "bot", "user", "bot", "user"]
    assert pkg.transcript[0].text == "信用卡<CREDIT_CARD_1>分期怎么申请？"  # masked, as stored
    assert pkg.last_question == "信用卡分期的手续费是多少？"
    assert pkg.failed_retrievals == 1
    assert pkg.frustration == 0.25
    assert "客户要求人工服务" in pkg.summary
    assert "信用卡分期" in pkg.summary
    assert "card_type=信用卡" in pkg.summary
    json.dumps(pkg.to_dict(), ensure_ascii=False)


def test_english_summary_and_a_bare_state() -> None:
    pkg = build_handoff_package(_state("en"), "frustration", intents=INTENTS)
    assert pkg.summary.startswith("Handoff because the customer is frustrated.")
    assert "Topic: credit card instalments." in pkg.summary
    empty = build_handoff_package(DialogState(), "repeated_failure")
    assert empty.transcript == ()
    assert empty.cited_chunk_ids == ()
    assert "not identified" in empty.summary


def test_transcript_is_bounded() -> None:
    state = DialogState.replay([UserSaid(text=f"q{i}") for i in range(50)])
    assert len(build_handoff_package(state, "explicit_request", max_turns=10).transcript) == 10
