"""Errors of the retrieval layer. Every one carries a stable ``code`` the app maps onto its error model."""

from __future__ import annotations


class RetrievalError(Exception):
    code = "retrieval_error"


class DocumentRejected(RetrievalError):
    """A document cannot be ingested. ``code`` says why; nothing of it was indexed."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class IndexUnavailable(RetrievalError):
    """The requested index/version is missing or unreadable (rebuild it from the database)."""

    code = "index_unavailable"


class DimensionMismatch(RetrievalError):
    """Vectors do not match the index dimension (embedder changed without a rebuild)."""

    code = "dimension_mismatch"
