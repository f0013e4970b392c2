"""Async building blocks for the app's chat turn: vault load -> mask -> save, with conflict retries.

The masker is CPU-bound and sync, so it runs in a worker thread; the vault store is async. Two turns of
one conversation racing to add new values both load version N; the second save gets ``VaultConflict``
and the turn is re-masked against the fresh vault, so one value never gets two placeholders and one
placeholder never names two values.
"""

from __future__ import annotations

import asyncio

from privacy.errors import VaultConflict
from privacy.protocols import PiiMasker, VaultStore
from privacy.types import MaskResult, OutputCheck, VaultState


async def mask_message(
    masker: PiiMasker,
    store: VaultStore,
    conversation_id: str,
    text: str,
    *,
    lang: str | None = None,
    attempts: int = 3,
) -> tuple[MaskResult, VaultState]:
    """Mask ``text`` with the conversation's placeholders and persist any new ones.

    Returns the masked result and the vault as saved. Raises ``VaultConflict`` after ``attempts``
    lost races, ``VaultUnavailable`` / ``VaultCorrupt`` from the store (never masks without a vault).
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for _ in range(attempts):
        vault = await store.load(conversation_id)
        before = len(vault.by_placeholder)
        result = await asyncio.to_thread(masker.mask, text, vault, lang)
        if len(vault.by_placeholder) == before:
            return result, vault  # nothing new: no write
        try:
            await store.save(conversation_id, vault)
        except VaultConflict:
            continue
        return result, vault
    raise VaultConflict(f"vault of this conversation kept changing ({attempts} attempts)")


async def check_reply(
    masker: PiiMasker, store: VaultStore, conversation_id: str, text: str, *, lang: str | None = None
) -> OutputCheck:
    """``check_output`` of a complete model reply against the conversation's stored vault."""
    vault = await store.load(conversation_id)
    return await asyncio.to_thread(masker.check_output, text, vault, lang)
