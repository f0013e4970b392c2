"""What the tracker learns from a tenant's KB (``dialog.kb_profile``): in-scope examples from its labels,
slots its product names imply, and the classifier trained on both (model-free embedding)."""

from __future__ import annotations

import pytest

from dialog.events import ClarificationAsked, UserSaid
from dialog.intents import OUT_OF_SCOPE, IntentSet, IntentSpec
from dialog.kb_profile import KB_INTENT, KBProfile, implied_slots, in_scope_examples, with_kb_examples
from dialog.policy import Policy
from dialog.protocols import RetrievalSignal
from dialog.state import DialogState
from dialog.testing import local_tracker

# As the demo KB writes its cards: a Gold credit card and a Gold debit card, a Platinum credit card only.
KB_TEXT = [
    "信用卡 › 我们的卡\n| | 海港经典卡 | 海港金卡 | 海港白金卡 |\n信用卡年费：经典卡100元，金卡300元，白金卡1200元",
    "借记卡 › 卡种\n| | 海港借记卡（普卡） | 海港借记卡（金卡） |\n借记卡金卡免年费",
    "信用卡取现手续费：经典卡2.5%，金卡2%，白金卡1%",
    "Credit cards › Our cards\n| | Harbor Classic Card | Harbor Gold Card | Harbor Platinum Card |\n"
    "The credit card annual fee: Platinum card RMB 1,200",
    "Debit cards › Card types\nHarbor Debit Card (Standard), Harbor Debit Card (Gold): the debit card Gold card",
]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["如何申请信用卡分期？"], ("如何申请信用卡分期？",)),
        (["Credit card guide › Instalments › How to apply"],
         ("Credit card guide Instalments How to apply", "How to apply")),
        (["Fees › Notes", "说明 › 注意"], ("Fees Notes", "说明 注意")),  # a lone "Notes" says nothing
        (["new_year_2027.en.txt", "", "2024", "Q"], ()),  # file names, numbers, one character
        (["如何申请信用卡分期？", "如何申请信用卡分期？"], ("如何申请信用卡分期？",)),
    ],
)  # fmt: skip
def test_in_scope_examples_from_labels(labels: list[str], expected: tuple[str, ...]) -> None:
    assert in_scope_examples(labels) == expected


def test_a_product_name_implies_the_card_type_the_kb_gives_it() -> None:
    implied = implied_slots(KB_TEXT)
    assert implied[("card_tier", "platinum")] == ("card_type", "credit")
    assert implied[("card_tier", "classic")] == ("card_type", "credit")
    assert ("card_tier", "gold") not in implied  # a Gold credit card and a Gold debit card: still open


def test_one_mention_implies_nothing() -> None:
    assert implied_slots(["海港白金卡是信用卡"]) == {}


INTENTS = IntentSet(
    [
        IntentSpec(
            name="transfer", examples=("转账多久到账", "跨行转账手续费", "how long does a transfer take")
        ),
        IntentSpec(name=OUT_OF_SCOPE, examples=("今天天气怎么样", "讲个笑话", "who won the match", "租房子")),
    ]
)


def test_kb_examples_join_their_topic_or_the_generic_kb_intent() -> None:
    intents = INTENTS
    tracker = local_tracker(intents)
    out = with_kb_examples(
        intents, ["跨行转账要多久到账", "保管箱租金多少"], tracker.classifier, min_confidence=0.5
    )
    by_name = {spec.name: spec.examples for spec in out}
    assert "跨行转账要多久到账" in by_name["transfer"]
    assert by_name[KB_INTENT] == ("保管箱租金多少",)


def test_new_kb_content_is_in_scope_without_intent_examples() -> None:
    """A topic no intent speaks of ("保管箱") is out of scope for the intents alone, in scope once the KB's
    FAQ asks about it."""
    question = "保管箱怎么租"
    plain = local_tracker(INTENTS).track_sync(DialogState(), question)
    kb = KBProfile(examples=("保管箱怎么租用？", "保管箱租金是多少？", "保管箱 › 租用流程"))
    taught = local_tracker(INTENTS, kb=kb).track_sync(DialogState(), question)
    assert plain.intent == OUT_OF_SCOPE
    assert taught.intent == KB_INTENT


@pytest.mark.parametrize(
    ("text", "card_type", "asks"),
    [
        ("白金卡年费多少钱", "credit", False),
        ("What is the annual fee for the Platinum card?", "credit", False),
        ("经典卡年费多少", "credit", False),
        ("金卡年费多少", None, True),  # the KB has both: the answer differs, so ask
        ("年费多少", None, True),
        ("借记卡白金卡年费", "debit", False),  # the customer's own word wins
    ],
)
def test_a_product_name_settles_the_card_type(text: str, card_type: str | None, asks: bool) -> None:
    tracker = local_tracker(kb=KBProfile(implied=implied_slots(KB_TEXT)))
    result = tracker.track_sync(DialogState(), text)
    assert result.slots.get("card_type") == card_type
    state = DialogState()
    for e in (UserSaid(text=text, lang=result.lang), *result.events):
        state = state.apply(e)
    if result.intent == "card_fees":
        decision = Policy()(state, result, RetrievalSignal(good_enough=True, n_hits=5))
        assert (decision.action == "clarify") is asks


def test_a_follow_up_naming_a_product_switches_the_implied_type() -> None:
    tracker = local_tracker(kb=KBProfile(implied=implied_slots(KB_TEXT)))
    state = DialogState()
    for text in ("借记卡年费多少", "那白金卡呢"):
        result = tracker.track_sync(state, text)
        for e in (UserSaid(text=text, lang=result.lang), *result.events):
            state = state.apply(e)
        if result.missing_slots:
            state = state.apply(ClarificationAsked(slot=result.missing_slots[0]))
    assert state.slots["card_type"] == "credit"
    assert "白金卡" in result.standalone_query
    assert "借记卡" not in result.standalone_query
