"""The LLM tracker: asks a model for the state update as JSON constrained by a bounded JSON schema.

Behind the same ``Tracker`` seam as the local tracker, which it wraps: the local rules still read the
message (language, placeholders, explicit requests, urgent topics, frustration), the model adds intent,
slots and the standalone rewrite, and any model failure (timeout, error, JSON that breaks the schema)
falls back to the local tracker with ``degraded=True``. The model is reached through a small async
callable ``(messages, schema) -> dict`` that the app adapts from its LLM client (passing
``max_tokens=max_output_tokens(schema)``, so a valid answer always fits), so this package never imports
``llm_backend``. Every string in the schema has a ``maxLength``, numbers are bounded integers,
names are enums and arrays have ``maxItems``: a constrained decoder always terminates.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialog.intents import OUT_OF_SCOPE, IntentSet
from dialog.protocols import TrackResult
from dialog.slots import SlotMatch
from dialog.state import DialogState
from dialog.tracker_local import Analysis, LocalTracker, with_path

logger = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}
StateCall = Callable[[list[Message], dict[str, Any]], Awaitable[dict[str, Any]]]

MAX_QUERY_CHARS = 200
MAX_SLOT_VALUE_CHARS = 40
MAX_SLOTS = 6
MAX_MESSAGE_CHARS_IN_PROMPT = 1000


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A slot the model may fill: name, what it means, and its canonical values if it has a fixed set."""

    name: str
    description: str
    values: tuple[str, ...] = ()


DEFAULT_SLOT_SPECS: tuple[SlotSpec, ...] = (
    SlotSpec("card_type", "kind of bank card", ("credit", "debit", "prepaid")),
    SlotSpec("card_tier", "card level", ("classic", "gold", "platinum", "standard")),
    SlotSpec(
        "product",
        "banking product asked about",
        (
            "credit_card",
            "debit_card",
            "mortgage",
            "car_loan",
            "loan",
            "deposit",
            "wealth",
            "insurance",
            "fx",
            "mobile_banking",
            "transfer",
        ),
    ),  # fmt: skip
    SlotSpec("account_type", "kind of account", ("savings", "current", "fixed")),
    SlotSpec("amount", "money amount as digits and an ISO currency code if given, e.g. '5000 CNY'"),
    SlotSpec("date", "date as YYYY-MM-DD, or a month as YYYY-MM"),
    SlotSpec("currency", "ISO currency code", ("CNY", "USD", "HKD", "EUR", "GBP", "JPY")),
    SlotSpec("channel", "where the customer does it", ("app", "online", "branch", "atm", "phone")),
    SlotSpec("card_number", "a card number placeholder exactly as written, e.g. <CREDIT_CARD_1>"),
)


def state_schema(intents: Sequence[str], slots: Sequence[SlotSpec]) -> dict[str, Any]:
    """The bounded JSON schema of one state update."""
    names = [*dict.fromkeys([*intents, OUT_OF_SCOPE])]
    return {
        "type": "object",
        "properties": {
            "intent": {"type": "string", "enum": names},
            "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
            "standalone_query": {"type": "string", "maxLength": MAX_QUERY_CHARS},
            "slots": {
                "type": "array",
                "maxItems": MAX_SLOTS,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "enum": [s.name for s in slots]},
                        "value": {"type": "string", "maxLength": MAX_SLOT_VALUE_CHARS},
                    },
                    "required": ["name", "value"],
                    "additionalProperties": False,
                },
            },
            "frustration": {"type": "integer", "minimum": 0, "maximum": 10},
            "wants_human": {"type": "boolean"},
        },
        "required": ["intent", "confidence", "standalone_query", "slots", "frustration", "wants_human"],
        "additionalProperties": False,
    }


def max_output_tokens(schema: Mapping[str, Any]) -> int:
    """An upper bound on the tokens of any compact JSON value valid under the bounded ``schema`` (a token
    is at least one character; escapes count double). Pass it as ``max_tokens`` so that a constrained
    decoder can always finish the object: a cut-off answer is invalid JSON."""

    def chars(node: Mapping[str, Any]) -> int:
        if "enum" in node:
            return max(len(json.dumps(v, ensure_ascii=False)) for v in node["enum"])
        kind = node.get("type")
        if kind == "string" and "maxLength" in node:
            return 2 + 2 * int(node["maxLength"])
        if kind == "integer" and "minimum" in node and "maximum" in node:
            return max(len(str(node["minimum"])), len(str(node["maximum"])))
        if kind == "boolean":
            return 5
        if kind == "array" and "maxItems" in node:
            n = int(node["maxItems"])
            return 2 + n * chars(node["items"]) + max(0, n - 1)
        if kind == "object":
            props = node.get("properties", {})
            return (
                2 + sum(len(json.dumps(k)) + 1 + chars(v) for k, v in props.items()) + max(0, len(props) - 1)
            )
        raise ValueError(f"unbounded schema node: {node}")

    return chars(schema) + 16  # the end-of-sequence token and a little slack


class _SlotValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    value: str = Field(max_length=MAX_SLOT_VALUE_CHARS)


class StateUpdate(BaseModel):
    """The model's answer, validated again here: a server may ignore the schema."""

    model_config = ConfigDict(extra="forbid")
    intent: str
    confidence: int = Field(ge=0, le=100)
    standalone_query: str = Field(max_length=MAX_QUERY_CHARS)
    slots: list[_SlotValue] = Field(max_length=MAX_SLOTS)
    frustration: int = Field(ge=0, le=10)
    wants_human: bool


