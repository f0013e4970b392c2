"""What the agent console reads: the queue (handoffs waiting or taken, and conversations the bot is
handling now) and one conversation's context package (summary, intent, slots, cited chunks). Masked text
only; every read is scoped to the agent's tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.container import Container
from app.conversations import handoff as handoffs
from app.db import crud_agent_desk, crud_conversations, crud_kb
from app.db.base import utcnow
from app.db.models import Conversation, Handoff, Message
from app.errors import AppError, ErrorCode
from dialog.state import DialogState
from dialog.triggers import TriggerRules
from retrieval.labels import display_label

# Conversations the bot handled within this window count as "live" in the queue.
LIVE_WINDOW = timedelta(minutes=30)
TRANSCRIPT_LINES = 30
# A customer message this short that asks for a person ("转人工", "agent please") is not the question.
BARE_REQUEST_CHARS = 24


def open_question_index(turns: Sequence[tuple[str, str]], rules: TriggerRules | None = None) -> int | None:
    """Index of the customer's latest real question among ``(role, text)`` turns: the last user turn that
    is not a bare request for a person. None when there is none."""
    rules = rules or TriggerRules()
    for i in range(len(turns) - 1, -1, -1):
        role, text = turns[i]
        if role != "user":
            continue
        if len(text) <= BARE_REQUEST_CHARS and rules.wants_human(text):
            continue
        return i
    return None


def open_question(lines: Sequence[Any]) -> str:
    """The open question of a context package's transcript (``[{"role", "text"}]``), or ""."""
    turns = [(str(x.get("role", "")), str(x.get("text", ""))) for x in lines if isinstance(x, dict)]
    i = open_question_index(turns)
    return turns[i][1] if i is not None else ""


@dataclass(frozen=True, slots=True)
class QueueItem:
    conversation_id: str
    status: str  # waiting (for an agent) | assigned (an agent has it) | bot (live with the bot)
    lang: str
    since: datetime  # handoff requested / conversation started
    waiting_s: float  # since the handoff was requested (0 for assigned and bot conversations)
    updated_at: datetime
    handoff_id: str | None = None
    reason: str | None = None
    summary: str = ""
    intent: str | None = None
    last_question: str = ""  # what the tracker last read (may be "转人工")
    open_question: str = ""  # the customer's latest real question
    agent_id: str | None = None
    agent_name: str = ""


@dataclass(frozen=True, slots=True)
class Queue:
    waiting: list[QueueItem]
    assigned: list[QueueItem]
    bot: list[QueueItem]


@dataclass(frozen=True, slots=True)
class CitedChunk:
    chunk_id: str
    title: str
    text: str
    document_id: str


@dataclass(frozen=True, slots=True)
class ConversationContext:
    conversation: Conversation
    state: DialogState
    handoff: Handoff | None
    package: dict[str, Any]
    cited_chunks: list[CitedChunk]
    agent_name: str = ""
    placeholders: list[str] = field(default_factory=list)


def _from_handoff(h: Handoff, conv: Conversation, now: datetime, names: dict[str, str]) -> QueueItem:
    ctx = h.context or {}
    waiting = h.status == "waiting"
    return QueueItem(
        conversation_id=h.conversation_id,
        status=h.status,
        lang=conv.lang,
        since=h.created_at,
        waiting_s=max(0.0, (now - h.created_at).total_seconds()) if waiting else 0.0,
        updated_at=conv.updated_at,
        handoff_id=h.id,
        reason=h.reason,
        summary=str(ctx.get("summary", "")),
        intent=ctx.get("intent"),
        last_question=str(ctx.get("last_question", "")),
        open_question=open_question(ctx.get("transcript") or []),
        agent_id=h.agent_id,
        agent_name=names.get(h.agent_id or "", ""),
    )


