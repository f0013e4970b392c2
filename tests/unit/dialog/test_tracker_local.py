"""The local tracker end to end on the demo intents (model-free embedding; the rules are the real ones)."""

from __future__ import annotations

from dialog.events import ClarificationAsked, Event, IntentDetected, SlotSet, UserSaid
from dialog.protocols import Tracker, TrackResult
from dialog.state import DialogState
from dialog.tracker_local import LocalTracker, has_content


def _turn(tracker: LocalTracker, state: DialogState, text: str) -> tuple[DialogState, TrackResult]:
    result = tracker.track_sync(state, text)
    events: list[Event] = [UserSaid(text=text, lang=result.lang), *result.events]
    for e in events:
        state = state.apply(e)
    return state, result


def _conversation(tracker: LocalTracker, *texts: str) -> tuple[DialogState, TrackResult]:
    state = DialogState()
    result = None
    for t in texts:
        state, result = _turn(tracker, state, t)
        if result.missing_slots:  # what the policy would do: ask for the first missing slot
            state = state.apply(ClarificationAsked(slot=result.missing_slots[0]))
    assert result is not None
    return state, result


def test_is_a_tracker(tracker: LocalTracker) -> None:
    assert isinstance(tracker, Tracker)


def test_intents_in_both_languages(tracker: LocalTracker) -> None:
    cases = {
        "信用卡分期怎么申请？": "credit_card_instalment",
        "How do I apply for a credit card instalment plan?": "credit_card_instalment",
        "转账多久到账": "transfer",
        "what is the daily transfer limit": "transfer",
        "你好": "greeting",
        "thank you": "thanks",
    }
    for text, intent in cases.items():
        result = tracker.track_sync(DialogState(), text)
        assert result.intent == intent, text
        assert 0.0 < result.confidence <= 1.0


def test_out_of_scope_and_its_slots_are_dropped(tracker: LocalTracker) -> None:
    result = tracker.track_sync(DialogState(), "今天天气怎么样")
    assert result.out_of_scope
    assert "date" not in result.slots  # 今天 in a weather question is not the banking request's date
    assert not any(isinstance(e, SlotSet) for e in result.events)


def test_follow_up_is_rewritten_from_the_history(tracker: LocalTracker) -> None:
    state, result = _conversation(tracker, "信用卡分期怎么申请？", "那手续费呢？")
    assert result.standalone_query == "信用卡分期的手续费是多少？"
    assert result.intent == "credit_card_instalment"
    assert result.retrieval_filters == {"product": "credit_card"}
    assert state.standalone_query == "信用卡分期的手续费是多少？"
    _, en = _conversation(tracker, "How do I apply for credit card instalments?", "What about the fees?")
    assert en.standalone_query == "What are the fees for credit card instalments?"


def test_required_slot_is_missing_then_answered(tracker: LocalTracker) -> None:
    state, first = _conversation(tracker, "年费是多少")
    assert first.intent == "card_fees"
    assert first.missing_slots == ("card_type",)
    assert state.pending_slot == "card_type"
    state, answer = _turn(tracker, state, "借记卡")
    assert answer.standalone_query == "借记卡年费是多少"
    assert answer.slots["card_type"] == "debit"
    assert answer.missing_slots == ()
    assert SlotSet(name="card_type", value="debit", at=answer.events[1].at) in answer.events
    assert state.pending_slot is None


def test_a_known_slot_reaches_the_query(tracker: LocalTracker) -> None:
    _, result = _conversation(tracker, "信用卡分期怎么申请？", "年费是多少")
    assert result.intent == "card_fees"  # a new question, not "the instalment plan's annual fee"
    assert result.standalone_query == "信用卡年费是多少"
    assert result.missing_slots == ()


def test_triggers(tracker: LocalTracker) -> None:
    human = tracker.track_sync(DialogState(), "转人工")
    assert human.explicit_handoff
    assert not human.urgent
    stolen = tracker.track_sync(DialogState(), "我的卡被盗刷了")
    assert stolen.urgent
    assert not stolen.explicit_handoff
    en = tracker.track_sync(DialogState(), "my credit card was stolen, I need an agent")
    assert en.urgent
    assert en.explicit_handoff
    # a question about the agents themselves is not a request for one, whatever the classifier says
    for text in ("human agent chat hours", "人工客服几点上班"):
        about = tracker.track_sync(DialogState(), text)
        assert not about.explicit_handoff, (text, about.intent)


def test_placeholders_are_slot_evidence_never_unmasked(tracker: LocalTracker) -> None:
    result = tracker.track_sync(DialogState(), "我的信用卡<CREDIT_CARD_1>丢了")
    assert result.slots["card_number"] == "<CREDIT_CARD_1>"
    assert "<CREDIT_CARD_1>" in result.standalone_query


def test_emoji_only_message(tracker: LocalTracker) -> None:
    state = DialogState().apply(UserSaid(text="hello", lang="en"))
    result = tracker.track_sync(state, "😀🙏")
    assert not result.has_content
    assert result.lang == "en"  # no evidence: the conversation's language
    assert result.out_of_scope
    assert result.confidence == 0.0
    assert tracker.track_sync(DialogState(), "😀").lang == "zh"  # the tenant default


def test_language_we_do_not_serve(tracker: LocalTracker) -> None:
    result = tracker.track_sync(DialogState(), "Bonjour, je voudrais ouvrir un compte")
    assert result.lang == "fr"
    assert result.out_of_scope


def test_very_long_and_mixed_script_messages(tracker: LocalTracker) -> None:
    long = tracker.track_sync(DialogState(), "我想咨询信用卡分期。" * 400)  # 4,000 characters
    assert long.intent == "credit_card_instalment"
    mixed = tracker.track_sync(DialogState(), "我的credit card被盗了!!")
    assert mixed.lang == "zh"
    assert mixed.urgent


def test_events_replay_to_the_same_slots(tracker: LocalTracker) -> None:
    state, result = _conversation(tracker, "我想转5000元到储蓄账户", "明天能到账吗")
    assert state.slots["amount"] == "5000 CNY"
    assert state.slots["account_type"] == "savings"
    assert isinstance(result.events[0], IntentDetected)
    # only changed slots are re-emitted
    assert not any(isinstance(e, SlotSet) and e.name == "amount" for e in result.events)


def test_repeating_a_question_raises_frustration(tracker: LocalTracker) -> None:
    state, first = _conversation(tracker, "信用卡年费多少")
    assert first.frustration == 0.0
    applied = state.apply(UserSaid(text="信用卡年费多少？？？", lang="zh"))  # caller appended it already
    again = tracker.track_sync(applied, "信用卡年费多少？？？")
    assert again.frustration >= 0.5
    assert state.apply(again.events[0]).frustration[-1] == round(again.frustration, 4)


async def test_async_track(tracker: LocalTracker) -> None:
    result = await tracker.track(DialogState(), "How do I reset my card PIN?")
    assert result.intent == "password_reset"
    assert result.lang == "en"


def test_has_content() -> None:
    assert has_content("a")
    assert has_content("你")
    assert not has_content("😀 !!! <CREDIT_CARD_1>")
    assert not has_content("")
