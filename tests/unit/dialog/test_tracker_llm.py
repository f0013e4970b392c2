"""The LLM tracker against scripted model adapters: its schema, prompt, merge and every fallback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from dialog.events import BotSaid, IntentDetected, SlotSet, UserSaid
from dialog.protocols import Tracker
from dialog.state import DialogState
from dialog.tracker_llm import LLMTracker, max_output_tokens, state_schema
from dialog.tracker_local import LocalTracker


class Scripted:
    def __init__(self, *answers: Any, delay_s: float = 0.0) -> None:
        self.answers = list(answers)
        self.delay_s = delay_s
        self.calls: list[tuple[list[dict[str, str]], dict[str, Any]]] = []

    async def __call__(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((messages, schema))
        await asyncio.sleep(self.delay_s)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


def update(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "intent": "credit_card_instalment",
        "confidence": 87,
        "standalone_query": "信用卡分期的手续费是多少？",
        "slots": [{"name": "card_type", "value": "credit"}],
        "frustration": 1,
        "wants_human": False,
    }
    return {**base, **kw}


def _walk(node: Any, path: str = "$") -> list[str]:
    problems: list[str] = []
    if isinstance(node, dict) and "type" in node:
        t = node["type"]
        if t == "string" and "maxLength" not in node and "enum" not in node:
            problems.append(f"{path}: unbounded string")
        if t in ("integer", "number") and ("minimum" not in node or "maximum" not in node):
            problems.append(f"{path}: unbounded number")
        if t == "number":
            problems.append(f"{path}: use a bounded integer, a float never ends under constrained decoding")
        if t == "array" and "maxItems" not in node:
            problems.append(f"{path}: unbounded array")
        if t == "object" and node.get("additionalProperties") is not False:
            problems.append(f"{path}: open object")
        for key, child in node.get("properties", {}).items():
            problems += _walk(child, f"{path}.{key}")
        if "items" in node:
            problems += _walk(node["items"], f"{path}[]")
    return problems


def test_schema_is_bounded_everywhere() -> None:
    schema = state_schema(["a", "b"], [])
    assert _walk(schema) == []
    assert schema["properties"]["intent"]["enum"] == ["a", "b", "out_of_scope"]


async def test_model_answer_becomes_the_state_update(tracker: LocalTracker) -> None:
    model = Scripted(update())
    llm = LLMTracker(model, tracker)
    assert isinstance(llm, Tracker)
    state = DialogState.replay(
        [UserSaid(text="信用卡分期怎么申请？", lang="zh"), BotSaid(text="在App里申请", citations=["c1"])]
    )
    result = await llm.track(state, "那手续费呢？")
    assert (result.path, result.degraded) == ("llm", False)
    assert result.intent == "credit_card_instalment"
    assert result.confidence == pytest.approx(0.87)
    assert result.standalone_query == "信用卡分期的手续费是多少？"
    assert result.slots["card_type"] == "credit"
    assert isinstance(result.events[0], IntentDetected)
    assert SlotSet(name="card_type", value="credit", at=result.events[1].at) in result.events
    messages, schema = model.calls[0]
    assert schema == llm.schema
    assert messages[0]["role"] == "system"
    assert "credit_card_instalment" in messages[0]["content"]
    assert "Customer: 信用卡分期怎么申请？" in messages[1]["content"]
    assert "Assistant: 在App里申请" in messages[1]["content"]
    assert messages[1]["content"].endswith("Last customer message: 那手续费呢？")


async def test_rules_still_apply_on_the_llm_path(tracker: LocalTracker) -> None:
    llm = LLMTracker(Scripted(update(intent="transfer", frustration=0, wants_human=False)), tracker)
    result = await llm.track(DialogState(), "我的卡被盗刷了，转人工")
    assert result.urgent
    assert result.explicit_handoff
    wants = LLMTracker(Scripted(update(wants_human=True, frustration=9)), tracker)
    asked = await wants.track(DialogState(), "能不能找个人帮我看看")
    assert asked.explicit_handoff
    assert asked.frustration == pytest.approx(0.9)


async def test_placeholders_from_the_rules_win(tracker: LocalTracker) -> None:
    model = Scripted(update(slots=[{"name": "card_number", "value": "6222 0000 0000 0000"}]))
    result = await LLMTracker(model, tracker).track(DialogState(), "卡号<CREDIT_CARD_1>的分期")
    assert result.slots["card_number"] == "<CREDIT_CARD_1>"


@pytest.mark.parametrize(
    "answer",
    [
        update(intent="make_coffee"),  # not an intent of the tenant
        update(slots=[{"name": "favourite_colour", "value": "red"}]),
        update(confidence=250),
        update(standalone_query="长" * 301),
        update(extra="field"),
        {"intent": "transfer"},  # missing fields
        RuntimeError("connection refused"),
        TimeoutError(),
    ],
)
async def test_any_model_failure_falls_back_to_the_local_path(tracker: LocalTracker, answer: Any) -> None:
    llm = LLMTracker(Scripted(answer), tracker)
    result = await llm.track(DialogState(), "转账多久到账")
    assert (result.path, result.degraded) == ("local", True)
    assert result.intent == "transfer"
    assert llm.failures == 1


async def test_a_slow_model_times_out_into_the_local_path(tracker: LocalTracker) -> None:
    llm = LLMTracker(Scripted(update(), delay_s=5), tracker, timeout_s=0.05)
    result = await llm.track(DialogState(), "转账多久到账")
    assert result.degraded


async def test_nothing_to_ask_the_model_about(tracker: LocalTracker) -> None:
    model = Scripted()
    llm = LLMTracker(model, tracker)
    emoji = await llm.track(DialogState(), "😀😀")
    assert not emoji.has_content
    french = await llm.track(DialogState(), "Bonjour, je voudrais ouvrir un compte")
    assert french.lang == "fr"
    assert model.calls == []


async def test_out_of_scope_from_the_model_drops_its_slots(tracker: LocalTracker) -> None:
    llm = LLMTracker(Scripted(update(intent="out_of_scope", slots=[])), tracker)
    result = await llm.track(DialogState(), "今天天气怎么样")
    assert result.out_of_scope
    assert "date" not in result.slots


def test_refuses_a_non_callable(tracker: LocalTracker) -> None:
    with pytest.raises(TypeError, match="async callable"):
        LLMTracker("http://llm", tracker)  # type: ignore[arg-type]


def _largest(node: dict[str, Any]) -> Any:
    """The longest value a bounded schema admits (escaped quotes in every string)."""
    if "enum" in node:
        return max(node["enum"], key=lambda v: len(json.dumps(v, ensure_ascii=False)))
    kind = node["type"]
    if kind == "string":
        return '"' * node["maxLength"]
    if kind == "integer":
        return node["minimum"] if len(str(node["minimum"])) > len(str(node["maximum"])) else node["maximum"]
    if kind == "boolean":
        return False
    if kind == "array":
        return [_largest(node["items"]) for _ in range(node["maxItems"])]
    return {k: _largest(v) for k, v in node["properties"].items()}


def test_token_budget_fits_the_largest_valid_answer(tracker: LocalTracker) -> None:
    llm = LLMTracker(Scripted(), tracker)
    largest = json.dumps(_largest(llm.schema), ensure_ascii=False, separators=(",", ":"))
    assert len(largest) <= llm.max_tokens  # a token is at least one character
    assert llm.max_tokens < 1500
    with pytest.raises(ValueError, match="unbounded"):
        max_output_tokens({"type": "object", "properties": {"q": {"type": "string"}}})
