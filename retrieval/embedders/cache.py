"""An on-disk cache of passage vectors keyed by (embedder, sha256 of the text).

A new KB version usually changes a handful of documents; its unchanged chunks find their vectors here
instead of being re-embedded (the encoder is the slowest part of ingestion). One SQLite file per
embedder identity (``name@engine``: two engines of one model differ in the last digits, so they do not
share entries). Queries are not cached. Safe across threads and processes (WAL, one connection per call).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrieval.protocols import Embedder, Vectors

_SAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


def embedder_identity(embedder: Embedder) -> str:
    """``name@engine`` (engine when the embedder declares one): the cache namespace of its vectors."""
    engine = getattr(embedder, "engine", "")
    return f"{embedder.name}@{engine}" if engine else embedder.name


class CachedEmbedder:
    """Wraps an ``Embedder``; ``embed_passages`` reads and fills the cache, ``embed_queries`` passes through.

    Satisfies the ``Embedder`` protocol itself (same ``name``, ``dim`` and ``engine``), so it can be used
    anywhere the inner embedder can. ``hits`` / ``misses`` count passages since construction.
    """

    def __init__(self, inner: Embedder, cache_dir: Path, *, cache_queries: bool = False) -> None:
        """``cache_queries``: also cache query vectors (evaluation re-runs; not worth it in serving)."""
        self.inner = inner
        self.cache_queries = cache_queries
        self.name = inner.name
        self.dim = inner.dim
        self.engine = getattr(inner, "engine", "")
        self.path = cache_dir / (_SAFE.sub("_", embedder_identity(inner)) + ".sqlite3")
        self.hits = 0
        self.misses = 0

    def warm_up(self) -> None:
        self.inner.warm_up()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(
                "CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        if not self.cache_queries:
            return self.inner.embed_queries(texts)
        # another query engine (int8 ONNX) gives other query vectors: keyed apart from torch's
        engine = getattr(self.inner, "query_engine", "torch")
        prefix = b"q:" if engine == "torch" else f"q[{engine}]:".encode()
        return self._cached(texts, prefix, self.inner.embed_queries)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._cached(texts, b"", self.inner.embed_passages)

    def _cached(
        self, texts: Sequence[str], prefix: bytes, embed: Callable[[Sequence[str]], Vectors]
    ) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        keys = [hashlib.sha256(prefix + t.encode("utf-8")).digest() for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._connect() as con:
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                rows = con.execute(
                    f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.size == self.dim:
                        found[key] = vec
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            first: dict[bytes, int] = {}
            for i in missing:
                first.setdefault(keys[i], i)
            todo = list(first.items())
            vecs = embed([texts[i] for _, i in todo])
            for (key, _), vec in zip(todo, vecs, strict=True):
                found[key] = vec
            with self._connect() as con:
                con.executemany(
                    "INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)",
                    [
                        (key, np.asarray(vec, dtype=np.float32).tobytes())
                        for (key, _), vec in zip(todo, vecs, strict=True)
                    ],
                )
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out
