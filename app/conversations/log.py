"""A conversation's dialog events: SQL is the durable log, the ``DialogStore`` (Redis or in-process) the hot
copy the turn reads.

Writes go to SQL first, in the caller's transaction: ``conversations.event_version`` is bumped with a
compare-and-set, so of two writers racing on one conversation exactly one commits and the other gets
``VersionConflict`` (and retries on the fresh state). After the commit the same events are appended to
the hot store. Reads trust the hot store only when its version equals the durable one; otherwise (expired,
lost, or behind after a failed write) it is rebuilt from SQL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import crud_conversations
from dialog.errors import StoreUnavailable, VersionConflict
from dialog.events import EVENT_ADAPTER, Event
from dialog.protocols import DialogStore
from dialog.state import DialogState

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Appended:
    """Events written durably at seqs ``first_seq ..``; ``state`` is the state after them."""

    first_seq: int
    events: tuple[Event, ...]
    state: DialogState


class ConversationLog:
    def __init__(self, hot: DialogStore) -> None:
        self._hot = hot

    async def load(self, session: AsyncSession, *, conversation_id: str, durable_version: int) -> DialogState:
        """The state at ``durable_version`` (``conversations.event_version`` read by the caller)."""
        stored = await self._hot.load(conversation_id)
        if stored.version == durable_version:
            return DialogState.replay(stored.events)
        rows = await crud_conversations.load_events(session, conversation_id=conversation_id)
        events = [EVENT_ADAPTER.validate_python(r.payload) for r in rows]
        if stored.version:
            logger.warning(
                "conversation %s: hot store at version %d, durable log at %d: rebuilding",
                conversation_id,
                stored.version,
                len(events),
            )
            await self._hot.delete(conversation_id)
        if events:
            with contextlib.suppress(VersionConflict):  # another replica rebuilt it at the same moment
                await self._hot.append(conversation_id, events, 0)
        return DialogState.replay(events)

    async def write(
        self, session: AsyncSession, *, conversation_id: str, state: DialogState, events: Sequence[Event]
    ) -> Appended:
        """Insert ``events`` after ``state`` in the caller's transaction (not committed here).

        Raises ``VersionConflict`` when the durable version is no longer ``state.version``.
        """
        expected = state.version
        new_version = expected + len(events)
        if not await crud_conversations.bump_event_version(
            session, conversation_id=conversation_id, expected=expected, new=new_version
        ):
            raise VersionConflict(conversation_id, expected, -1)
        await crud_conversations.insert_events(
            session,
            conversation_id=conversation_id,
            first_seq=expected + 1,
            events=[(e.type, e.model_dump(mode="json")) for e in events],
        )
        after = state
        for e in events:
            after = after.apply(e)
        return Appended(first_seq=expected + 1, events=tuple(events), state=after)

    async def publish(self, *, conversation_id: str, appended: Appended) -> None:
        """After the SQL commit: mirror the events into the hot store (a mismatch drops the hot copy)."""
        before = appended.state.version - len(appended.events)
        try:
            await self._hot.append(conversation_id, list(appended.events), before)
        except VersionConflict:
            logger.warning("conversation %s: hot store out of step; dropping it", conversation_id)
            await self._hot.delete(conversation_id)
        except StoreUnavailable as exc:
            # The events are durable; the next load sees the hot copy behind and rebuilds it from SQL.
            logger.warning("conversation %s: hot store write failed (%s)", conversation_id, exc.code)
