"""The one error model: every error leaves the API as ``{"error_code": ..., "detail": ...}``.

Each domain package raises its own small hierarchy; ``translate_domain_error`` maps those onto codes here,
so routes never catch-and-rethrow by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class ErrorCode(Enum):
    """Stable error codes. The value is (code string, HTTP status). Never rename a code string."""

    VALIDATION_ERROR = ("validation_error", HTTPStatus.UNPROCESSABLE_ENTITY)
    EMPTY_MESSAGE = ("empty_message", HTTPStatus.UNPROCESSABLE_ENTITY)
    MESSAGE_TOO_LONG = ("message_too_long", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    PAYLOAD_TOO_LARGE = ("payload_too_large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    HEADERS_TOO_LARGE = ("headers_too_large", HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
    NOT_FOUND = ("not_found", HTTPStatus.NOT_FOUND)
    CONVERSATION_NOT_FOUND = ("conversation_not_found", HTTPStatus.NOT_FOUND)
    CONVERSATION_CLOSED = ("conversation_closed", HTTPStatus.CONFLICT)
    CONFLICT = ("conflict", HTTPStatus.CONFLICT)
    UNAUTHENTICATED = ("unauthenticated", HTTPStatus.UNAUTHORIZED)
    INVALID_CREDENTIALS = ("invalid_credentials", HTTPStatus.UNAUTHORIZED)
    FORBIDDEN = ("forbidden", HTTPStatus.FORBIDDEN)
    ORIGIN_NOT_ALLOWED = ("origin_not_allowed", HTTPStatus.FORBIDDEN)
    CROSS_SITE_REQUEST = ("cross_site_request", HTTPStatus.FORBIDDEN)
    RATE_LIMITED = ("rate_limited", HTTPStatus.TOO_MANY_REQUESTS)
    # The tenant signs in through its identity provider only (issue 15, SSO).
    PASSWORD_LOGIN_DISABLED = ("password_login_disabled", HTTPStatus.FORBIDDEN)
    SSO_DISCOVERY_FAILED = ("sso_discovery_failed", HTTPStatus.UNPROCESSABLE_ENTITY)
    INVALID_CUSTOMER_TOKEN = ("invalid_customer_token", HTTPStatus.UNAUTHORIZED)
    UNSUPPORTED_FILE = ("unsupported_file", HTTPStatus.UNPROCESSABLE_ENTITY)
    CORRUPT_FILE = ("corrupt_file", HTTPStatus.UNPROCESSABLE_ENTITY)
    PARSE_LIMIT_EXCEEDED = ("parse_limit_exceeded", HTTPStatus.UNPROCESSABLE_ENTITY)
    DUPLICATE_DOCUMENT = ("duplicate_document", HTTPStatus.CONFLICT)
    PUBLISH_REFUSED = ("publish_refused", HTTPStatus.CONFLICT)
    SOURCE_REFUSED = ("source_refused", HTTPStatus.UNPROCESSABLE_ENTITY)
    SYNC_IN_PROGRESS = ("sync_in_progress", HTTPStatus.CONFLICT)
    LEGAL_HOLD_ACTIVE = ("legal_hold_active", HTTPStatus.CONFLICT)
    LLM_UNAVAILABLE = ("llm_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    STORE_UNAVAILABLE = ("store_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    DATABASE_UNAVAILABLE = ("database_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    INTERNAL_ERROR = ("internal_error", HTTPStatus.INTERNAL_SERVER_ERROR)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return int(self.value[1])


class AppError(Exception):
    """An error with a stable code; the one handler renders it."""

    def __init__(self, code: ErrorCode, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers


def translate_domain_error(exc: Exception) -> AppError | None:
    """The app error for an exception raised by a domain package, or None if it is not one of theirs."""
    from dialog.errors import ConversationClosedError, DialogError, StoreUnavailable, VersionConflict
    from llm_backend.errors import LLMError
    from privacy.errors import PrivacyError, UnknownPlaceholder, VaultConflict
    from retrieval.errors import DocumentRejected, ParseLimitExceeded, RetrievalError

    # The first rule whose class the exception is an instance of (subclasses before their base).
    rules: tuple[tuple[type[Exception], ErrorCode, Callable[[Any], str]], ...] = (
        (VersionConflict, ErrorCode.CONFLICT, lambda e: "the conversation changed concurrently; retry"),
        (
            ConversationClosedError,
            ErrorCode.CONVERSATION_CLOSED,
            lambda e: "the conversation is closed; start a new one",
        ),
        (StoreUnavailable, ErrorCode.STORE_UNAVAILABLE, lambda e: f"dialog store unavailable ({e.code})"),
        (DialogError, ErrorCode.INTERNAL_ERROR, lambda e: f"dialog error ({e.code})"),
        (LLMError, ErrorCode.LLM_UNAVAILABLE, lambda e: f"language model unavailable ({e.code})"),
        (VaultConflict, ErrorCode.CONFLICT, lambda e: "the conversation's vault changed concurrently; retry"),
        (UnknownPlaceholder, ErrorCode.NOT_FOUND, lambda e: "no such placeholder in this conversation"),
        (PrivacyError, ErrorCode.STORE_UNAVAILABLE, lambda e: f"privacy vault unavailable ({e.code})"),
        (ParseLimitExceeded, ErrorCode.PARSE_LIMIT_EXCEEDED, lambda e: f"{e.code} ({e.limit}): {e.detail}"),
        (DocumentRejected, ErrorCode.UNSUPPORTED_FILE, lambda e: f"{e.code}: {e.detail}"),
        (RetrievalError, ErrorCode.INTERNAL_ERROR, lambda e: f"retrieval error ({e.code})"),
    )
    for kind, code, detail in rules:
        if isinstance(exc, kind):
            return AppError(code, detail(exc))
    return None


def is_database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (503 ``database_unavailable``)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def error_body(code: ErrorCode, detail: object) -> dict[str, object]:
    return {"error_code": code.code, "detail": detail}


async def _app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(error_body(exc.code, exc.detail), status_code=exc.code.status, headers=exc.headers)


async def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return JSONResponse(error_body(ErrorCode.VALIDATION_ERROR, errors), status_code=422)


async def _http_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    by_status = {
        404: ErrorCode.NOT_FOUND,
        401: ErrorCode.UNAUTHENTICATED,
        403: ErrorCode.FORBIDDEN,
        405: ErrorCode.VALIDATION_ERROR,
        413: ErrorCode.PAYLOAD_TOO_LARGE,
        429: ErrorCode.RATE_LIMITED,
    }
    code = by_status.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
    return JSONResponse(error_body(code, exc.detail), status_code=exc.status_code, headers=exc.headers)


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    mapped = translate_domain_error(exc)
    if mapped is not None:
        logger.warning(
            "domain error on %s %s: %s",
            request.method,
            request.url.path,
            getattr(exc, "code", type(exc).__name__),
        )
        return await _app_error_handler(request, mapped)
    if is_database_unavailable(exc):
        logger.error("database unavailable on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(ErrorCode.DATABASE_UNAVAILABLE, "database unavailable"), status_code=503
        )
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body(ErrorCode.INTERNAL_ERROR, "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
