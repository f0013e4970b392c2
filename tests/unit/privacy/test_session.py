"""The async turn helper: vault load -> mask -> save, retrying when another turn saved first."""

from __future__ import annotations

import asyncio

import pytest

from privacy.errors import VaultConflict
from privacy.masker import PresidioMasker
from privacy.session import check_reply, mask_message
from privacy.types import VaultState
from privacy.vault import MemoryVaultStore, VaultCipher

pytestmark = pytest.mark.models


def _store() -> MemoryVaultStore:
    return MemoryVaultStore(VaultCipher("session-test-vault-key"), ttl_s=60)


async def test_turns_share_placeholders_through_the_store(masker: PresidioMasker) -> None:
    store = _store()
    first, _ = await mask_message(masker, store, "c1", "手机13800138000")
    second, vault = await mask_message(masker, store, "c1", "还是13800138000，另一个13912345678")
    assert first.text == "手机<PHONE_NUMBER_1>"
    assert second.text == "还是<PHONE_NUMBER_1>，另一个<PHONE_NUMBER_2>"
    assert vault.version == 2
    check = await check_reply(masker, store, "c1", "已记录<PHONE_NUMBER_2>")
    assert check.restored == "已记录13912345678"


async def test_a_message_without_new_values_does_not_write(masker: PresidioMasker) -> None:
    store = _store()
    await mask_message(masker, store, "c1", "你好")
    assert len(store) == 0


async def test_racing_turns_never_give_one_placeholder_two_values(masker: PresidioMasker) -> None:
    store = _store()
    texts = [f"我的手机1380013800{i}" for i in range(4)]
    results = await asyncio.gather(*(mask_message(masker, store, "race", t, attempts=5) for t in texts))
    vault = await store.load("race")
    assert sorted(vault.by_placeholder.values()) == [f"1380013800{i}" for i in range(4)]
    for text, (masked, _) in zip(texts, results, strict=True):
        assert masker.unmask(masked.text, vault) == text


class _AlwaysConflicting(MemoryVaultStore):
    async def save(self, conversation_id: str, vault: VaultState) -> None:
        raise VaultConflict("someone else saved")


async def test_gives_up_after_the_attempts(masker: PresidioMasker) -> None:
    store = _AlwaysConflicting(VaultCipher("session-test-vault-key"), ttl_s=60)
    with pytest.raises(VaultConflict):
        await mask_message(masker, store, "c1", "手机13800138000", attempts=2)
