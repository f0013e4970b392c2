"""Append a turn's events under optimistic concurrency, retrying when another writer got there first."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from dialog.errors import VersionConflict
from dialog.events import Event
from dialog.protocols import DialogStore
from dialog.state import DialogState

logger = logging.getLogger(__name__)


async def load_state(store: DialogStore, conversation_id: str) -> DialogState:
    """The conversation's state, rebuilt by replaying its stored events (version == events stored)."""
    stored = await store.load(conversation_id)
    state = DialogState.replay(stored.events)
    assert state.version == stored.version
    return state


async def append_with_retry(
    store: DialogStore,
    conversation_id: str,
    build: Callable[[DialogState], Sequence[Event]],
    *,
    attempts: int = 3,
) -> DialogState:
    """Load, let ``build`` derive the events from the current state, append them; on ``VersionConflict``
    reload and rebuild, at most ``attempts`` times in all, then re-raise the conflict (the API's 409).

    ``build`` must be cheap and side-effect free (it may run several times); it may raise, e.g.
    ``ConversationClosedError``, which propagates unchanged. Returns the state after the append.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(1, attempts + 1):
        state = await load_state(store, conversation_id)
        events = list(build(state))
        try:
            await store.append(conversation_id, events, state.version)
        except VersionConflict:
            if attempt == attempts:
                raise
            logger.info(
                "conversation %s: version conflict, retry %d of %d", conversation_id, attempt, attempts
            )
            continue
        for e in events:
            state = state.apply(e)
        return state
    raise AssertionError("unreachable")  # pragma: no cover
