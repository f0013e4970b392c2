"""Deterministic stand-ins for the domain layers, to test the app's wiring (the turn, the API, the
persistence) without loading models. Each real component is tested for real in its own package, and the
real stack is exercised by the integration and e2e tiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.kb.knowledge import ActiveKnowledge, KbVersionRef
from retrieval.protocols import Retriever
from retrieval.testing import KeywordRetriever


@dataclass
class StaticKnowledgeBases:
    """One retriever per tenant id."""

    by_tenant: Mapping[str, Retriever] = field(default_factory=dict)
    version: str = "v1"

    async def active(self, tenant_id: str) -> ActiveKnowledge | None:
        r = self.by_tenant.get(tenant_id)
        return ActiveKnowledge(retriever=r, version=self.version) if r is not None else None

    async def locate(self, session: AsyncSession, tenant_id: str) -> KbVersionRef | None:
        return KbVersionRef(self.version, "") if tenant_id in self.by_tenant else None

    async def open(self, tenant_id: str, ref: KbVersionRef) -> ActiveKnowledge:
        return ActiveKnowledge(retriever=self.by_tenant[tenant_id], version=ref.label)


def chunks_of(rows: Sequence[tuple[str, str, str, str]]) -> list:  # (chunk_id, title, text, lang)
    from retrieval.types import ChunkRecord

    return [
        ChunkRecord(
            chunk_id=cid,
            document_id="doc-" + cid,
            text=text,
            embed_text=title + " " + text,
            title=title,
            lang=lang,
        )
        for cid, title, text, lang in rows
    ]


class MemoryIndexStore:
    """The index store seam without FAISS: versions kept in a dict, opened as keyword retrievers.

    ``fail_build`` makes the next build raise (a crash mid-build); ``forget`` drops a built version (the
    index files lost on this replica) so the app has to rebuild it from SQL."""

    def __init__(self) -> None:
        self.versions: dict[tuple[str, str], list] = {}
        self.builds: list[tuple[str, str, int]] = []
        self.index_kinds: list[str | None] = []  # the tenant's setting each build was given
        self.fail_build = False
        self.corrupt: set[tuple[str, str]] = set()  # on disk but unreadable (old format, damaged)

    def build_version(self, kb_key, version, chunks, *, progress=None, index_kind=None):
        from retrieval.errors import VersionExists

        if self.fail_build:
            raise RuntimeError("disk full")
        if (kb_key, version) in self.versions:
            raise VersionExists(f"{kb_key}/{version}")
        self.builds.append((kb_key, version, len(chunks)))
        self.index_kinds.append(index_kind)
        if progress is not None:
            progress("embedding", len(chunks), len(chunks))
        self.versions[(kb_key, version)] = list(chunks)

    def open(self, kb_key: str, version: str) -> KeywordRetriever:
        from retrieval.errors import IndexUnavailable

        if (kb_key, version) not in self.versions or (kb_key, version) in self.corrupt:
            raise IndexUnavailable(f"{kb_key}/{version}")
        return KeywordRetriever(self.versions[(kb_key, version)], floor=0.2, version=version)

    def forget(self, kb_key: str, version: str) -> None:
        self.versions.pop((kb_key, version), None)

    def delete_version(self, kb_key: str, version: str) -> bool:
        self.corrupt.discard((kb_key, version))
        return self.versions.pop((kb_key, version), None) is not None
