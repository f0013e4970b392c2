"""Ingestion as a library function: files -> parsed documents -> chunks -> a new immutable KB version.

All or nothing: the version is built completely and renamed into place, or not at all. By default one
rejected file fails the whole run (``IngestionFailed`` lists every rejection with its code) and nothing is
indexed; with ``allow_partial`` the rejected files are reported and the rest is published. Identical
content (same ``content_hash``, within the run or already in the KB) is indexed once. Progress is
reported through a callback (documents, chunks, %, stage) so the app's worker can store it for the API
and the CLI's progress bar. The app keeps the returned documents and chunks in its database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.chunking import Chunker
from retrieval.errors import DocumentRejected, IngestionFailed
from retrieval.index.store import IndexStore, VersionInfo
from retrieval.loaders import FaqColumns, load_document
from retrieval.types import ChunkRecord, IngestProgress, ParsedDocument, Stage

ProgressCallback = Callable[[IngestProgress], None]
_SPAN: Mapping[str, tuple[float, float]] = {"parsing": (0.0, 15.0), "embedding": (15.0, 90.0),
                                            "indexing": (90.0, 100.0), "done": (100.0, 100.0)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceFile:
    document_id: str
    filename: str
    data: bytes | Path
    metadata: Mapping[str, str] = field(default_factory=dict)  # e.g. collection, product
    columns: FaqColumns | None = None


@dataclass(frozen=True, slots=True)
class IngestedDocument:
    document_id: str
    document: ParsedDocument
    chunks: tuple[ChunkRecord, ...]


@dataclass(frozen=True, slots=True)
class IngestResult:
    version: VersionInfo
    documents: list[IngestedDocument]
    duplicates: list[tuple[str, str]]  # (document id, id of the document with the same content)
    rejected: list[tuple[str, DocumentRejected]]


class _Reporter:
    def __init__(self, callback: ProgressCallback | None, n_docs: int) -> None:
        self._cb = callback
        self.n_docs = n_docs
        self.docs = 0
        self.chunks = 0
        self.chunks_total = 0
        self._last = -1.0

    def __call__(self, stage: Stage, done: int, total: int) -> None:
        lo, hi = _SPAN[stage]
        pct = lo + (hi - lo) * (done / total if total else 1.0)
        pct = max(pct, self._last)  # monotonic
        self._last = pct
        if stage == "parsing":
            self.docs = done
        elif stage in ("embedding", "indexing"):
            self.chunks = done if stage == "embedding" else self.chunks
        if self._cb is not None:
            self._cb(
                IngestProgress(stage, self.docs, self.n_docs, self.chunks, self.chunks_total, round(pct, 1))
            )


def ingest(
    store: IndexStore,
    kb_key: str,
    version: str,
    files: Sequence[SourceFile],
    *,
    base_version: str | None = None,
    existing_chunks: Sequence[ChunkRecord] = (),
    remove_documents: Iterable[str] = (),
    known_hashes: Mapping[str, str] | None = None,
    allow_partial: bool = False,
    progress: ProgressCallback | None = None,
    chunker: Chunker | None = None,
    index_kind: str | None = None,
) -> IngestResult:
    """Build ``kb_key/version`` from ``files`` on top of what the KB already holds.

    Either ``base_version`` (derive from that version on disk: its chunks are reused, only new files are
    embedded) or ``existing_chunks`` (the unchanged documents' chunks, e.g. from the database; a full
    rebuild, with vectors from the embedding cache when the store's embedder has one). A file whose
    ``document_id`` already exists replaces that document. ``known_hashes``: content hash -> document id
    of documents already in the KB (duplicates of those are skipped).

    Raises ``IngestionFailed`` (nothing built) when a file is rejected and not ``allow_partial``, or when
    nothing at all would be indexed; ``VersionExists`` if the version exists.
    """
    rep = _Reporter(progress, len(files))
    chunker = chunker or Chunker(store.config)
    removed = set(remove_documents)
    seen: dict[str, str] = dict(known_hashes or {})
    for doc_id in {f.document_id for f in files} | removed:  # a replaced document's old hash is free again
        for h in [h for h, d in seen.items() if d == doc_id]:
            del seen[h]
    docs: list[IngestedDocument] = []
    duplicates: list[tuple[str, str]] = []
    rejected: list[tuple[str, DocumentRejected]] = []
    rep("parsing", 0, len(files))
    for n, f in enumerate(files, start=1):
        try:
            parsed = load_document(f.data, f.filename, store.config, columns=f.columns)
        except DocumentRejected as exc:
            rejected.append((f.document_id, exc))
        else:
            if parsed.content_hash in seen:
                duplicates.append((f.document_id, seen[parsed.content_hash]))
            else:
                seen[parsed.content_hash] = f.document_id
                chunks = chunker.chunk(parsed, f.document_id, metadata=f.metadata)
                docs.append(IngestedDocument(f.document_id, parsed, tuple(chunks)))
        rep("parsing", n, len(files))
    if rejected and not allow_partial:
        codes = ", ".join(f"{d}: {e.code}" for d, e in rejected)
        raise IngestionFailed(f"{len(rejected)} file(s) rejected, nothing indexed ({codes})", rejected)
    new_chunks = [c for d in docs for c in d.chunks]
    replaced = {f.document_id for f in files} | removed
    rep.chunks_total = len(new_chunks)

    def on_build(stage: str, done: int, total: int) -> None:
        rep("embedding" if stage == "embedding" else "indexing", done, total)

    if base_version is not None:
        info = store.derive_version(kb_key, base_version, version, remove_documents=replaced,
                                    add_chunks=new_chunks, progress=on_build, index_kind=index_kind)  # fmt: skip
    else:
        kept = [c for c in existing_chunks if c.document_id not in replaced]
        if not kept and not new_chunks:
            raise IngestionFailed("nothing to index: no accepted document and no existing chunks", rejected)
        rep.chunks_total = len(kept) + len(new_chunks)
        info = store.build_version(kb_key, version, [*kept, *new_chunks], progress=on_build,
                                   index_kind=index_kind)  # fmt: skip
    rep.chunks = rep.chunks_total
    rep("done", 1, 1)
    return IngestResult(info, docs, duplicates, rejected)
