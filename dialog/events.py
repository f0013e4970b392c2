"""Dialog events. The state of a conversation is a fold over these (see ``dialog.state``).

Events are immutable, JSON-serialisable (``Event`` is a discriminated union on ``type``) and carry only
masked text. Chunk ids are strings: this package knows nothing of retrieval objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: datetime = Field(default_factory=_now)


class UserSaid(_Event):
    type: Literal["user_said"] = "user_said"
    text: str  # masked
    lang: str = ""
    message_id: str | None = None


class BotSaid(_Event):
    type: Literal["bot_said"] = "bot_said"
    text: str  # masked
    citations: list[str] = Field(default_factory=list)  # chunk ids
    decision: str = "answer"
    # What the answer is about: the label of its first cited passage (an FAQ question, a section's
    # headings); follow-ups are rewritten with it (``dialog.rewrite``). "" when nothing was cited.
    topic: str = ""
    message_id: str | None = None


class IntentDetected(_Event):
    """What the tracker concluded from one customer message (one per tracked message)."""

    type: Literal["intent_detected"] = "intent_detected"
    intent: str  # "out_of_scope" when nothing fits
    confidence: float
    standalone_query: str = ""
    frustration: float = Field(default=0.0, ge=0.0, le=1.0)


class SlotSet(_Event):
    type: Literal["slot_set"] = "slot_set"
    name: str
    value: str


class ClarificationAsked(_Event):
    type: Literal["clarification_asked"] = "clarification_asked"
    slot: str


class RetrievalMissed(_Event):
    """The turn found nothing good enough, or refused (feeds the repeated-failure handoff rule)."""

    type: Literal["retrieval_missed"] = "retrieval_missed"


class HandoffRequested(_Event):
    type: Literal["handoff_requested"] = "handoff_requested"
    reason: str  # explicit_request | urgent_topic | frustration | repeated_failure | llm_unavailable
    summary: str = ""


class AgentJoined(_Event):
    type: Literal["agent_joined"] = "agent_joined"
    agent_id: str


class AgentSaid(_Event):
    type: Literal["agent_said"] = "agent_said"
    agent_id: str
    text: str  # masked
    message_id: str | None = None


class BotResumed(_Event):
    type: Literal["bot_resumed"] = "bot_resumed"
    agent_id: str | None = None


class ConversationClosed(_Event):
    type: Literal["conversation_closed"] = "conversation_closed"
    outcome: str = "resolved"  # resolved | not_resolved | abandoned


class FeedbackGiven(_Event):
    type: Literal["feedback_given"] = "feedback_given"
    message_id: str | None = None
    thumbs: Literal["up", "down"] | None = None
    csat: int | None = Field(default=None, ge=1, le=5)


# --- actions done for a verified customer (``dialog.actions``) ----------------------------------------


class CustomerVerified(_Event):
    """The bank's site vouched for the customer (a signed token): a pseudonymous id, never a name."""

    type: Literal["customer_verified"] = "customer_verified"
    customer_id: str
    method: str = "jwt"


class ActionRequested(_Event):
    """The customer asked for an action; its parameters are filled by ``SlotSet`` events after it."""

    type: Literal["action_requested"] = "action_requested"
    name: str
    params: list[str] = Field(default_factory=list)


class ActionConfirmAsked(_Event):
    """The bot read the action back; only a yes in the next message confirms ``key``."""

    type: Literal["action_confirm_asked"] = "action_confirm_asked"
    name: str
    args: dict[str, str] = Field(default_factory=dict)  # masked values
    key: str  # the idempotency key of this confirmation


class ActionConfirmed(_Event):
    type: Literal["action_confirmed"] = "action_confirmed"
    key: str


class ActionCancelled(_Event):
    type: Literal["action_cancelled"] = "action_cancelled"
    name: str
    reason: str  # declined | changed | expired | new_request | not_confirmed | customer


class ActionFinished(_Event):
    type: Literal["action_finished"] = "action_finished"
    name: str
    outcome: str  # executed | failed | refused_unverified | refused_locked | invalid
    key: str = ""
    detail: str = ""


class OtpSent(_Event):
    """A one-time code went out through the bank's SMS gateway; only its keyed digest is kept."""

    type: Literal["otp_sent"] = "otp_sent"
    digest: str
    expires_at: datetime


class OtpChecked(_Event):
    type: Literal["otp_checked"] = "otp_checked"
    ok: bool


Event = Annotated[
    UserSaid
    | BotSaid
    | IntentDetected
    | SlotSet
    | ClarificationAsked
    | RetrievalMissed
    | HandoffRequested
    | AgentJoined
    | AgentSaid
    | BotResumed
    | ConversationClosed
    | FeedbackGiven
    | CustomerVerified
    | ActionRequested
    | ActionConfirmAsked
    | ActionConfirmed
    | ActionCancelled
    | ActionFinished
    | OtpSent
    | OtpChecked,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_to_json(event: Event) -> str:
    return event.model_dump_json()


def event_from_json(data: str | bytes) -> Event:
    return EVENT_ADAPTER.validate_json(data)
