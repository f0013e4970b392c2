"""Factories the app's composition root calls once at start-up (nothing heavy is imported before them)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from privacy.config import PrivacyConfig

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from privacy.masker import PresidioMasker
    from privacy.protocols import VaultStore


def build_masker(config: PrivacyConfig, data_dir: Path) -> PresidioMasker:
    """The real masker, not yet loaded: call ``warm_up()`` in the app lifespan (a few seconds)."""
    from privacy.masker import PresidioMasker

    return PresidioMasker(config, data_dir)


def build_vault_store(
    config: PrivacyConfig,
    vault_key: str,
    *,
    redis: Redis | None = None,
    previous_keys: Sequence[str] = (),
) -> VaultStore:
    """Redis store when a client is given (namespaced by ``config.vault_key_prefix``), else the embedded
    in-process store. ``vault_key``: ``Settings.vault_key.get_secret_value()`` (>= 16 characters)."""
    from privacy.vault import MemoryVaultStore, VaultCipher

    cipher = VaultCipher(vault_key, previous=previous_keys)
    if redis is None:
        return MemoryVaultStore(cipher, ttl_s=config.vault_ttl_s)
    from privacy.vault_redis import RedisVaultStore

    return RedisVaultStore(redis, cipher, ttl_s=config.vault_ttl_s, prefix=config.vault_key_prefix)
