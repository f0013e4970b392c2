"""The one compare-and-set loop of every conversation write: a concurrent writer makes it start over from
the fresh state (events rebuilt, rows rewritten, nothing of the failed attempt kept); after the last
attempt the conflict reaches the caller."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.container import Container
from app.conversations.event_writer import ConversationWriter
from app.conversations.log import Appended
from app.db import crud_conversations
from app.db.models import Conversation
from dialog.errors import VersionConflict
from dialog.events import Event, FeedbackGiven
from dialog.state import DialogState
from tests.unit.app.helpers import Tenant, start_conversation


def _conflicting(writer: ConversationWriter, times: int) -> list[int]:
    """Make the log refuse the first ``times`` writes as a concurrent writer would; returns the versions
    each attempt started from."""
    log = writer._log
    real_write = log.write
    starts: list[int] = []

    async def write(
        session: AsyncSession, *, conversation_id: str, state: DialogState, events: Any
    ) -> Appended:
        starts.append(state.version)
        if len(starts) <= times:
            raise VersionConflict(conversation_id, state.version, state.version + 1)
        return await real_write(session, conversation_id=conversation_id, state=state, events=events)

    log.write = write  # type: ignore[method-assign]
    return starts


async def test_a_conflict_rebuilds_the_events_and_rows_from_the_fresh_state(
    container: Container, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    conversation_id, _ = await start_conversation(client, tenant)
    writer = container.conversation_writer
    starts = _conflicting(writer, times=2)
    built: list[int] = []
    rows_written: list[int] = []

    async def build(state: DialogState) -> list[Event]:  # async, as the turn's own build is
        built.append(state.version)
        return [FeedbackGiven(message_id=None, thumbs="up", csat=None)]

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> str:
        rows_written.append(appended.state.version)
        return conv.id

    before = container.metrics.version_conflicts._value.get()
    appended, result = await writer.write(
        tenant_id=tenant.id, conversation_id=conversation_id, build=build, rows=rows
    )
    assert result == conversation_id
    assert len(built) == len(starts) == 3  # two refused attempts, then the one that commits
    assert rows_written == [appended.state.version]  # rows only with the write that stuck
    assert container.metrics.version_conflicts._value.get() - before == 2
    async with container.sessions() as session:
        conv = await crud_conversations.get_conversation(
            session, tenant_id=tenant.id, conversation_id=conversation_id
        )
    assert conv is not None
    assert conv.event_version == appended.state.version


async def test_the_last_conflict_reaches_the_caller(
    container: Container, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    conversation_id, _ = await start_conversation(client, tenant)
    writer = ConversationWriter(container.sessions, container.conversation_log, container.metrics, attempts=3)
    starts = _conflicting(writer, times=3)

    async def rows(session: AsyncSession, conv: Conversation, appended: Appended) -> None:
        raise AssertionError("no rows without a write")

    with pytest.raises(VersionConflict):
        await writer.write(
            tenant_id=tenant.id,
            conversation_id=conversation_id,
            build=lambda _s: [FeedbackGiven(message_id=None, thumbs="down", csat=None)],
            rows=rows,
        )
    assert len(starts) == 3
