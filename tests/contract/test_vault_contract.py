"""One behaviour, two stores: every ``VaultStore`` implementation inherits ``VaultStoreContract``.

The Redis class needs a real Redis (``REDIS_URL``; CI sets it) and works under its own key prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from privacy.errors import VaultConflict, VaultCorrupt, VaultUnavailable
from privacy.placeholders import placeholder_for
from privacy.protocols import VaultStore
from privacy.types import VaultState
from privacy.vault import MemoryVaultStore, VaultCipher
from privacy.vault_redis import RedisVaultStore
from tests.contract.support import assert_each_raises

KEY = "contract-test-vault-key"
StoreFactory = Callable[[float], VaultStore]


def _vault_with(*values: str) -> VaultState:
    v = VaultState()
    for value in values:
        placeholder_for(v, "PHONE_NUMBER", value)
    return v


class VaultStoreContract:
    """Subclasses provide the ``make_store`` fixture: ``make_store(ttl_s) -> VaultStore``."""

    async def test_is_a_vault_store(self, make_store: StoreFactory) -> None:
        assert isinstance(make_store(60), VaultStore)

    async def test_unknown_conversation_is_empty_at_version_zero(self, make_store: StoreFactory) -> None:
        v = await make_store(60).load("nobody")
        assert (v.by_placeholder, v.counters, v.version) == ({}, {}, 0)

    async def test_round_trip(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.save("c1", _vault_with("13800138000", "13912345678"))
        loaded = await store.load("c1")
        assert loaded.by_placeholder == {"<PHONE_NUMBER_1>": "13800138000", "<PHONE_NUMBER_2>": "13912345678"}
        assert loaded.counters == {"PHONE_NUMBER": 2}
        assert loaded.version == 1

    async def test_conversations_are_isolated(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.save("a", _vault_with("13800138000"))
        await store.save("b", _vault_with("13912345678"))
        assert (await store.load("a")).by_placeholder["<PHONE_NUMBER_1>"] == "13800138000"
        assert (await store.load("b")).by_placeholder["<PHONE_NUMBER_1>"] == "13912345678"

    async def test_save_after_save_bumps_the_version(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        v = await store.load("c")
        placeholder_for(v, "PERSON", "张三")
        await store.save("c", v)
        placeholder_for(v, "PERSON", "李四")
        await store.save("c", v)  # the same object carries the new version
        assert v.version == 2
        assert (await store.load("c")).counters == {"PERSON": 2}

    async def test_a_stale_writer_gets_a_conflict_and_nothing_is_lost(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        first, second = await store.load("c"), await store.load("c")
        placeholder_for(first, "PHONE_NUMBER", "13800138000")
        placeholder_for(second, "PHONE_NUMBER", "13912345678")  # the same <PHONE_NUMBER_1> for another value
        await store.save("c", first)
        with pytest.raises(VaultConflict):
            await store.save("c", second)
        assert (await store.load("c")).by_placeholder == {"<PHONE_NUMBER_1>": "13800138000"}

    async def test_concurrent_savers_exactly_one_wins(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        vaults = [await store.load("race") for _ in range(5)]
        for i, v in enumerate(vaults):
            placeholder_for(v, "PHONE_NUMBER", f"1380013800{i}")
        results = await asyncio.gather(*(store.save("race", v) for v in vaults), return_exceptions=True)
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, VaultConflict) for r in results if r is not None)

    async def test_expires_after_ttl(self, make_store: StoreFactory) -> None:
        store = make_store(0.3)
        await store.save("short", _vault_with("13800138000"))
        assert (await store.load("short")).counters
        await asyncio.sleep(0.6)
        assert (await store.load("short")).by_placeholder == {}

    async def test_delete(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        await store.save("gone", _vault_with("13800138000"))
        await store.delete("gone")
        await store.delete("never-existed")
        assert (await store.load("gone")).version == 0

    async def test_bad_conversation_ids_are_refused(self, make_store: StoreFactory) -> None:
        store = make_store(60)
        for bad in ("", "x" * 201):
            with pytest.raises(ValueError, match="conversation id"):
                await store.load(bad)


class TestMemoryVaultStore(VaultStoreContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        cipher = VaultCipher(KEY)
        return lambda ttl: MemoryVaultStore(cipher, ttl_s=ttl)

    async def test_holds_only_sealed_bytes(self) -> None:
        store = MemoryVaultStore(VaultCipher(KEY), ttl_s=60)
        await store.save("c", _vault_with("13800138000"))
        assert "13800138000" not in repr(store._data)

    async def test_is_bounded(self) -> None:
        store = MemoryVaultStore(VaultCipher(KEY), ttl_s=60, max_conversations=3)
        for i in range(5):
            await store.save(f"c{i}", _vault_with("13800138000"))
        assert len(store) == 3
        assert (await store.load("c0")).version == 0  # the least recently saved went first
        assert (await store.load("c4")).version == 1

    async def test_another_key_cannot_open_it(self) -> None:
        store = MemoryVaultStore(VaultCipher(KEY), ttl_s=60)
        await store.save("c", _vault_with("13800138000"))
        store._cipher = VaultCipher("a-different-vault-key")
        with pytest.raises(VaultCorrupt):
            await store.load("c")


@pytest.mark.integration
class TestRedisVaultStore(VaultStoreContract):
    @pytest.fixture
    def make_store(self, redis_client: Any, redis_prefix: str) -> StoreFactory:
        cipher = VaultCipher(KEY)
        return lambda ttl: RedisVaultStore(redis_client, cipher, ttl_s=ttl, prefix=redis_prefix)

    async def test_keys_are_namespaced_carry_a_ttl_and_no_clear_value(
        self, redis_client: Any, redis_prefix: str
    ) -> None:
        store = RedisVaultStore(redis_client, VaultCipher(KEY), ttl_s=3600, prefix=redis_prefix)
        await store.save("c1", _vault_with("13800138000"))
        keys = [k.decode() async for k in redis_client.scan_iter(match=redis_prefix + "*")]
        assert keys == [redis_prefix + "c1"]
        assert 3500 < await redis_client.ttl(redis_prefix + "c1") <= 3600
        raw = await redis_client.hgetall(redis_prefix + "c1")
        assert b"13800138000" not in b"".join(raw.values())

    async def test_a_client_that_decodes_responses_works_too(
        self, service_urls: tuple[str, str], redis_prefix: str
    ) -> None:
        from redis.asyncio import from_url

        client = from_url(service_urls[1], decode_responses=True)
        try:
            store = RedisVaultStore(client, VaultCipher(KEY), ttl_s=60, prefix=redis_prefix)
            await store.save("c", _vault_with("13800138000"))
            assert (await store.load("c")).counters == {"PHONE_NUMBER": 1}
        finally:
            await client.aclose()

    async def test_redis_down_is_loud(self, unreachable_redis: Any) -> None:
        store = RedisVaultStore(unreachable_redis, VaultCipher(KEY), ttl_s=60, prefix="kefu:test:down:")
        await assert_each_raises(
            VaultUnavailable,
            lambda: store.load("c"),
            lambda: store.save("c", _vault_with("13800138000")),
            lambda: store.delete("c"),
        )

    async def test_a_corrupt_entry_is_reported_not_skipped(
        self, redis_client: Any, redis_prefix: str
    ) -> None:
        store = RedisVaultStore(redis_client, VaultCipher(KEY), ttl_s=60, prefix=redis_prefix)
        await redis_client.hset(redis_prefix + "bad", mapping={"v": 1, "d": "not base64!"})
        with pytest.raises(VaultCorrupt):
            await store.load("bad")
        await redis_client.hset(
            redis_prefix + "bad", mapping={"v": 1, "d": "aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSB2YXVsdA=="}
        )
        with pytest.raises(VaultCorrupt):
            await store.load("bad")

    async def test_empty_prefix_is_refused(self, redis_client: Any) -> None:
        with pytest.raises(ValueError, match="prefix"):
            RedisVaultStore(redis_client, VaultCipher(KEY), ttl_s=10, prefix="")
