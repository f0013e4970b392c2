"""The turn's writes: the customer's message (load_state, mask, track, persist_user — retried as a whole
on a concurrent writer, committed before any model runs) and the bot's reply (persist: events, message,
handoff, audit — one transaction), each followed by the live event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.chat import tenant_trackers
from app.chat.context import NO_CONTEXT, TurnContext, read_context
from app.chat.decision import Reply
from app.chat.timing import StageClock
from app.container import Container
from app.conversations import handoff as handoffs
from app.conversations import live
from app.conversations.event_writer import Stages
from app.conversations.live_events import BotMessage, UserMessage
from app.conversations.log import Appended
from app.db import crud_audit, crud_conversations
from app.db.base import new_id
from app.db.models import Conversation, Handoff
from app.errors import AppError, ErrorCode
from dialog.events import BotSaid, Event, UserSaid
from dialog.handoff import summarise
from dialog.policy import events_for_decision, opens_handoff
from dialog.protocols import RetrievalSignal, TrackResult
from dialog.state import DialogState
from privacy.audit import audit_event, turn_audit
from privacy.session import mask_message
from privacy.types import MaskResult, VaultState
from retrieval.types import SearchResult


@dataclass(frozen=True, slots=True)
class AcceptedTurn:
    """The turn after the customer's message is durable."""

    state: DialogState
    track: TrackResult | None  # None while an agent has the conversation
    masked: MaskResult
    vault: VaultState
    message_id: str
    context: TurnContext = NO_CONTEXT  # read in the same transaction (only when the bot answers)

    def with_state(self, state: DialogState) -> AcceptedTurn:
        return AcceptedTurn(state, self.track, self.masked, self.vault, self.message_id, self.context)


async def accept_user_message(
    c: Container,
    *,
    tenant_id: str,
    conversation_id: str,
    text: str,
    clock: StageClock,
    extra: Callable[[DialogState, str], list[Event]] | None = None,
) -> AcceptedTurn:
    """load_state, mask, track and persist_user; the whole is retried on a concurrent writer (the text is
    masked once). ``extra(state, masked_text)``: more events decided on the same state and committed in
    the same write (an action's confirmation: ``app.actions.flow``); called again on each retry. When the bot
    is to answer, the turn's ``TurnContext`` is read in the same transaction."""
    masked: MaskResult | None = None
    context = NO_CONTEXT
    vault = VaultState()
    track: TrackResult | None = None
    message_id = ""
    lang = ""

    async def build(state: DialogState) -> list[Event]:
        nonlocal masked, vault, track, message_id, lang
        if state.mode == "closed":
            raise AppError(ErrorCode.CONVERSATION_CLOSED, "the conversation is closed; start a new one")
        if masked is None:
            with clock.stage("mask"):
                masked, vault = await mask_message(c.masker, c.vaults, conversation_id, text)
        track = None
        if state.mode in ("bot", "waiting_agent"):  # waiting: the bot still acknowledges (dialog.policy)
            with clock.stage("track"):
                tracker = await tenant_trackers.for_container(c).get(tenant_id)
                track = await tracker.track(state, masked.text)
        message_id = new_id()
        lang = track.lang if track else state.lang
        events: list[Event] = [UserSaid(text=masked.text, lang=lang, message_id=message_id)]
        events += list(track.events) if track else []
        acts = extra is not None and track is not None and state.mode == "bot"
        return events + (extra(state, masked.text) if extra is not None and acts else [])

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> None:
        nonlocal context
        assert masked is not None
        context = NO_CONTEXT
        if track is not None:
            context = await read_context(
                session, knowledge=c.knowledge, tenant_id=tenant_id, conversation_id=conversation_id
            )
        await crud_conversations.add_message(
            session,
            message_id=message_id,
            conversation_id=conversation_id,
            tenant_id=tenant_id,
            event_seq=appended.first_seq,
            role="user",
            text=masked.text,
            lang=lang,
            pii_counts=masked.counts(),
        )
        if masked.findings:
            await _audit_message(
                session, tenant_id, message_id, "pii.masked", audit_event(turn_audit(masked, None))
            )

    appended, _ = await c.conversation_writer.write(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        build=build,
        rows=rows,
        lang_of=lambda _appended: lang,
        stages=Stages(clock, load="load_state", write="persist_user"),
    )
    assert masked is not None
    for entity, n in masked.counts().items():
        c.metrics.pii_masked.labels(entity=entity).inc(n)
    await live.publish(
        c.events,
        live.conversation_topic(conversation_id),
        UserMessage(message_id=message_id, text=masked.text),
    )
    return AcceptedTurn(appended.state, track, masked, vault, message_id, context)


