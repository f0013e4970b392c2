"""The live events published on a conversation's topic and on a tenant's queue topic: one typed model each,
one discriminated union (``LiveEvent``, on ``type``; the three messages on ``role``).

What a model dumps (``payload``) is exactly what goes on the ``EventChannel``; subscribers read it back with
``parse``. The customer's feed (``live_feed``) forwards a subset to the widget; the agent console's feeds
forward the payloads as they are. ``tests/contract/test_live_events.py`` checks the widget's and the
console's scripts read only what is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Live(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # fields left out of the payload when they are None (kept otherwise, None included)
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()

    def payload(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        for name in self.OMIT_IF_NONE:
            if out.get(name) is None:
                out.pop(name, None)
        return out


class UserMessage(_Live):
    """The customer's (masked) message is durable."""

    type: Literal["message"] = "message"
    role: Literal["user"] = "user"
    message_id: str
    text: str


class BotMessage(_Live):
    """The bot's reply is durable (masked text, the decision, what it cites)."""

    type: Literal["message"] = "message"
    role: Literal["bot"] = "bot"
    message_id: str
    text: str
    decision: str
    citations: list[dict[str, Any]]


class AgentMessage(_Live):
    """An agent wrote to the customer (masked; the customer's feed restores the customer's own values)."""

    type: Literal["message"] = "message"
    role: Literal["agent"] = "agent"
    message_id: str
    text: str
    agent_name: str


Message = Annotated[UserMessage | BotMessage | AgentMessage, Field(discriminator="role")]


class AgentJoined(_Live):
    type: Literal["agent_joined"] = "agent_joined"
    agent_name: str


class BotResumed(_Live):
    type: Literal["bot_resumed"] = "bot_resumed"


class Closed(_Live):
    """The conversation closed: by an agent (no ``by``) or by the customer (``by="customer"``)."""

    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"by"})

    type: Literal["closed"] = "closed"
    outcome: str | None
    by: Literal["customer"] | None = None


class Feedback(_Live):
    type: Literal["feedback"] = "feedback"
    message_id: str | None
    thumbs: str | None
    csat: int | None


class HandoffChanged(_Live):
    """A handoff opened or changed status (on both the conversation's and the queue's topic)."""

    type: Literal["handoff"] = "handoff"
    handoff_id: str
    conversation_id: str
    reason: str
    status: str


class QueueChanged(_Live):
    """Something an agent did to a conversation in the queue (``change``: the conversation event's type)."""

    type: Literal["queue"] = "queue"
    conversation_id: str
    change: str


class FeedError(_Live):
    """The channel failed under a feed (never published: the feed itself says so before it ends)."""

    type: Literal["error"] = "error"
    error_code: str


LiveEvent = Annotated[
    Message | AgentJoined | BotResumed | Closed | Feedback | HandoffChanged | QueueChanged | FeedError,
    Field(discriminator="type"),
]
# What an agent's action announces on the conversation's topic (and, as a ``QueueChanged``, on the queue's).
AgentAnnouncement = AgentJoined | BotResumed | Closed

_ADAPTER: TypeAdapter[LiveEvent] = TypeAdapter(LiveEvent)


def parse(payload: Mapping[str, Any]) -> LiveEvent:
    """A payload read from the channel as its model; ``pydantic.ValidationError`` if it is none of them."""
    return _ADAPTER.validate_python(dict(payload))
