"""SGD (Schema-Guided Dialogue) harness for the LLM tracker: active-intent accuracy and slot F1 on
services the model has never seen (Banks_2, Payment_1), from their natural-language schemas only.

Every user turn of every dialogue that uses a service is tracked with the conversation so far (user and
system turns); the tracked intent is compared with the frame's ``active_intent`` (``NONE`` counts as
out of scope) and the cumulative slots with ``slot_values`` (a value is right if it matches any of the
gold alternatives after normalisation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialog.classifier import ClassifierParams, EmbedFn, IntentClassifier
from dialog.events import BotSaid, UserSaid
from dialog.intents import OUT_OF_SCOPE, IntentSet, IntentSpec
from dialog.protocols import TrackResult
from dialog.slots import PlaceholderRecognizer, SlotExtractor
from dialog.state import DialogState
from dialog.tracker_llm import LLMTracker, SlotSpec, StateCall
from dialog.tracker_local import LocalTracker

SERVICES = ("Banks_2", "Payment_1")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True, slots=True)
class ServiceSchema:
    name: str
    description: str
    intents: tuple[tuple[str, str], ...]  # (SGD name, description)
    slots: tuple[SlotSpec, ...]


@dataclass(frozen=True, slots=True)
class GoldTurn:
    user: str
    system_before: str  # the system utterance just before this user turn ("" at the start)
    active_intent: str  # snake_case, or out_of_scope for NONE
    slot_values: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class SgdDialogue:
    dialogue_id: str
    service: str
    turns: tuple[GoldTurn, ...]


def load_schemas(root: Path, services: Iterable[str] = SERVICES) -> dict[str, ServiceSchema]:
    wanted = set(services)
    out: dict[str, ServiceSchema] = {}
    for path in sorted(root.rglob("schema.json")):
        for raw in json.loads(path.read_text(encoding="utf-8")):
            if raw["service_name"] in wanted and raw["service_name"] not in out:
                slots = tuple(
                    SlotSpec(
                        s["name"],
                        s["description"],
                        tuple(s["possible_values"]) if s["is_categorical"] else (),
                    )
                    for s in raw["slots"]
                )
                intents = tuple((i["name"], i["description"]) for i in raw["intents"])
                out[raw["service_name"]] = ServiceSchema(
                    raw["service_name"], raw["description"], intents, slots
                )
    return out


def load_dialogues(root: Path, services: Iterable[str] = SERVICES) -> list[SgdDialogue]:
    wanted = set(services)
    dialogues: list[SgdDialogue] = []
    for path in sorted(root.rglob("dialogues_*.json")):
        for raw in json.loads(path.read_text(encoding="utf-8")):
            for service in raw["services"]:
                if service not in wanted:
                    continue
                turns: list[GoldTurn] = []
                system = ""
                for t in raw["turns"]:
                    if t["speaker"] == "SYSTEM":
                        system = t["utterance"]
                        continue
                    frame = next((f for f in t["frames"] if f["service"] == service), None)
                    if frame is None:
                        continue
                    st = frame["state"]
                    intent = st["active_intent"]
                    turns.append(
                        GoldTurn(
                            user=t["utterance"],
                            system_before=system,
                            active_intent=OUT_OF_SCOPE if intent == "NONE" else snake(intent),
                            slot_values={k: tuple(v) for k, v in st["slot_values"].items()},
                        )
                    )
                if turns:
                    dialogues.append(SgdDialogue(raw["dialogue_id"], service, tuple(turns)))
    return dialogues


def intent_set(schema: ServiceSchema) -> IntentSet:
    """The service's intents as plain data; the description is the only example there is."""
    specs = [
        IntentSpec(name=snake(name), description=desc, examples=(desc, snake(name).replace("_", " ")))
        for name, desc in schema.intents
    ]
    return IntentSet(specs)


def normalise(value: str) -> str:
    v = value.lower().replace(",", "")
    v = re.sub(r"\b(dollars?|bucks|usd)\b|\$", "", v)
    v = re.sub(r"[^\w.]+", " ", v).strip().rstrip(".").strip()
    return v.removesuffix(".00")