@dataclass(frozen=True, slots=True)
class Recorded:
    """The reply is durable: the bot's message, the handoff it opened (if any), the state after it."""

    bot_id: str
    handoff_id: str | None
    state: DialogState


async def record_reply(
    c: Container,
    *,
    tenant_id: str,
    conversation_id: str,
    user: AcceptedTurn,
    result: SearchResult,
    reply: Reply,
    clock: StageClock,
    extra_events: Sequence[Event] = (),
) -> Recorded:
    """persist: the reply's events (``extra_events`` first: an action's), message, handoff and audit in one
    transaction, then the live event."""
    decision, generated, citations = reply.decision, reply.generated, reply.citations
    bot_id = new_id()
    signal = RetrievalSignal(good_enough=result.good_enough, n_hits=len(result.hits))
    summary = summarise(user.state, decision.reason or "policy") if decision.action == "handoff" else ""
    events: list[Event] = [*extra_events, *events_for_decision(decision, signal, summary=summary)]
    events.append(
        BotSaid(
            text=generated.masked,
            citations=[c.chunk_id for c in citations],
            decision=decision.action,
            message_id=bot_id,
            topic=citations[0].title if citations else "",
        )
    )

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> Handoff | None:
        return await _write_bot_rows(
            c, session, tenant_id=tenant_id, conv=conv, appended=appended, bot_id=bot_id, user=user,
            reply=reply, clock=clock,
        )  # fmt: skip

    appended, handoff = await c.conversation_writer.write(
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        build=lambda _state: events,
        rows=rows,
        state=user.state,
    )
    await live.publish(
        c.events,
        live.conversation_topic(conversation_id),
        BotMessage(
            message_id=bot_id,
            text=generated.masked,
            decision=decision.action,
            citations=[c.as_json() for c in citations],
        ),
    )
    if handoff is not None:
        c.metrics.handoffs.labels(reason=handoff.reason).inc()
        await handoffs.announce(c.events, handoff=handoff)
    return Recorded(bot_id, handoff.id if handoff else None, appended.state)


async def _write_bot_rows(
    c: Container,
    session: AsyncSession,
    *,
    tenant_id: str,
    conv: Conversation,
    appended: Appended,
    bot_id: str,
    user: AcceptedTurn,
    reply: Reply,
    clock: StageClock,
) -> Handoff | None:
    decision, generated, citations, kb_version = (
        reply.decision,
        reply.generated,
        reply.citations,
        reply.kb_version,
    )
    lang = user.track.lang if user.track else ""
    # The passages this answer's prompt showed, for the next turn's prompt (``ChatTurn._carried``).
    prompt_refs: dict[str, Any] | None = (
        {"kb_version": kb_version, "refs": list(generated.refs)} if kb_version and generated.refs else None
    )
    if prompt_refs is not None and generated.turns:  # the append layout's turns (``read_context``)
        prompt_refs["turns"] = [
            {"asked": t.asked, "question": t.question, "lang": t.lang, "refs": [p.ref for p in t.passages]}
            for t in generated.turns
        ]
    await crud_conversations.add_message(
        session,
        message_id=bot_id,
        conversation_id=conv.id,
        tenant_id=tenant_id,
        event_seq=appended.state.version,  # BotSaid is the last event written
        role="bot",
        text=generated.masked,
        lang=lang,
        citations=[c.as_json() for c in citations],
        timings_ms=clock.rounded(),
        model=generated.model,
        decision=decision.action,
        decision_reason=decision.reason,
        prompt_refs=prompt_refs,
    )
    if generated.leaked:
        await _audit_message(session, tenant_id, bot_id, "pii.output_masked", {"leaked": generated.leaked})
    if not opens_handoff(decision):  # not one already waiting for or with an agent
        return None
    context = handoffs.context_package(appended.state, reason=decision.reason or "policy", cited=citations)
    return await handoffs.open_handoff(
        session,
        tenant_id=tenant_id,
        conversation_id=conv.id,
        reason=decision.reason or "policy",
        context=context,
    )


async def _audit_message(
    session: AsyncSession, tenant_id: str, message_id: str, action: str, data: dict[str, Any]
) -> None:
    """The system's audit event about one message (what masking found in it or took out of it)."""
    await crud_audit.record(
        session,
        tenant_id=tenant_id,
        actor_type="system",
        actor_id=None,
        action=action,
        target_type="message",
        target_id=message_id,
        data=data,
    )