async def queue(container: Container, *, tenant_id: str, live_window: timedelta = LIVE_WINDOW) -> Queue:
    """Waiting handoffs oldest first (the longest wait at the top), taken ones, then live bot chats."""
    now = utcnow()
    async with container.sessions() as session:
        open_rows = await crud_agent_desk.open_handoffs(session, tenant_id=tenant_id)
        convs = {
            c.id: c for c in await _conversations(session, tenant_id, [h.conversation_id for h in open_rows])
        }
        names = await crud_agent_desk.user_names(
            session, tenant_id=tenant_id, user_ids=[h.agent_id for h in open_rows if h.agent_id]
        )
        bot_rows = await crud_agent_desk.active_bot_conversations(
            session, tenant_id=tenant_id, within=live_window
        )
    waiting: list[QueueItem] = []
    assigned: list[QueueItem] = []
    for h in open_rows:
        conv = convs.get(h.conversation_id)
        if conv is None or conv.status == "closed":
            continue
        item = _from_handoff(h, conv, now, names)
        (waiting if h.status == "waiting" else assigned).append(item)
    bot = [
        QueueItem(
            conversation_id=c.id,
            status="bot",
            lang=c.lang,
            since=c.created_at,
            waiting_s=0.0,
            updated_at=c.updated_at,
        )
        for c in bot_rows
    ]
    return Queue(waiting=waiting, assigned=assigned, bot=bot)


async def _conversations(session: Any, tenant_id: str, ids: Sequence[str]) -> list[Conversation]:
    out = []
    for cid in dict.fromkeys(ids):
        conv = await crud_conversations.get_conversation(session, tenant_id=tenant_id, conversation_id=cid)
        if conv is not None:
            out.append(conv)
    return out


def _cited_titles(messages: Sequence[Message]) -> dict[str, tuple[str, str]]:
    """chunk id -> (title, document id) as the bot's citations recorded them."""
    out: dict[str, tuple[str, str]] = {}
    for m in messages:
        for c in m.citations or []:
            if isinstance(c, dict) and c.get("chunk_id"):
                out[str(c["chunk_id"])] = (str(c.get("title", "")), str(c.get("document_id", "")))
    return out


async def load_state(
    container: Container, *, tenant_id: str, conversation_id: str
) -> tuple[Conversation, DialogState]:
    """The conversation and its dialog state; 404 for an unknown or another tenant's conversation."""
    async with container.sessions() as session:
        conv = await crud_conversations.get_conversation(
            session, tenant_id=tenant_id, conversation_id=conversation_id
        )
        if conv is None:
            raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
        state = await container.conversation_log.load(
            session, conversation_id=conv.id, durable_version=conv.event_version
        )
    return conv, state


async def context(container: Container, *, tenant_id: str, conversation_id: str) -> ConversationContext:
    """The handoff context package as of now (the one stored with the handoff is as of the request), with
    the text of every chunk the bot cited in this conversation."""
    conv, state = await load_state(container, tenant_id=tenant_id, conversation_id=conversation_id)
    async with container.sessions() as session:
        handoff = await crud_agent_desk.latest_handoff(session, tenant_id=tenant_id, conversation_id=conv.id)
        chunks = await crud_kb.get_chunks(session, tenant_id=tenant_id, chunk_ids=list(state.cited))
        titles = _cited_titles(await crud_conversations.list_messages(session, conversation_id=conv.id))
        names = await crud_agent_desk.user_names(
            session, tenant_id=tenant_id, user_ids=[state.agent_id] if state.agent_id else []
        )
    reason = handoff.reason if handoff is not None else (state.handoff_reason or "none")
    package = handoffs.context_package(state, reason=reason)
    package["open_question"] = open_question(package["transcript"])
    package["transcript"] = package["transcript"][-TRANSCRIPT_LINES:]
    by_id = {c.chunk_id: c for c in chunks}
    cited = []
    for cid in state.cited:  # a chunk deleted from the KB since keeps the title its citation recorded
        chunk = by_id.get(cid)
        title, doc = titles.get(cid, ("", ""))
        cited.append(
            CitedChunk(
                chunk_id=cid,
                title=display_label(chunk) if chunk is not None else title,
                text=chunk.text if chunk is not None else "",
                document_id=chunk.document_id if chunk is not None else doc,
            )
        )
    package["cited_chunks"] = [{"chunk_id": c.chunk_id, "title": c.title} for c in cited]
    vault = await container.vaults.load(conv.id)
    return ConversationContext(
        conversation=conv,
        state=state,
        handoff=handoff,
        package=package,
        cited_chunks=cited,
        agent_name=names.get(state.agent_id or "", ""),
        placeholders=sorted(vault.by_placeholder),
    )
