"""``translate_domain_error``: each domain package's errors leave the API under one stable code."""

from __future__ import annotations

import pytest

from app.errors import ErrorCode, translate_domain_error
from dialog.errors import VersionConflict
from llm_backend.errors import LLMCircuitOpen, LLMTimeout
from privacy.errors import UnknownPlaceholder, VaultConflict, VaultCorrupt, VaultUnavailable


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (VaultConflict("saved by another turn"), ErrorCode.CONFLICT, 409),
        (UnknownPlaceholder("<PHONE_NUMBER_9>"), ErrorCode.NOT_FOUND, 404),
        (VaultUnavailable("redis down"), ErrorCode.STORE_UNAVAILABLE, 503),
        (VaultCorrupt("bad key"), ErrorCode.STORE_UNAVAILABLE, 503),
        (VersionConflict("c1", 3, 4), ErrorCode.CONFLICT, 409),
        (LLMTimeout("slow"), ErrorCode.LLM_UNAVAILABLE, 503),
        (LLMCircuitOpen("paused"), ErrorCode.LLM_UNAVAILABLE, 503),
    ],
)
def test_domain_errors_map_to_stable_codes(exc: Exception, code: ErrorCode, status: int) -> None:
    mapped = translate_domain_error(exc)
    assert mapped is not None
    assert (mapped.code, mapped.code.status) == (code, status)


def test_an_unknown_placeholder_detail_does_not_echo_the_request() -> None:
    mapped = translate_domain_error(UnknownPlaceholder("<EMAIL_ADDRESS_3> of conversation c1"))
    assert mapped is not None
    assert "c1" not in mapped.detail


def test_other_exceptions_are_not_domain_errors() -> None:
    assert translate_domain_error(ValueError("x")) is None
