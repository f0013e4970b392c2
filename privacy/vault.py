"""The per-conversation vault: encryption, and the embedded (in-process) store.

``VaultCipher`` seals a ``VaultState`` with AES-256-GCM. The key is derived (HKDF-SHA256) from the secret
the app passes in (``Settings.vault_key``); the conversation id is bound as associated data, so a vault
copied onto another conversation's key fails to open (``VaultCorrupt``) instead of restoring the wrong
customer's values. Old secrets can be listed in ``previous`` to read vaults written before a rotation;
new writes always use the current one.

``MemoryVaultStore`` keeps the sealed bytes (never clear values) in process memory with a TTL and the
same optimistic version check as the Redis store: the embedded default for one process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privacy.errors import VaultConflict, VaultCorrupt
from privacy.types import VaultState

logger = logging.getLogger(__name__)

_MAGIC = b"KV1"
_NONCE = 12
MAX_CONVERSATION_ID = 200
MIN_SECRET_CHARS = 16


def check_conversation_id(conversation_id: str) -> None:
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID:
        raise ValueError(f"conversation id must be 1..{MAX_CONVERSATION_ID} characters")


def _derive(secret: str | bytes) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(raw) < MIN_SECRET_CHARS:
        raise ValueError(f"vault key must be at least {MIN_SECRET_CHARS} characters")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kefu-vault", info=b"kefu vault v1").derive(raw)


class VaultCipher:
    """Seals and opens vaults. ``secret``: the current vault key; ``previous``: keys still accepted on read."""

    def __init__(self, secret: str | bytes, previous: Sequence[str | bytes] = ()) -> None:
        keys = [_derive(secret), *(_derive(p) for p in previous)]
        self._current = keys[0]
        self._by_id = {self._key_id(k): AESGCM(k) for k in reversed(keys)}
        self._current_id = self._key_id(self._current)

    @staticmethod
    def _key_id(key: bytes) -> bytes:
        return hashlib.sha256(key).digest()[:4]

    def seal(self, conversation_id: str, vault: VaultState) -> bytes:
        payload = json.dumps(
            {"p": vault.by_placeholder, "v": vault.by_value, "c": vault.counters},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        nonce = os.urandom(_NONCE)
        sealed = self._by_id[self._current_id].encrypt(nonce, payload, self._aad(conversation_id))
        return _MAGIC + self._current_id + nonce + sealed

    def open(self, conversation_id: str, blob: bytes, *, version: int = 0) -> VaultState:
        """The vault in ``blob``; raises ``VaultCorrupt`` (wrong key, other conversation, tampering)."""
        head = len(_MAGIC) + 4
        if len(blob) < head + _NONCE + 16 or not blob.startswith(_MAGIC):
            raise VaultCorrupt("not a sealed vault")
        aead = self._by_id.get(blob[len(_MAGIC) : head])
        if aead is None:
            raise VaultCorrupt("vault sealed with a key that is not configured")
        try:
            payload = aead.decrypt(
                blob[head : head + _NONCE], blob[head + _NONCE :], self._aad(conversation_id)
            )
            data = json.loads(payload)
            state = VaultState(
                by_placeholder=dict(data["p"]),
                by_value=dict(data["v"]),
                counters=dict(data["c"]),
                version=version,
            )
        except (InvalidTag, ValueError, KeyError, TypeError) as exc:
            raise VaultCorrupt("vault failed to decrypt or parse") from exc
        return state

    @staticmethod
    def _aad(conversation_id: str) -> bytes:
        return b"kefu-vault|" + conversation_id.encode("utf-8")


class MemoryVaultStore:
    """``VaultStore`` in process memory: sealed bytes, TTL refreshed on save, version-checked saves.

    ``max_conversations`` bounds memory: expired vaults are purged first, then the least recently saved
    one is dropped (logged). ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        cipher: VaultCipher,
        *,
        ttl_s: float,
        max_conversations: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s <= 0 or max_conversations < 1:
            raise ValueError("ttl_s and max_conversations must be positive")
        self._cipher, self._ttl, self._max, self._clock = cipher, ttl_s, max_conversations, clock
        self._data: dict[str, tuple[float, int, bytes]] = {}  # id -> (expires_at, version, sealed)

    async def load(self, conversation_id: str) -> VaultState:
        check_conversation_id(conversation_id)
        entry = self._live(conversation_id)
        if entry is None:
            return VaultState()
        _, version, blob = entry
        return self._cipher.open(conversation_id, blob, version=version)

    async def save(self, conversation_id: str, vault: VaultState) -> None:
        check_conversation_id(conversation_id)
        entry = self._live(conversation_id)
        current = entry[1] if entry else 0
        if vault.version != current:
            raise VaultConflict(f"vault changed since it was loaded (version {current}, had {vault.version})")
        blob = self._cipher.seal(conversation_id, vault)
        self._data.pop(conversation_id, None)  # re-insert: dict order is then least recently saved first
        self._data[conversation_id] = (self._clock() + self._ttl, current + 1, blob)
        vault.version = current + 1
        if len(self._data) > self._max:
            self._shrink()

    async def delete(self, conversation_id: str) -> None:
        check_conversation_id(conversation_id)
        self._data.pop(conversation_id, None)

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, conversation_id: str) -> tuple[float, int, bytes] | None:
        entry = self._data.get(conversation_id)
        if entry is not None and entry[0] <= self._clock():
            del self._data[conversation_id]
            return None
        return entry

    def _shrink(self) -> None:
        now = self._clock()
        for cid in [c for c, (exp, _, _) in self._data.items() if exp <= now]:
            del self._data[cid]
        while len(self._data) > self._max:
            oldest = next(iter(self._data))
            del self._data[oldest]
            logger.warning("vault store full: dropped the least recently saved conversation's vault")
