"""``embed_chunks`` embeds texts shortest first (batches of similar length, little padding) and returns
every vector under its own chunk's id, exactly as embedding the texts one by one would."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.config import RetrievalConfig
from retrieval.index.build import VIEWS, embed_chunks, view_texts
from retrieval.testing import HashEmbedder
from retrieval.types import ChunkRecord


class Recording(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed_passages(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        self.batches.append(list(texts))
        return super().embed_passages(texts)


def _chunks() -> list[ChunkRecord]:
    out = []
    for i in range(23):
        question = f"question {i} " + "fee " * (i % 5)
        answer = f"answer {i} " + "the annual fee is waived in the first year " * (1 + (i * 7) % 11)
        out.append(
            ChunkRecord(
                f"c{i}", "d", text=f"{question}\n{answer}", embed_text=question, metadata={"kind": "faq"}
            )
        )
    return out


def test_vectors_land_on_their_own_ids_whatever_the_order_of_embedding() -> None:
    chunks, config, embedder = _chunks(), RetrievalConfig(), Recording()
    progress: list[int] = []
    ids, vectors = embed_chunks(chunks, embedder, config, on_batch=progress.append, batch=8)
    expected_ids = [
        cid * VIEWS + v for cid, c in enumerate(chunks) for v in range(len(view_texts(c, config)))
    ]
    assert ids.tolist() == expected_ids
    texts = [t for c in chunks for t in view_texts(c, config)]
    assert len(texts) > len(chunks)  # FAQ chunks have an answer view too
    np.testing.assert_allclose(vectors, HashEmbedder().embed_passages(texts), atol=1e-6)
    # Shortest first: every batch is no longer than the next one's shortest text.
    lengths = [[len(t) for t in b] for b in embedder.batches]
    assert all(b == sorted(b) for b in lengths)
    assert all(a[-1] <= b[0] for a, b in zip(lengths, lengths[1:], strict=False))
    # Progress in chunks: never backwards, and the last report is every chunk.
    assert progress == sorted(progress)
    assert progress[-1] == len(chunks)
    assert len(progress) == len(embedder.batches)
