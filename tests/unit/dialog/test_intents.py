from __future__ import annotations

from pathlib import Path

import pytest

from dialog.errors import IntentConfigError
from dialog.intents import IntentSpec, load_intents_yaml, parse_intents
from dialog.testing import DEMO_INTENTS


def test_demo_intent_set() -> None:
    intents = load_intents_yaml(DEMO_INTENTS)
    assert {"card_lost_stolen", "fraud_scam", "complaint", "human_agent", "out_of_scope", "greeting"} <= set(
        intents.names
    )
    assert {"card_lost_stolen", "fraud_scam", "complaint"} <= intents.handoff_intents()
    texts, labels = intents.training_data()
    assert len(texts) == len(labels) > 200
    for spec in intents:  # every intent speaks both languages
        assert any(not e.isascii() for e in spec.examples), spec.name
        assert any(e.isascii() for e in spec.examples), spec.name
    fees = intents.get("card_fees")
    assert fees is not None
    assert fees.required_slots == ("card_type",)
    assert fees.topic_in("zh") == "卡片年费"
    assert fees.topic_in("fr") == "card fees"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"name": "Card Lost", "examples": ["x"]}], "snake_case"),
        ([{"name": "a", "examples": []}], "at least 1"),
        ([{"name": "a", "examples": ["  "]}], "non-empty example"),
        ([{"name": "a", "examples": ["x"], "colour": "red"}], "Extra inputs"),
        ([{"name": "a", "examples": ["x"]}, {"name": "a", "examples": ["y"]}], "defined twice"),
        ([{"name": "out_of_scope", "examples": ["x"]}], "besides out_of_scope"),
    ],
)
def test_bad_intent_sets_are_refused_with_the_reason(raw: list[dict[str, object]], message: str) -> None:
    with pytest.raises(IntentConfigError, match=message):
        parse_intents(raw)


def test_yaml_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("intents: {not: a list}", encoding="utf-8")
    with pytest.raises(IntentConfigError, match="list of intents"):
        load_intents_yaml(bad)
    with pytest.raises(IntentConfigError, match="cannot read"):
        load_intents_yaml(tmp_path / "missing.yaml")
    bare = tmp_path / "bare.yaml"
    bare.write_text("- {name: a, examples: [hi]}\n- {name: b, examples: [bye]}\n", encoding="utf-8")
    assert load_intents_yaml(bare).names == ["a", "b"]


def test_spec_is_plain_data() -> None:
    spec = IntentSpec(name="a", examples=("x",), topic={"zh": "甲"})
    assert IntentSpec.model_validate(spec.model_dump()) == spec
