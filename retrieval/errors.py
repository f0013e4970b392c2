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


class ParseLimitExceeded(DocumentRejected):
    """Parsing the document needed more memory, CPU time or wall-clock time than the configured limits
    (``RetrievalConfig.parse_memory_mb`` / ``parse_cpu_s`` / ``parse_wall_s``); ``limit`` says which."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__("parse_limit_exceeded", detail)
        self.limit = limit


class IndexUnavailable(RetrievalError):
    """The requested index/version is missing or unreadable (rebuild it from the database)."""

    code = "index_unavailable"


class DimensionMismatch(RetrievalError):
    """Vectors do not match the index dimension (embedder changed without a rebuild)."""

    code = "dimension_mismatch"


REJECTION_CODES = (
    "empty_file",
    "file_too_large",
    "unsupported_type",
    "type_mismatch",
    "corrupt_file",
    "encrypted_file",
    "too_many_pages",
    "zip_bomb",
    "no_question_column",
    "no_text",
    "parse_limit_exceeded",
)


class VersionExists(RetrievalError):
    """A KB version is immutable: building it again under the same name is refused."""

    code = "version_exists"


class PublishRefused(RetrievalError):
    """The golden-question gate refused a candidate version; ``report`` says which questions changed."""

    code = "publish_refused"

    def __init__(self, detail: str, report: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.report = report


class IngestionFailed(RetrievalError):
    """An ingestion run indexed nothing (all-or-nothing). ``rejected`` lists (document id, error)."""

    code = "ingestion_failed"

    def __init__(self, detail: str, rejected: list[tuple[str, DocumentRejected]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rejected = rejected
