"""LangChain adapters: our ``Retriever`` as a ``BaseRetriever``, our ``Embedder`` as ``Embeddings``.

``KefuRetriever(retriever=..., k=5, filters=...)`` plugs a tenant's KB version into any LCEL chain; each
``Document`` carries the chunk text as ``page_content`` and ids, title, scores and chunk metadata in
``metadata``. ``EmbedderEmbeddings`` lets LangChain's own vector stores use our embedders (the
evaluation's "dense the way a LangChain user would" baseline does exactly that).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.protocols import Embedder, Retriever
from retrieval.types import SearchFilters


class KefuRetriever(BaseRetriever):
    """A LangChain retriever over a kefu ``Retriever`` (sync; LangChain runs async calls in a thread)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a retrieval.protocols.Retriever (Any: pydantic cannot validate a Protocol)
    k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        r: Retriever = self.retriever
        result = r.search(query, k=self.k, filters=self.filters)
        docs = []
        for hit in result.hits:
            c = hit.chunk
            meta: dict[str, Any] = dict(c.metadata)
            meta.update(
                chunk_id=c.chunk_id,
                document_id=c.document_id,
                title=c.title,
                lang=c.lang,
                score=hit.score,
                dense_score=hit.dense_score,
                bm25_score=hit.bm25_score,
                kb_version=result.version,
                good_enough=result.good_enough,
            )
            docs.append(Document(page_content=c.text, metadata=meta, id=c.chunk_id))
        return docs


class EmbedderEmbeddings(Embeddings):
    """``Embeddings`` over a warmed-up ``Embedder`` (documents -> passages, queries -> queries)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = self.embedder.embed_passages(texts).tolist()
        return out

    def embed_query(self, text: str) -> list[float]:
        out: list[float] = self.embedder.embed_queries([text])[0].tolist()
        return out
