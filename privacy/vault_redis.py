"""Redis vault store: one hash per conversation, ``<prefix><conversation_id>`` -> {v: version, d: sealed}.

``d`` is the AES-GCM sealed vault, base64-encoded (so clients with ``decode_responses`` work too).

Only sealed bytes (AES-GCM, see ``privacy.vault``) ever reach Redis; the key holds the conversation id and
nothing else. ``save`` runs a Lua script, so the version check and the write are one atomic step: of two
turns racing to add values to one conversation's vault, one wins and the other gets ``VaultConflict``
(reload, re-mask, retry: ``privacy.session.mask_message`` does it). Every save refreshes the expiry. Any
Redis failure raises ``VaultUnavailable``: there is no silent fallback, and never a clear-text copy.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from privacy.errors import VaultConflict, VaultCorrupt, VaultUnavailable
from privacy.types import VaultState
from privacy.vault import VaultCipher, check_conversation_id

if TYPE_CHECKING:
    from redis.asyncio import Redis

DEFAULT_PREFIX = "kefu:vault:"

# KEYS[1] = vault hash; ARGV[1] = expected version; ARGV[2] = sealed vault; ARGV[3] = ttl in ms.
# Returns {1, new_version} on success, {0, actual_version} on a conflict.
_SAVE_LUA = """
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then
  return {0, v}
end
redis.call('HSET', KEYS[1], 'v', v + 1, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, v + 1}
"""


class RedisVaultStore:
    """``VaultStore`` on Redis (asyncio client, passed in; the app owns and closes it).

    ``ttl_s``: a vault expires this long after its last save (set it to the conversation's lifetime).
    ``prefix``: key namespace; tests use their own so they never touch the app's keys.
    """

    def __init__(
        self, client: Redis, cipher: VaultCipher, *, ttl_s: float, prefix: str = DEFAULT_PREFIX
    ) -> None:
        if not prefix:
            raise ValueError("prefix must not be empty: vault keys are namespaced")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._client, self._cipher, self._prefix = client, cipher, prefix
        self._ttl_ms = int(ttl_s * 1000)
        self._save = client.register_script(_SAVE_LUA)

    def key(self, conversation_id: str) -> str:
        check_conversation_id(conversation_id)
        return self._prefix + conversation_id

    async def load(self, conversation_id: str) -> VaultState:
        key = self.key(conversation_id)
        try:
            version, blob = await self._client.hmget(key, ["v", "d"])  # type: ignore[misc]
        except RedisError as exc:
            raise VaultUnavailable(f"vault store unreachable: {type(exc).__name__}") from exc
        if blob is None:
            return VaultState()
        try:  # base64 text: works whether or not the client decodes responses
            sealed = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VaultCorrupt("stored vault is not base64") from exc
        return self._cipher.open(conversation_id, sealed, version=int(version or 0))

    async def save(self, conversation_id: str, vault: VaultState) -> None:
        key = self.key(conversation_id)
        blob = base64.b64encode(self._cipher.seal(conversation_id, vault)).decode("ascii")
        try:
            ok, version = await self._save(keys=[key], args=[vault.version, blob, self._ttl_ms])
        except RedisError as exc:
            raise VaultUnavailable(f"vault store unreachable: {type(exc).__name__}") from exc
        if not int(ok):
            raise VaultConflict(
                f"vault changed since it was loaded (version {int(version)}, had {vault.version})"
            )
        vault.version = int(version)

    async def delete(self, conversation_id: str) -> None:
        key = self.key(conversation_id)
        try:
            await self._client.delete(key)
        except RedisError as exc:
            raise VaultUnavailable(f"vault store unreachable: {type(exc).__name__}") from exc
