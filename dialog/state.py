"""``DialogState``: the fold over a conversation's events. It changes only through ``apply``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from dialog.events import (
    ActionCancelled,
    ActionConfirmAsked,
    ActionConfirmed,
    ActionFinished,
    ActionRequested,
    AgentJoined,
    AgentSaid,
    BotResumed,
    BotSaid,
    ClarificationAsked,
    ConversationClosed,
    CustomerVerified,
    Event,
    FeedbackGiven,
    HandoffRequested,
    IntentDetected,
    OtpChecked,
    OtpSent,
    RetrievalMissed,
    SlotSet,
    UserSaid,
)

Mode = Literal["bot", "waiting_agent", "agent", "closed"]
ActionStage = Literal["collecting", "confirming", "confirmed"]
FRUSTRATION_WINDOW = 10
OTP_ATTEMPTS = 3  # wrong codes before the step-up is locked for the conversation


@dataclass(frozen=True, slots=True)
class ActionProgress:
    """The action under way: its name, its parameters, the values given so far (masked), and where it is.
    ``key`` is the idempotency key of the read-back being answered (``confirming``/``confirmed``)."""

    name: str
    params: tuple[str, ...] = ()
    args: dict[str, str] = field(default_factory=dict)
    stage: ActionStage = "collecting"
    key: str = ""
    asked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the customer is (``customer_id``: pseudonymous, from the bank's signed token) and the step-up
    one-time code: its digest and expiry while one is out, failed attempts, passed, locked."""

    customer_id: str | None = None
    otp_digest: str = ""
    otp_expires_at: datetime | None = None
    otp_failures: int = 0
    stepped_up: bool = False

    @property
    def otp_locked(self) -> bool:
        return self.otp_failures >= OTP_ATTEMPTS and not self.stepped_up


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
    action: ActionProgress | None = None
    identity: Identity = Identity()

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
                action = s.action
                if action is not None and name in action.params:
                    action = replace(action, args={**action.args, name: value})
                return replace(s, slots={**s.slots, name: value}, pending_slot=pending, action=action)
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
            case _:
                return _apply_action(s, event)
        raise TypeError(f"unknown event {event!r}")  # pragma: no cover - the union is closed

    @classmethod
    def replay(cls, events: Iterable[Event]) -> DialogState:
        state = cls()
        for e in events:
            state = state.apply(e)
        return state


def _apply_action(s: DialogState, event: Event) -> DialogState:
    """The action and identity events (``dialog.actions``)."""
    ident = s.identity
    match event:
        case CustomerVerified(customer_id=customer_id):
            return replace(s, identity=replace(ident, customer_id=customer_id))
        case ActionRequested(name=name, params=params):
            return replace(s, action=ActionProgress(name=name, params=tuple(params)), pending_slot=None)
        case ActionConfirmAsked(args=args, key=key, at=at):
            if s.action is None:
                return s
            confirming = replace(s.action, args=dict(args), stage="confirming", key=key, asked_at=at)
            return replace(s, action=confirming)
        case ActionConfirmed(key=key):
            if s.action is None or s.action.key != key:
                return s
            return replace(s, action=replace(s.action, stage="confirmed"))
        case ActionCancelled() | ActionFinished():
            pending = None if s.action is not None and s.pending_slot in s.action.params else s.pending_slot
            return replace(s, action=None, pending_slot=pending)
        case OtpSent(digest=digest, expires_at=expires_at):
            return replace(s, identity=replace(ident, otp_digest=digest, otp_expires_at=expires_at))
        case OtpChecked(ok=ok):
            if ok:
                return replace(s, identity=replace(ident, stepped_up=True, otp_digest=""))
            return replace(s, identity=replace(ident, otp_failures=ident.otp_failures + 1))
    raise TypeError(f"unknown event {event!r}")  # pragma: no cover - the union is closed
