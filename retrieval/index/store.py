"""Immutable, versioned index snapshots on disk: one directory per (tenant KB, version).

``root/<kb_key>/<version>/`` holds ``chunks.jsonl`` (records, dense ids and keyword tokens),
``dense.faiss``, ``tombstones.npy`` (HNSW and IVF-PQ deletions), ``bm25/`` and ``manifest.json`` (embedder, dim,
counts and the sha256 of every file). A version is built in a hidden temporary directory and renamed into
place in one step, so a reader sees either no version or a complete one, never a half-built index.
Opening verifies the manifest's checksums and the embedder; any mismatch raises ``IndexUnavailable``
and the app rebuilds the version from its database rows. The active-version pointer lives in the app's
database; this store only holds snapshots.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.embedders.cache import embedder_identity
from retrieval.errors import DimensionMismatch, IndexUnavailable, VersionExists
from retrieval.hybrid import HybridRetriever, keyword_text
from retrieval.index.build import VIEWS, build_dense, embed_chunks
from retrieval.index.choice import choose_index_kind, dense_spec
from retrieval.index.dense import DenseIndex, IndexKind
from retrieval.index.keyword import KeywordIndex
from retrieval.protocols import Embedder, Reranker
from retrieval.text import KeywordAnalyzer
from retrieval.types import ChunkRecord

FORMAT = 2  # 2: vector id = chunk id * VIEWS + view
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_FILES = ("chunks.jsonl", "dense.faiss", "tombstones.npy")

# progress(stage, done, total): stage is "embedding" or "indexing"
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class VersionInfo:
    kb_key: str
    version: str
    chunks: int
    documents: int
    embedder: str
    dim: int
    index_kind: str
    created_at: float
    build_seconds: float
    reused_vectors: int


class IndexStore:
    """Builds, opens (cached, thread-safe), lists and deletes KB versions under ``root``."""

    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        config: RetrievalConfig,
        *,
        analyzer: KeywordAnalyzer | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.root = root
        self.embedder = embedder
        self.config = config
        self.analyzer = analyzer or KeywordAnalyzer()
        self.reranker = reranker
        self._open: OrderedDict[tuple[str, str], HybridRetriever] = OrderedDict()
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def warm_up(self) -> None:
        """Loads the embedder and the keyword analyzer (call once, from the app lifespan)."""
        self.embedder.warm_up()
        self.analyzer.warm_up()
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ paths
    def _dir(self, kb_key: str, version: str) -> Path:
        for label, value in (("kb_key", kb_key), ("version", version)):
            if not _NAME.match(value):
                raise ValueError(f"{label} {value!r}: use letters, digits, '_', '.', '-' (max 128)")
        return self.root / kb_key / version

    def exists(self, kb_key: str, version: str) -> bool:
        return (self._dir(kb_key, version) / "manifest.json").is_file()

    def list_versions(self, kb_key: str) -> list[str]:
        base = self.root / kb_key
        if not base.is_dir():
            return []
        return sorted(
            p.name for p in base.iterdir() if not p.name.startswith(".") and (p / "manifest.json").is_file()
        )

    # ------------------------------------------------------------------ build
    def build_version(
        self,
        kb_key: str,
        version: str,
        chunks: Sequence[ChunkRecord],
        *,
        progress: BuildProgress | None = None,
        index_kind: str | None = None,
    ) -> VersionInfo:
        """Embed, index and atomically publish ``chunks`` as ``kb_key/version``. ``index_kind``: the
        tenant's setting (``auto`` / None: by size, ``retrieval.index.choice``).

        Raises ``VersionExists`` if that version exists, ``ValueError`` for duplicate chunk ids, and
        whatever the embedder raises; on any failure nothing is left behind.
        """
        self._check_unique(chunks)
        self.analyzer.warm_up()  # idempotent; the embedder is warmed up by its owner
        t0 = time.time()
        report = progress or (lambda stage, done, total: None)
        report("embedding", 0, len(chunks))
        vector_ids, vectors = embed_chunks(
            chunks, self.embedder, self.config, on_batch=lambda done: report("embedding", done, len(chunks))
        )
        report("indexing", 0, len(chunks))
        dense = build_dense(vectors, self.config, vector_ids, index_kind=index_kind)
        ids = np.arange(len(chunks), dtype=np.int64)
        tokens = [self.analyzer.analyze(keyword_text(c, self.config)) for c in chunks]
        info = self._publish(kb_key, version, chunks, ids, tokens, dense, t0, reused=0)
        report("indexing", len(chunks), len(chunks))
        return info

    def derive_version(
        self,
        kb_key: str,
        base_version: str,
        version: str,
        *,
        remove_documents: Iterable[str] = (),
        add_chunks: Sequence[ChunkRecord] = (),
        progress: BuildProgress | None = None,
        index_kind: str | None = None,
    ) -> VersionInfo:
        """A new version from ``base_version`` minus the chunks of ``remove_documents`` plus
        ``add_chunks``: only the added chunks are embedded and tokenised; removed ids are deleted from a
        copy of the base's ID-mapped FAISS index. The base version is not modified."""
        self.analyzer.warm_up()
        t0 = time.time()
        report = progress or (lambda stage, done, total: None)
        base_dir = self._dir(kb_key, base_version)
        manifest = self._verified_manifest(base_dir)
        base_chunks, base_ids, base_tokens = _read_chunks(base_dir / "chunks.jsonl")
        gone = set(remove_documents) | {c.document_id for c in add_chunks}
        keep = [i for i, c in enumerate(base_chunks) if c.document_id not in gone]
        keep_set = set(keep)
        dense = DenseIndex.load(
            base_dir / "dense.faiss", self.embedder.dim, spec=dense_spec("flat", self.config),
            tombstones=np.load(base_dir / "tombstones.npy").tolist(),
        )  # fmt: skip
        dense.remove(
            int(base_ids[i]) * VIEWS + v
            for i in range(len(base_chunks))
            if i not in keep_set
            for v in range(VIEWS)
        )
        next_id = int(manifest["next_id"])
        new_ids = np.arange(next_id, next_id + len(add_chunks), dtype=np.int64)
        report("embedding", 0, len(add_chunks))
        vector_ids, vectors = embed_chunks(
            add_chunks, self.embedder, self.config, chunk_ids=new_ids,
            on_batch=lambda done: report("embedding", done, len(add_chunks)),
        )  # fmt: skip
        report("indexing", 0, len(add_chunks))
        if len(vectors):
            dense.add(vector_ids, vectors)
        chunks = [base_chunks[i] for i in keep] + list(add_chunks)
        self._check_unique(chunks)
        ids = np.concatenate([base_ids[keep], new_ids]) if keep else new_ids
        tokens = [base_tokens[i] for i in keep] + [
            self.analyzer.analyze(keyword_text(c, self.config)) for c in add_chunks
        ]
        choice = choose_index_kind(dense.size, self.config, index_kind)
        if choice.kind != dense.kind or len(dense.tombstones) > dense.size // 4:
            dense = _compacted(dense, self.config, choice.kind)
        info = self._publish(kb_key, version, chunks, ids, tokens, dense, t0, reused=len(keep))
        report("indexing", len(add_chunks), len(add_chunks))
        return info

    @staticmethod
    def _check_unique(chunks: Sequence[ChunkRecord]) -> None:
        ids = [c.chunk_id for c in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids must be unique within a version")

    def _publish(
        self,
        kb_key: str,
        version: str,
        chunks: Sequence[ChunkRecord],
        ids: np.ndarray,
        tokens: Sequence[Sequence[str]],
        dense: DenseIndex,
        t0: float,
        *,
        reused: int,
    ) -> VersionInfo:
        final = self._dir(kb_key, version)
        lock = self._key_lock(kb_key, version)
        with lock:
            if final.exists():
                raise VersionExists(f"{kb_key}/{version} already exists; versions are immutable")
            tmp = final.parent / f".building-{version}-{uuid.uuid4().hex[:8]}"
            tmp.mkdir(parents=True)
            try:
                _write_chunks(tmp / "chunks.jsonl", chunks, ids, tokens)
                dense.save(tmp / "dense.faiss")
                np.save(tmp / "tombstones.npy", dense.tombstones)
                KeywordIndex.build(self.analyzer, tokens).save(tmp / "bm25")
                info = VersionInfo(
                    kb_key, version, len(chunks), len({c.document_id for c in chunks}), self.embedder.name,
                    self.embedder.dim, dense.kind, time.time(), round(time.time() - t0, 3), reused,
                )  # fmt: skip
                files = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
                manifest = {
                    "format": FORMAT, **asdict(info), "embedder_identity": embedder_identity(self.embedder),
                    "next_id": int(ids.max()) + 1 if len(ids) else 0, "files": files,
                }  # fmt: skip
                _write_json_durably(tmp / "manifest.json", manifest)
                _fsync_dir(tmp)
                os.rename(tmp, final)  # atomic: readers see all of it or none of it
                _fsync_dir(final.parent)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return info

    # ------------------------------------------------------------------ open
    def open(self, kb_key: str, version: str) -> HybridRetriever:
        """The retriever of a version (loaded once, then cached; LRU of ``max_open_versions``).

        Raises ``IndexUnavailable`` if the version is missing, damaged or was built with another
        embedder (the app then rebuilds it from the database)."""
        key = (kb_key, version)
        with self._lock:
            cached = self._open.get(key)
            if cached is not None:
                self._open.move_to_end(key)
                return cached
        with self._key_lock(kb_key, version):
            with self._lock:
                cached = self._open.get(key)
                if cached is not None:
                    return cached
            retriever = self._load(kb_key, version)
            with self._lock:
                self._open[key] = retriever
                while len(self._open) > self.config.max_open_versions:
                    self._open.popitem(last=False)
        return retriever

    def _load(self, kb_key: str, version: str) -> HybridRetriever:
        self.analyzer.warm_up()
        d = self._dir(kb_key, version)
        manifest = self._verified_manifest(d)
        if manifest.get("embedder") != self.embedder.name or manifest.get("dim") != self.embedder.dim:
            raise IndexUnavailable(
                f"{kb_key}/{version} was built with {manifest.get('embedder')} (dim {manifest.get('dim')}); "
                f"this store embeds with {self.embedder.name} (dim {self.embedder.dim}): rebuild it"
            )
        try:
            chunks, ids, _ = _read_chunks(d / "chunks.jsonl")
            dense = DenseIndex.load(
                d / "dense.faiss", self.embedder.dim, spec=dense_spec("flat", self.config),
                tombstones=np.load(d / "tombstones.npy").tolist(),
            )  # fmt: skip
            keyword = KeywordIndex.load(d / "bm25", self.analyzer)
            return HybridRetriever(
                chunks=chunks, dense=dense, keyword=keyword, embedder=self.embedder, analyzer=self.analyzer,
                config=self.config, version=version, reranker=self.reranker, dense_ids=ids,
            )  # fmt: skip
        except (DimensionMismatch, OSError, ValueError, KeyError) as exc:
            raise IndexUnavailable(f"{kb_key}/{version} cannot be loaded: {exc}") from None

    def _verified_manifest(self, d: Path) -> dict[str, Any]:
        try:
            manifest: dict[str, Any] = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"{d.name}: no readable manifest ({exc})") from None
        if manifest.get("format") != FORMAT:
            raise IndexUnavailable(f"{d.name}: unknown index format {manifest.get('format')}")
        for rel, digest in manifest.get("files", {}).items():
            p = d / rel
            if not p.is_file() or _sha256(p) != digest:
                raise IndexUnavailable(f"{d.name}: {rel} is missing or corrupt (checksum mismatch)")
        return manifest

    def info(self, kb_key: str, version: str) -> VersionInfo:
        m = self._verified_manifest(self._dir(kb_key, version))
        return VersionInfo(**{k: m[k] for k in VersionInfo.__dataclass_fields__})

    # ------------------------------------------------------------------ delete
    def delete_version(self, kb_key: str, version: str) -> bool:
        """Removes a version (False if it did not exist). The app must not delete the active one."""
        d = self._dir(kb_key, version)
        with self._key_lock(kb_key, version):
            with self._lock:
                self._open.pop((kb_key, version), None)
            if not d.exists():
                return False
            trash = d.parent / f".deleting-{version}-{uuid.uuid4().hex[:8]}"
            os.rename(d, trash)
            shutil.rmtree(trash, ignore_errors=True)
            return True

    def _key_lock(self, kb_key: str, version: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault((kb_key, version), threading.Lock())


def _compacted(dense: DenseIndex, config: RetrievalConfig, kind: IndexKind) -> DenseIndex:
    """The live vectors in a fresh index of ``kind`` (from an IVF-PQ index they come from its SQ8 copy:
    cosines within about 0.01 of the originals; a rebuild from SQL re-embeds exactly)."""
    return dense.compact(spec=dense_spec(kind, config))


def _write_chunks(
    path: Path, chunks: Sequence[ChunkRecord], ids: np.ndarray, tokens: Sequence[Sequence[str]]
) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for c, i, t in zip(chunks, ids.tolist(), tokens, strict=True):
            row = {"id": int(i), "kw": list(t), "chunk": {**asdict(c), "metadata": dict(c.metadata)}}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_chunks(path: Path) -> tuple[list[ChunkRecord], np.ndarray, list[list[str]]]:
    chunks, ids, tokens = [], [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            chunks.append(ChunkRecord(**row["chunk"]))
            ids.append(int(row["id"]))
            tokens.append(list(row["kw"]))
    return chunks, np.asarray(ids, dtype=np.int64), tokens


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json_durably(path: Path, obj: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
