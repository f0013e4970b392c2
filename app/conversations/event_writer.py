"""Append dialog events to a conversation with SQL rows written in the same transaction, retrying on a
concurrent writer: the one compare-and-set loop of every conversation write (the chat turn's customer
message and reply, feedback, handoff requests, ending a conversation, the agent console's actions).

``ConversationWriter`` is bound once, in the composition root (``Container.conversation_writer``).
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chat.timing import StageClock
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


# The events to append, from the state they will follow (sync, or async: the chat turn tracks the message).
BuildEvents = Callable[[DialogState], Sequence[Event] | Awaitable[Sequence[Event]]]
WriteRows = Callable[[AsyncSession, Conversation, Appended], Awaitable[T]]
# The language stored on the conversation row after a write (default: the state's).
LangOf = Callable[[Appended], str]


async def load_conversation(session: AsyncSession, *, tenant_id: str, conversation_id: str) -> Conversation:
    conv = await crud_conversations.get_conversation(
        session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    if conv is None:
        raise AppError(ErrorCode.CONVERSATION_NOT_FOUND, "no such conversation")
    return conv


@dataclass(frozen=True, slots=True)
class Stages:
    """Stage names of a timed write (the chat turn's ``load_state`` / ``persist_user``)."""

    clock: StageClock
    load: str
    write: str


class ConversationWriter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        log: ConversationLog,
        metrics: Metrics,
        *,
        attempts: int = WRITE_ATTEMPTS,
    ) -> None:
        self._sessions = sessions
        self._log = log
        self._metrics = metrics
        self._attempts = attempts

    async def write(
        self,
        *,
        tenant_id: str,
        conversation_id: str,
        build: BuildEvents,
        rows: WriteRows[T],
        state: DialogState | None = None,
        lang_of: LangOf | None = None,
        stages: Stages | None = None,
    ) -> tuple[Appended, T]:
        """Load the state (or start from ``state`` on the first attempt), ``build`` the events from it,
        write them and ``rows`` in one transaction, commit, then mirror them into the hot store.

        ``build`` and ``rows`` may run up to ``attempts`` times (each attempt is rolled back entirely);
        ``build`` may raise ``AppError`` (e.g. the conversation is closed). After the last conflict the
        ``VersionConflict`` propagates (the API's 409 ``conflict``). ``stages``: time the load and the
        write (with the commit and the hot-store mirror) as two stages of a turn.
        """
        for attempt in range(1, self._attempts + 1):
            async with self._sessions() as session:
                with _stage(stages, "load"):
                    conv = await load_conversation(
                        session, tenant_id=tenant_id, conversation_id=conversation_id
                    )
                    current = state if (state is not None and attempt == 1) else None
                    if current is None:
                        current = await self._log.load(
                            session, conversation_id=conversation_id, durable_version=conv.event_version
                        )
                built = build(current)
                events = list(await built) if inspect.isawaitable(built) else list(built)
                with _stage(stages, "write"):
                    try:
                        appended = await self._log.write(
                            session, conversation_id=conversation_id, state=current, events=events
                        )
                    except VersionConflict:
                        await session.rollback()
                        self._metrics.version_conflicts.inc()
                        if attempt == self._attempts:
                            raise
                        await backoff(attempt)
                        continue
                    result = await rows(session, conv, appended)
                    lang = lang_of(appended) if lang_of is not None else appended.state.lang
                    await crud_conversations.set_conversation_state(
                        session, conversation=conv, status=appended.state.mode, lang=lang
                    )
                    await session.commit()
                    await self._log.publish(conversation_id=conversation_id, appended=appended)
            return appended, result
        raise AssertionError("unreachable")  # pragma: no cover


def _stage(stages: Stages | None, which: str) -> AbstractContextManager[object]:
    if stages is None:
        return nullcontext()
    return stages.clock.stage(stages.load if which == "load" else stages.write)


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
    """``ConversationWriter.write`` for a caller that holds the parts rather than a ``Container``."""
    return await ConversationWriter(sessions, log, metrics).write(
        tenant_id=tenant_id, conversation_id=conversation_id, build=build, rows=rows, state=state
    )
