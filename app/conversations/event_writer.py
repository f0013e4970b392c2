"""Append dialog events to a conversation with SQL rows written in the same transaction, retrying on a
concurrent writer (shared by the chat turn, feedback, handoff requests and, later, the agent console)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.conversations.log import Appended, ConversationLog
from app.db import crud_conversations
from app.db.models import Conversation
from app.errors import AppError, ErrorCode
from app.runtime.metrics import Metrics
from dialog.errors import VersionConflict
from dialog.events import Event
from dialog.state import DialogState

T = TypeVar("T")

# Concurrent writers on one conversation are rare (a double click, two tabs, an agent typing while the
# bot answers) and each round lets exactly one through; a short jittered pause spreads the retries out.
WRITE_ATTEMPTS = 6


async def backoff(attempt: int) -> None:
    """Pause before retry ``attempt + 1`` (10-50 ms, growing with the attempt)."""
    await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)


BuildEvents = Callable[[DialogState], Sequence[Event]]
WriteRows = Callable[[AsyncSession, Conversation, Appended], Awaitable[T]]


async def load_conversation(session: AsyncSession, *, tenant_id: str, conversation_id: str) -> Conversation:
    conv = await crud_conversations.get_conversation(
        session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    if conv is None:
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    return conv


async def write_events(
    sessions: async_sessionmaker[AsyncSession],
    log: ConversationLog,
    metrics: Metrics,
    *,
    tenant_id: str,
    conversation_id: str,
    build: BuildEvents,
    rows: WriteRows[T],
    state: DialogState | None = None,
) -> tuple[Appended, T]:
    """Load the state (or start from ``state`` on the first attempt), ``build`` the events from it, write
    them and ``rows`` in one transaction, commit, then mirror them into the hot store.

    ``build`` and ``rows`` may run up to ``WRITE_ATTEMPTS`` times (each attempt is rolled back entirely);
    ``build`` may raise ``AppError`` (e.g. the conversation is closed). After the last conflict the
    ``VersionConflict`` propagates (the API's 409 ``conflict``).
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        async with sessions() as session:
            conv = await load_conversation(session, tenant_id=tenant_id, conversation_id=conversation_id)
            current = state if (state is not None and attempt == 1) else None
            if current is None:
                current = await log.load(
                    session, conversation_id=conversation_id, durable_version=conv.event_version
                )
            events = list(build(current))
            try:
                appended = await log.write(
                    session, conversation_id=conversation_id, state=current, events=events
                )
            except VersionConflict:
                await session.rollback()
                metrics.version_conflicts.inc()
                if attempt == WRITE_ATTEMPTS:
                    raise
                await backoff(attempt)
                continue
            result = await rows(session, conv, appended)
            await crud_conversations.set_conversation_state(
                session, conversation=conv, status=appended.state.mode, lang=appended.state.lang
            )
            await session.commit()
        await log.publish(conversation_id=conversation_id, appended=appended)
        return appended, result
    raise AssertionError("unreachable")  # pragma: no cover
