"""The context package a human agent receives with a handoff: summary, intent, slots, cited chunks and
the masked transcript, built from the state alone (pure; nothing is unmasked here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dialog.intents import IntentSet
from dialog.slots import slot_label
from dialog.state import DialogState

REASON_LABELS: Mapping[str, Mapping[str, str]] = {
    "explicit_request": {"zh": "客户要求人工服务", "en": "the customer asked for a person"},
    "urgent_topic": {"zh": "紧急或须合规处理的事项", "en": "an urgent or regulated topic"},
    "frustration": {"zh": "客户情绪不满", "en": "the customer is frustrated"},
    "repeated_failure": {"zh": "机器人多次未能解答", "en": "the bot failed to answer several times"},
    "llm_unavailable": {"zh": "智能应答服务不可用", "en": "the answering model is unavailable"},
}


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    role: str  # user | bot | agent
    text: str  # masked


@dataclass(frozen=True, slots=True)
class HandoffPackage:
    reason: str
    lang: str
    summary: str
    intent: str | None
    intent_confidence: float
    slots: Mapping[str, str]
    cited_chunk_ids: tuple[str, ...]
    transcript: tuple[TranscriptLine, ...]
    last_question: str
    frustration: float
    failed_retrievals: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for the agent console and the handoff record)."""
        out = asdict(self)
        out["slots"] = dict(self.slots)
        out["cited_chunk_ids"] = list(self.cited_chunk_ids)
        out["transcript"] = [asdict(line) for line in self.transcript]
        return out


def _topic(state: DialogState, intents: IntentSet | None, lang: str) -> str:
    spec = intents.get(state.intent) if intents is not None else None
    if spec is not None:
        return spec.topic_in(lang)
    if state.intent and state.intent != "out_of_scope":
        return state.intent.replace("_", " ")
    return "未识别" if lang == "zh" else "not identified"


# The summary's sentences per language; ``join`` puts them together.
_SUMMARY: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "why": "转人工原因：{why}。",
        "topic": "咨询主题：{topic}。",
        "question": "客户最后的问题：{question}",
        "known": "已知信息：{known}。",
        "counts": "客户共发言{turns}次，连续未答出{failed}次。",
        "join": "",
    },
    "en": {
        "why": "Handoff because {why}.",
        "topic": "Topic: {topic}.",
        "question": "Last question: {question}",
        "known": "Known: {known}.",
        "counts": "{turns} customer messages; {failed} unanswered in a row.",
        "join": " ",
    },
}


def summarise(state: DialogState, reason: str, intents: IntentSet | None = None) -> str:
    """One short paragraph in the conversation's language (zh or en) for the agent's queue."""
    lang = "zh" if state.lang == "zh" else "en"
    why = REASON_LABELS.get(reason, {}).get(lang, reason)
    slots = "，".join if lang == "zh" else ", ".join
    known = slots(f"{name}={slot_label(name, value, lang)}" for name, value in state.slots.items())
    turns = sum(1 for t in state.history if t.role == "user")
    question = state.standalone_query or next(
        (t.text for t in reversed(state.history) if t.role == "user"), ""
    )
    text = _SUMMARY[lang]
    parts = [text["why"].format(why=why), text["topic"].format(topic=_topic(state, intents, lang))]
    if question:
        parts.append(text["question"].format(question=question[:200]))
    if known:
        parts.append(text["known"].format(known=known))
    parts.append(text["counts"].format(turns=turns, failed=state.failed_retrievals))
    return text["join"].join(parts)


def build_handoff_package(
    state: DialogState, reason: str, *, intents: IntentSet | None = None, max_turns: int = 30
) -> HandoffPackage:
    """Everything the agent needs, from ``state`` (masked text only); the last ``max_turns`` turns."""
    transcript = tuple(TranscriptLine(t.role, t.text) for t in state.history[-max_turns:])
    last = next((t.text for t in reversed(state.history) if t.role == "user"), "")
    return HandoffPackage(
        reason=reason,
        lang=state.lang,
        summary=summarise(state, reason, intents),
        intent=state.intent,
        intent_confidence=state.intent_confidence,
        slots=dict(state.slots),
        cited_chunk_ids=state.cited,
        transcript=transcript,
        last_question=state.standalone_query or last,
        frustration=state.frustration[-1] if state.frustration else 0.0,
        failed_retrievals=state.failed_retrievals,
    )
