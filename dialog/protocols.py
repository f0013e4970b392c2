"""The seams of the dialog layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from dialog.events import Event
from dialog.state import DialogState


@dataclass(frozen=True, slots=True)
class StoredEvents:
    events: list[Event]
    version: int  # number of events stored; the expected_version for the next append


@runtime_checkable
class DialogStore(Protocol):
    """Append-only event log per conversation, with optimistic concurrency.

    ``append`` succeeds only if the stored version equals ``expected_version`` and returns the new version
    (``expected_version + len(events)``); otherwise it raises ``VersionConflict`` and stores nothing.
    ``load`` of an unknown conversation returns no events and version 0. Entries expire ``ttl`` after the
    last append (hot store; SQL keeps the durable copy). Raises ``StoreUnavailable`` when the backend is
    down.
    """

    async def load(self, conversation_id: str) -> StoredEvents: ...

    async def append(self, conversation_id: str, events: Sequence[Event], expected_version: int) -> int: ...

    async def delete(self, conversation_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class TrackResult:
    """What the tracker learnt from one customer message.

    ``events`` (one ``IntentDetected``, then a ``SlotSet`` per new or changed slot value) are for the
    caller to append after its own ``UserSaid(text, lang=result.lang)``; the tracker never writes.
    """

    events: list[Event]
    lang: str  # "zh" | "en" | other ISO code for unsupported languages
    intent: str  # "out_of_scope" when nothing fits
    confidence: float
    standalone_query: str  # the follow-up rewritten as a self-contained question
    slots: Mapping[str, str] = field(default_factory=dict)  # all known slots after this message
    frustration: float = 0.0  # 0..1
    retrieval_filters: Mapping[str, str] = field(default_factory=dict)  # e.g. {"product": "credit_card"}
    explicit_handoff: bool = False  # the customer asked for a human (转人工, "agent")
    # The customer says the bot repeats itself or they have asked several times ("same thing again").
    reports_repetition: bool = False
    urgent: bool = False  # urgent or regulated topic: a handoff intent, or lost/stolen card, fraud, complaint
    urgent_kind: str = ""  # fraud | complaint | card when the message says which (the notice's advice)
    required_slots: tuple[str, ...] = ()  # of the detected intent, known or not
    has_content: bool = True  # False for an emoji-only or empty message
    degraded: bool = False  # the LLM path failed and the local path answered instead
    path: Literal["local", "llm"] = "local"

    @property
    def out_of_scope(self) -> bool:
        return self.intent == "out_of_scope"

    @property
    def missing_slots(self) -> tuple[str, ...]:
        return tuple(s for s in self.required_slots if s not in self.slots)


@runtime_checkable
class Tracker(Protocol):
    """Reads one masked customer message in the light of the conversation so far.

    ``state`` is the conversation before this message (a state that already holds this message's
    ``UserSaid`` as its last turn is accepted too). Does not mutate ``state`` and writes nothing.
    Never raises for odd input (empty, emoji-only, 4,000 characters, mixed scripts, unsupported
    language): those come back as ``has_content=False`` / ``lang`` / ``out_of_scope``. An LLM-backed
    tracker falls back to its local tracker when the model fails and says so in ``degraded``.
    """

    async def track(self, state: DialogState, masked_text: str) -> TrackResult: ...


@dataclass(frozen=True, slots=True)
class RetrievalSignal:
    """What the policy needs to know about retrieval, without importing the retrieval package."""

    good_enough: bool
    top_score: float = 0.0
    n_hits: int = 0
    # The retrieved passages' text, best first (what an answer would be grounded on); the scope checks
    # (``dialog.scope``) read it. Empty: those checks are skipped.
    passages: tuple[str, ...] = ()
    # A passage clearly answers (stronger than ``good_enough``; the app decides from the retriever's scores):
    # the intent classifier's out-of-scope verdict does not hold against it (``PolicyConfig.evidence_gate``).
    clear: bool = False


Action = Literal["answer", "clarify", "handoff", "dont_know"]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str | None = None  # for handoff: explicit_request | urgent_topic | frustration | ...
    clarify_slot: str | None = None
    message: str | None = None  # canned text for clarify / handoff / dont_know, in the customer's language


@runtime_checkable
class Subscription(Protocol):
    """A live feed of one topic's payloads: an async iterator that is also an async context manager.

    The subscription is active once ``__aenter__`` has returned (or, when iterated without ``async with``,
    once the first ``__anext__`` has begun); payloads published after that arrive in publish order, each a
    fresh ``dict``. ``aclose()`` (or leaving the ``async with`` block) unsubscribes and ends the iteration;
    it is idempotent. A backend failure raises ``ChannelUnavailable`` from ``__aenter__`` / ``__anext__``.
    """

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> dict[str, Any]: ...

    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class EventChannel(Protocol):
    """Live fan-out of conversation events to whoever watches (widget, agent console), across replicas.

    ``publish`` delivers ``payload`` (a JSON-serialisable mapping; anything else raises ``TypeError`` or
    ``ValueError``) to the topic's current subscribers. It is best effort for live views (the durable
    record is the event log): a payload is not kept for later subscribers, and a subscriber that falls far
    behind may miss payloads. A backend failure raises ``ChannelUnavailable`` (callers log it and go on).
    ``subscribe`` returns a ``Subscription``: payloads published after it is active, until it is closed.
    Topics are non-empty strings such as ``conv:<id>`` or ``tenant:<id>:queue``; topics never mix.
    ``subscribers(topic)`` counts the live subscriptions (health checks, tests).
    """

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...

    def subscribe(self, topic: str) -> Subscription: ...

    async def subscribers(self, topic: str) -> int: ...