@dataclass
class SgdReport:
    turns: int = 0
    intent_correct: int = 0
    joint_correct: int = 0
    slot_tp: int = 0
    slot_fp: int = 0
    slot_fn: int = 0
    degraded: int = 0
    by_service: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        p = self.slot_tp / (self.slot_tp + self.slot_fp) if self.slot_tp + self.slot_fp else 0.0
        r = self.slot_tp / (self.slot_tp + self.slot_fn) if self.slot_tp + self.slot_fn else 0.0
        return {
            "active_intent_accuracy": round(self.intent_correct / self.turns, 4) if self.turns else 0.0,
            "slot_precision": round(p, 4),
            "slot_recall": round(r, 4),
            "slot_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "joint_goal_accuracy": round(self.joint_correct / self.turns, 4) if self.turns else 0.0,
            "turns": self.turns,
            "degraded_turns": self.degraded,
            "by_service": self.by_service,
        }


def score_turn(
    report: SgdReport, service: str, gold: GoldTurn, result: TrackResult, slot_names: set[str]
) -> None:
    predicted = {k: normalise(v) for k, v in result.slots.items() if k in slot_names}
    gold_values = {k: {normalise(x) for x in v} for k, v in gold.slot_values.items()}
    tp = sum(1 for k, v in predicted.items() if v in gold_values.get(k, set()))
    fp = len(predicted) - tp
    fn = sum(1 for k, vs in gold_values.items() if predicted.get(k) not in vs)
    intent_ok = result.intent == gold.active_intent
    report.turns += 1
    report.intent_correct += intent_ok
    report.joint_correct += fp == 0 and fn == 0
    report.slot_tp, report.slot_fp, report.slot_fn = (
        report.slot_tp + tp,
        report.slot_fp + fp,
        report.slot_fn + fn,
    )
    report.degraded += result.degraded
    svc = report.by_service.setdefault(service, {"turns": 0, "intent_correct": 0})
    svc["turns"] += 1
    svc["intent_correct"] += intent_ok
    if len(report.examples) < 20 and (not intent_ok or fp or fn):
        report.examples.append(
            {
                "user": gold.user,
                "gold": [gold.active_intent, gold.slot_values],
                "got": [result.intent, predicted],
            }
        )


def build_trackers(
    schemas: dict[str, ServiceSchema], call: StateCall, embed: EmbedFn, *, timeout_s: float = 120.0
) -> dict[str, LLMTracker]:
    """One LLM tracker per service; its local tracker (rules + fallback) learns from the descriptions."""
    out = {}
    for name, schema in schemas.items():
        intents = intent_set(schema)
        classifier = IntentClassifier(embed, ClassifierParams(threshold=0.0, char_ngrams=(0, 0)))
        # Only placeholders from the rules: the banking lexicons name slots differently from SGD's schemas.
        rules = SlotExtractor([PlaceholderRecognizer()])
        local = LocalTracker(classifier, intents, default_lang="en", slots=rules)
        local.warm_up()
        out[name] = LLMTracker(call, local, slots=schema.slots, timeout_s=timeout_s)
    return out


async def run_sgd(
    dialogues: Sequence[SgdDialogue],
    trackers: dict[str, LLMTracker],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SgdReport:
    report = SgdReport()
    for i, dialogue in enumerate(dialogues):
        tracker = trackers[dialogue.service]
        slot_names = {s.name for s in tracker.local_slots}
        state = DialogState()
        for gold in dialogue.turns:
            if gold.system_before:
                state = state.apply(BotSaid(text=gold.system_before))
            result = await tracker.track(state, gold.user)
            for e in (UserSaid(text=gold.user, lang=result.lang), *result.events):
                state = state.apply(e)
            score_turn(report, dialogue.service, gold, result, slot_names)
        if progress is not None:
            progress(i + 1, len(dialogues))
    return report
