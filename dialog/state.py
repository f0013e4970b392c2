"""``DialogState``: the fold over a conversation's events. It changes only through ``apply``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from dialog.events import (
    AgentJoined,
    AgentSaid,
    BotResumed,
    BotSaid,
    ClarificationAsked,
    ConversationClosed,
    Event,
    FeedbackGiven,
    HandoffRequested,
    IntentDetected,
    RetrievalMissed,
    SlotSet,
    UserSaid,
)

Mode = Literal["bot", "waiting_agent", "agent", "closed"]
FRUSTRATION_WINDOW = 10


@dataclass(frozen=True, slots=True)
class Turn:
    role: Literal["user", "bot", "agent"]
    text: str


@dataclass(frozen=True, slots=True)
class DialogState:
    """Immutable; ``apply`` returns a new state. ``version`` counts the events applied."""

    version: int = 0
    mode: Mode = "bot"
    lang: str = ""
    intent: str | None = None
    intent_confidence: float = 0.0
    standalone_query: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    pending_slot: str | None = None
    history: tuple[Turn, ...] = ()
    failed_retrievals: int = 0  # consecutive turns without a good retrieval
    handoff_reason: str | None = None
    agent_id: str | None = None
    last_citations: tuple[str, ...] = ()
    answer_topic: str = ""  # the last bot reply's topic (``BotSaid.topic``); "" when it cited nothing
    cited: tuple[str, ...] = ()  # every chunk id the bot cited in this conversation, first citation first
    outcome: str | None = None
    feedback: tuple[FeedbackGiven, ...] = ()
    frustration: tuple[float, ...] = ()  # per tracked message, oldest first, the last FRUSTRATION_WINDOW
    # The bot's last answer led with the passage the answer before it led with (the same passage twice).
    repeated_answer: bool = False

    def apply(self, event: Event) -> DialogState:
        s = replace(self, version=self.version + 1)
        match event:
            case UserSaid(text=text, lang=lang):
                return replace(s, history=(*s.history, Turn("user", text)), lang=lang or s.lang)
            case BotSaid(text=text, citations=citations, topic=topic):
                failed = 0 if citations else s.failed_retrievals
                repeated = bool(citations) and citations[:1] == list(s.last_citations[:1])
                return replace(
                    s,
                    history=(*s.history, Turn("bot", text)),
                    repeated_answer=repeated,
                    last_citations=tuple(citations),
                    answer_topic=topic if citations else "",
                    cited=(*s.cited, *(c for c in dict.fromkeys(citations) if c not in s.cited)),
                    failed_retrievals=failed,
                    pending_slot=None if event.decision != "clarify" else s.pending_slot,
                )
            case IntentDetected(intent=intent, confidence=conf, standalone_query=q, frustration=f):
                trend = (*s.frustration, f)[-FRUSTRATION_WINDOW:]
                return replace(
                    s, intent=intent, intent_confidence=conf, standalone_query=q, frustration=trend
                )
            case SlotSet(name=name, value=value):
                pending = None if s.pending_slot == name else s.pending_slot
                return replace(s, slots={**s.slots, name: value}, pending_slot=pending)
            case ClarificationAsked(slot=slot):
                return replace(s, pending_slot=slot)
            case RetrievalMissed():
                return replace(s, failed_retrievals=s.failed_retrievals + 1)
            case HandoffRequested(reason=reason):
                return replace(s, mode="waiting_agent", handoff_reason=reason)
            case AgentJoined(agent_id=agent_id):
                return replace(s, mode="agent", agent_id=agent_id)
            case AgentSaid(text=text):
                return replace(s, history=(*s.history, Turn("agent", text)))
            case BotResumed():
                # The agent handed back: slots, intent and history stay; the triggers start afresh.
                return replace(
                    s,
                    mode="bot",
                    agent_id=None,
                    handoff_reason=None,
                    failed_retrievals=0,
                    frustration=(),
                    repeated_answer=False,
                )
            case ConversationClosed(outcome=outcome):
                return replace(s, mode="closed", outcome=outcome)
            case FeedbackGiven():
                return replace(s, feedback=(*s.feedback, event))
        raise TypeError(f"unknown event {event!r}")  # pragma: no cover - the union is closed

    @classmethod
    def replay(cls, events: Iterable[Event]) -> DialogState:
        state = cls()
        for e in events:
            state = state.apply(e)
        return state
