"""Redis dialog store: the hot event log when several app replicas serve one tenant.

One Redis list per conversation, ``<prefix><conversation_id>:events``, holding one JSON event per item.
The version is the list length. ``append`` runs a Lua script, so the version check and the push are one
atomic step: of two turns racing on one conversation exactly one wins, the other gets ``VersionConflict``
and nothing of it is stored. Every write refreshes the key's expiry. Any Redis failure raises
``StoreUnavailable``; there is no silent in-memory fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from redis.exceptions import ResponseError as RedisResponseError

from dialog.errors import StoreCorrupt, StoreUnavailable, VersionConflict
from dialog.events import Event, event_from_json, event_to_json
from dialog.protocols import StoredEvents

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "kefu:dialog:"
MAX_CONVERSATION_ID = 200

# KEYS[1] = event list; ARGV[1] = expected version; ARGV[2] = ttl in ms; ARGV[3..] = events (JSON).
# Returns {1, new_version} on success, {0, actual_version} on a version conflict.
_APPEND_LUA = """
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then
  return {0, n}
end
if #ARGV > 2 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
end
if n + #ARGV - 2 > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {1, n + #ARGV - 2}
"""


def _check_id(conversation_id: str) -> None:
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID:
        raise ValueError(f"conversation id must be 1..{MAX_CONVERSATION_ID} characters")


class RedisDialogStore:
    """``DialogStore`` on Redis (asyncio client, passed in; the app owns and closes it).

    ``ttl_s``: entries expire this long after the last append (SQL keeps the durable copy).
    ``prefix``: key namespace; tests use their own so they never touch the app's keys.
    """

    def __init__(self, client: Redis, *, ttl_s: float, prefix: str = DEFAULT_PREFIX) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        if not prefix:
            raise ValueError("prefix must not be empty: the store shares Redis with other components")
        self._client = client
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._prefix = prefix
        self._append_script = client.register_script(_APPEND_LUA)

    def key(self, conversation_id: str) -> str:
        """The Redis key holding this conversation's events."""
        _check_id(conversation_id)
        return f"{self._prefix}{conversation_id}:events"

    async def load(self, conversation_id: str) -> StoredEvents:
        key = self.key(conversation_id)
        try:
            raw: list[Any] = await self._client.lrange(key, 0, -1)  # type: ignore[misc]
        except RedisError as exc:
            raise StoreUnavailable(f"dialog store: cannot read {key}: {exc}") from exc
        events: list[Event] = []
        for i, item in enumerate(raw):
            try:
                events.append(event_from_json(item))
            except ValueError as exc:
                raise StoreCorrupt(f"dialog store: event {i} of {key} does not parse: {exc}") from exc
        return StoredEvents(events=events, version=len(events))

    async def append(self, conversation_id: str, events: Sequence[Event], expected_version: int) -> int:
        key = self.key(conversation_id)
        if expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        payload = [event_to_json(e) for e in events]
        try:
            ok, version = await self._append_script(
                keys=[key], args=[expected_version, self._ttl_ms, *payload]
            )
        except RedisResponseError as exc:
            raise StoreUnavailable(f"dialog store: append script failed on {key}: {exc}") from exc
        except RedisError as exc:
            raise StoreUnavailable(f"dialog store: cannot write {key}: {exc}") from exc
        if int(ok) != 1:
            logger.info(
                "version conflict on %s: expected %d, store has %d", key, expected_version, int(version)
            )
            raise VersionConflict(conversation_id, expected_version, int(version))
        return int(version)

    async def delete(self, conversation_id: str) -> None:
        key = self.key(conversation_id)
        try:
            await self._client.delete(key)
        except RedisError as exc:
            raise StoreUnavailable(f"dialog store: cannot delete {key}: {exc}") from exc

    async def ttl_s(self, conversation_id: str) -> float | None:
        """Seconds until this conversation's events expire; None when there is no such conversation."""
        key = self.key(conversation_id)
        try:
            ms = int(await self._client.pttl(key))
        except RedisError as exc:
            raise StoreUnavailable(f"dialog store: cannot read the expiry of {key}: {exc}") from exc
        return None if ms < 0 else ms / 1000.0
