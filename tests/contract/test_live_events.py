"""Live events: what the widget and the agent console read is what the server sends.

The server side is typed (``app.conversations.live_events``); the pages are plain scripts, so their reads
are taken from the source: each ``name === "..."`` branch of the widget's ``onLive`` and every ``data.x``
it reads there, and the event names the console's scripts test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from app.conversations import live_events as le
from app.conversations.live_feed import customer_event

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "app" / "web"

SAMPLES: list[Any] = [
    le.UserMessage(message_id="m1", text="my card <CREDIT_CARD_1>"),
    le.BotMessage(message_id="m2", text="Freeze it [1]", decision="answer", citations=[{"n": 1}]),
    le.AgentMessage(message_id="m3", text="Hello", agent_name="Ann"),
    le.AgentJoined(agent_name="Ann"),
    le.BotResumed(),
    le.Closed(outcome="resolved"),
    le.Closed(outcome="abandoned", by="customer"),
    le.Feedback(message_id="m2", thumbs=None, csat=5),
    le.HandoffChanged(handoff_id="h1", conversation_id="c1", reason="urgent_topic", status="waiting"),
    le.QueueChanged(conversation_id="c1", change="agent_joined"),
    le.FeedError(error_code="store_unavailable"),
]


def _types() -> set[str]:
    out = set()
    for model in get_args(get_args(le.LiveEvent)[0]):
        if hasattr(model, "model_fields"):
            out.add(model.model_fields["type"].default)
        else:  # the messages' own union (on role)
            out.update(m.model_fields["type"].default for m in get_args(get_args(model)[0]))
    return out


def test_every_model_has_a_sample() -> None:
    assert {s.type for s in SAMPLES} == _types()


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}-{getattr(e, 'role', '')}")
def test_payload_reads_back_as_the_same_event(event: Any) -> None:
    payload = event.payload()
    assert payload["type"] == event.type
    assert le.parse(payload) == event


def test_payloads_are_exactly_what_was_sent_before_the_models() -> None:
    # optional fields keep their place: None stays in feedback, ``by`` only when the customer closed
    assert le.Feedback(message_id=None, thumbs="up", csat=None).payload() == {
        "type": "feedback", "message_id": None, "thumbs": "up", "csat": None,
    }  # fmt: skip
    assert le.Closed(outcome="resolved").payload() == {"type": "closed", "outcome": "resolved"}
    assert le.Closed(outcome="abandoned", by="customer").payload() == {
        "type": "closed", "outcome": "abandoned", "by": "customer",
    }  # fmt: skip


def test_unknown_payload_is_refused() -> None:
    with pytest.raises(ValidationError, match="role"):
        le.parse({"type": "message", "role": "system", "text": "x"})


def _customer_feed() -> dict[str, set[str]]:
    """Event name -> the data keys the customer's feed sends for it (``ready`` has none)."""
    sent: dict[str, set[str]] = {"ready": set()}
    for event in SAMPLES:
        text = event.text if isinstance(event, le.AgentMessage) else ""
        fe = customer_event(event, restored=text)
        if fe is not None:
            sent.setdefault(fe.event, set()).update(fe.data)
    return sent


def _widget_reads() -> dict[str, set[str]]:
    js = (WEB / "widget" / "widget.js").read_text(encoding="utf-8")
    start = js.index("function onLive(name, data) {")
    body = js[start : js.index("\n  }\n", start)]  # to the function's closing brace
    reads: dict[str, set[str]] = {}
    branches = re.split(r'(?=name === ")', body)[1:]
    assert branches, "the widget's onLive has no branches: did it move?"
    for branch in branches:
        name = re.match(r'name === "(\w+)"', branch)
        assert name is not None
        reads.setdefault(name.group(1), set()).update(re.findall(r"\bdata\.(\w+)", branch))
    return reads


def test_the_widget_reads_only_what_the_customer_feed_sends() -> None:
    sent, reads = _customer_feed(), _widget_reads()
    assert {"ready", "message", "agent_joined", "bot_resumed", "handoff", "closed"} <= set(reads)
    for name, fields in reads.items():
        assert name in sent, f"the widget waits for {name!r}, which the customer feed never sends"
        assert fields <= sent[name], f"{name}: the widget reads {sorted(fields - sent[name])}, never sent"


def test_the_customer_feed_shows_agent_messages_only() -> None:
    assert customer_event(SAMPLES[0], restored="") is None  # the customer's own message: already shown
    assert customer_event(SAMPLES[1], restored="") is None  # the bot's reply: came on the turn's stream
    assert customer_event(le.QueueChanged(conversation_id="c1", change="closed"), restored="") is None
    shown = customer_event(SAMPLES[2], restored="Hello Li")
    assert shown is not None
    assert shown.data == {"message_id": "m3", "role": "agent", "text": "Hello Li", "agent_name": "Ann"}


def test_the_console_waits_only_for_events_that_are_sent() -> None:
    names = set()
    for path in sorted((WEB / "console").glob("*.js")):
        names.update(re.findall(r'ev\.event\s*[!=]==\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert names, "the console tests no live event name: did its scripts move?"
    assert names <= _types() | {"ready"}