def _system_prompt(intents: IntentSet, slots: Sequence[SlotSpec]) -> str:
    lines = [
        "You track the state of a bank's customer-service conversation. Read the conversation and the",
        "customer's last message and answer with one JSON object that follows the schema, nothing else.",
        "- intent: the one intent below that the last message (read in context) is about; out_of_scope",
        "  when none fits.",
        "- confidence: how sure you are of the intent, 0 to 100.",
        "- standalone_query: the last message rewritten as a self-contained question, in the customer's",
        "  language, taking what it leaves out from the conversation. Copy placeholders such as",
        "  <CREDIT_CARD_1> exactly; never invent personal data.",
        "- slots: values the customer has given so far for the slots below, in the form described.",
        "- frustration: how frustrated the customer is, 0 (calm) to 10 (furious).",
        "- wants_human: true only if the customer asks for a human agent.",
        "Intents:",
    ]
    for spec in intents:
        if spec.name == OUT_OF_SCOPE:
            continue
        lines.append(f"- {spec.name}: {spec.description or spec.examples[0]}")
    lines.append("Slots:")
    for slot in slots:
        values = f" (one of: {', '.join(slot.values)})" if slot.values else ""
        lines.append(f"- {slot.name}: {slot.description}{values}")
    return "\n".join(lines)


class LLMTracker:
    """``Tracker`` that asks a model; ``local`` supplies the rules and the fallback."""

    def __init__(
        self,
        call: StateCall,
        local: LocalTracker,
        *,
        slots: Sequence[SlotSpec] = DEFAULT_SLOT_SPECS,
        history_turns: int = 6,
        timeout_s: float = 8.0,
    ) -> None:
        if not callable(call):
            raise TypeError("call must be an async callable (messages, schema) -> dict")
        self._call = call
        self.local = local
        self._slots = tuple(slots)
        self.local_slots = self._slots
        self._slot_names = {s.name for s in self._slots}
        self._history_turns = history_turns
        self._timeout_s = timeout_s
        self.schema = state_schema(local.intents.names, self._slots)
        self.max_tokens = max_output_tokens(self.schema)
        self._system = _system_prompt(local.intents, self._slots)
        self.failures = 0  # model calls that fell back to the local path

    def messages(self, state: DialogState, masked_text: str) -> list[Message]:
        turns = list(state.history)
        if turns and turns[-1].role == "user" and turns[-1].text == masked_text:
            turns.pop()
        convo = [
            f"{'Customer' if t.role == 'user' else 'Assistant'}: {t.text[:MAX_MESSAGE_CHARS_IN_PROMPT]}"
            for t in turns[-self._history_turns :]
        ] if self._history_turns else []  # fmt: skip
        known = ", ".join(f"{k}={v}" for k, v in state.slots.items())
        parts = ["Conversation so far:", *(convo or ["(none)"])]
        if known:
            parts.append(f"Slots known so far: {known}")
        parts.append(f"Last customer message: {masked_text[:MAX_MESSAGE_CHARS_IN_PROMPT]}")
        return [{"role": "system", "content": self._system}, {"role": "user", "content": "\n".join(parts)}]

    def parse(self, raw: Mapping[str, Any]) -> StateUpdate:
        """Validate the model's JSON against the schema's bounds, the intent set and the slot names."""
        update = StateUpdate.model_validate(raw)
        if update.intent not in self.local.intents and update.intent != OUT_OF_SCOPE:
            raise ValueError(f"unknown intent {update.intent!r}")
        unknown = [s.name for s in update.slots if s.name not in self._slot_names]
        if unknown:
            raise ValueError(f"unknown slots {unknown}")
        return update

    async def track(self, state: DialogState, masked_text: str) -> TrackResult:
        found = self.local.analyse(state, masked_text)
        if not found.classifiable:
            return self.local.finish(state, found, OUT_OF_SCOPE, 0.0)
        try:
            raw = await asyncio.wait_for(
                self._call(self.messages(state, found.text), self.schema), self._timeout_s
            )
            update = self.parse(raw)
        except (TimeoutError, ValidationError, ValueError, TypeError, json.JSONDecodeError) as exc:
            return await self._fallback(state, masked_text, exc)
        except Exception as exc:  # the app's adapter raises its backend's errors; any of them means "down"
            return await self._fallback(state, masked_text, exc)
        return with_path(self._merge(state, found, update), path="llm", degraded=False)

    async def _fallback(self, state: DialogState, masked_text: str, exc: BaseException) -> TrackResult:
        self.failures += 1
        logger.warning("LLM tracker failed (%s: %s); local tracker answers", type(exc).__name__, exc)
        result = await self.local.track(state, masked_text)
        return with_path(result, path="local", degraded=True)

    def _merge(self, state: DialogState, found: Analysis, update: StateUpdate) -> TrackResult:
        slots: dict[str, SlotMatch] = {s.name: SlotMatch(s.name, s.value.strip(), 0, 0) for s in update.slots}
        slots.update(found.slots_now)  # the rules' reading of this message wins where both speak
        standalone = update.standalone_query.strip() or found.standalone
        merged = replace(
            found,
            standalone=standalone,
            slots_now=slots,
            frustration=max(found.frustration, update.frustration / 10.0),
            explicit_handoff=found.explicit_handoff or update.wants_human,
        )
        return self.local.finish(
            state,
            merged,
            update.intent,
            update.confidence / 100.0,
            not_banking=update.intent == OUT_OF_SCOPE,
        )
