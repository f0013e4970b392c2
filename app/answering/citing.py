"""From knowledge-base chunks to what a prompt shows and what an answer cites, in one place.

A citation's ``title`` is the chunk's label (``retrieval.labels.display_label``: the FAQ question, or the
document title › heading path), never a file name unless the document has nothing better; the file name
travels beside it as ``source``. The passages a prompt shows carry the same label, so the model (and the
extractive fallback, which quotes it) reads what the customer will read.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.chat.types import Citation
from app.container import Container
from app.db import crud_kb
from llm_backend.types import Passage
from retrieval.labels import display_label
from retrieval.types import ChunkRecord, Hit


def passage_of(chunk: ChunkRecord) -> Passage:
    """The chunk as a prompt passage. Its title is the label, left out when the text already starts
    with it (an FAQ chunk's text begins with its question: no need to show it twice)."""
    label = display_label(chunk)
    title = "" if " ".join(chunk.text.split()).startswith(label.rstrip("…")) else label
    return Passage(ref=chunk.chunk_id, text=chunk.text, title=title)


def citation_of(n: int, chunk: ChunkRecord) -> Citation:
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        title=display_label(chunk),
        document_id=chunk.document_id,
        text=chunk.text,
        source=chunk.metadata.get("source", ""),
    )


async def citations(
    container: Container,
    *,
    tenant_id: str,
    hits: Sequence[Hit],
    cited: Sequence[tuple[int, str]],
    known: Sequence[ChunkRecord] = (),
) -> list[Citation]:
    """``cited`` (answer number, chunk id) pairs as citations, in order. A chunk that is neither among
    ``hits`` nor ``known`` (the chunks carried over from an earlier turn's prompt, already read) is read
    from the database; one deleted since is dropped."""
    by_id = {c.chunk_id: c for c in known}
    by_id.update({h.chunk.chunk_id: h.chunk for h in hits})
    missing = [ref for _, ref in cited if ref not in by_id]
    if missing:
        async with container.sessions() as session:
            for chunk in await crud_kb.get_chunks(session, tenant_id=tenant_id, chunk_ids=missing):
                by_id[chunk.chunk_id] = chunk
    return [citation_of(n, by_id[ref]) for n, ref in cited if ref in by_id]
