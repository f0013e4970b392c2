"""Which retriever answers for a tenant: the index of its active knowledge-base version.

The active version lives in SQL (``kb_versions.is_active``), so every replica agrees on it; the index
files live under ``data_dir`` and are opened (and cached) by retrieval's index store. An index missing or
unreadable on this replica is rebuilt from the version's chunks in SQL, once, then opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import crud_kb
from app.kb.index_kind import tenant_index_kind
from retrieval.calibration import apply_floor
from retrieval.errors import IndexUnavailable, VersionExists
from retrieval.protocols import Retriever
from retrieval.types import ChunkRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ActiveKnowledge:
    retriever: Retriever
    version: str  # e.g. "v3"


@dataclass(frozen=True, slots=True)
class KbVersionRef:
    """Which version is active for a tenant (read in the caller's transaction), and its calibration."""

    label: str  # e.g. "v3"
    version_id: str
    floor: float | None = None
    margin: float | None = None


class KnowledgeBases(Protocol):
    """``active(tenant_id)``: the retriever of the tenant's active version, or None when it has none.

    The same in two steps, for a caller that already holds a database session (the chat turn reads the
    active version in its own transaction instead of opening one more): ``locate(session, tenant_id)``
    only reads SQL and never loads an index; ``open(tenant_id, ref)`` opens (or rebuilds) the index
    outside any transaction. ``open`` raises ``IndexUnavailable`` when it cannot."""

    async def active(self, tenant_id: str) -> ActiveKnowledge | None: ...

    async def locate(self, session: AsyncSession, tenant_id: str) -> KbVersionRef | None: ...

    async def open(self, tenant_id: str, ref: KbVersionRef) -> ActiveKnowledge: ...


class IndexStore(Protocol):
    """What the app needs of retrieval's index store (one immutable index per tenant KB version)."""

    def build_version(
        self,
        kb_key: str,
        version: str,
        chunks: Sequence[ChunkRecord],
        *,
        progress: Callable[[str, int, int], None] | None = None,
        index_kind: str | None = None,
    ) -> object: ...

    def open(self, kb_key: str, version: str) -> Retriever: ...

    def delete_version(self, kb_key: str, version: str) -> bool: ...


class IndexedKnowledgeBases:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], index_store: IndexStore) -> None:
        self._sessions = sessions
        self._store = index_store
        self._rebuild_locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def active(self, tenant_id: str) -> ActiveKnowledge | None:
        async with self._sessions() as session:
            ref = await self.locate(session, tenant_id)
        return None if ref is None else await self.open(tenant_id, ref)

    async def locate(self, session: AsyncSession, tenant_id: str) -> KbVersionRef | None:
        version = await crud_kb.get_active_version(session, tenant_id=tenant_id)
        if version is None:
            return None
        return KbVersionRef(version.label, version.id, version.retrieval_floor, version.retrieval_margin)

    async def open(self, tenant_id: str, ref: KbVersionRef) -> ActiveKnowledge:
        try:
            retriever = await asyncio.to_thread(self._store.open, tenant_id, ref.label)
        except IndexUnavailable:
            retriever = await self._rebuild(tenant_id, ref.version_id, ref.label)
        apply_floor(retriever, ref.floor, ref.margin)  # the version's own, calibrated when it was published
        return ActiveKnowledge(retriever=retriever, version=ref.label)

    async def _rebuild(self, tenant_id: str, version_id: str, label: str) -> Retriever:
        lock = self._rebuild_locks.setdefault((tenant_id, label), asyncio.Lock())
        async with lock:
            try:  # someone else may have rebuilt it while we waited
                return await asyncio.to_thread(self._store.open, tenant_id, label)
            except IndexUnavailable:
                pass
            logger.warning(
                "tenant %s: index of %s unavailable, rebuilding from the database", tenant_id, label
            )
            async with self._sessions() as session:
                chunks = await crud_kb.chunks_of_version(session, tenant_id=tenant_id, version_id=version_id)
                kind = await tenant_index_kind(session, tenant_id)
            # An unreadable copy (corrupt, or written in an older index format) is replaced.
            await asyncio.to_thread(self._store.delete_version, tenant_id, label)
            with contextlib.suppress(VersionExists):  # another process rebuilt it meanwhile
                await asyncio.to_thread(
                    functools.partial(self._store.build_version, tenant_id, label, chunks, index_kind=kind)
                )
            return await asyncio.to_thread(self._store.open, tenant_id, label)
