"""When DATABASE_URL / REDIS_URL are set, the integration tier must fail (not skip) if a server is down."""

from __future__ import annotations

import pytest

from tests.conftest import check_services

pytestmark = pytest.mark.integration


def test_real_services_answer(service_urls: tuple[str, str]) -> None:
    check_services(*service_urls)


def test_unreachable_postgres_is_an_error(service_urls: tuple[str, str]) -> None:
    with pytest.raises(RuntimeError, match="PostgreSQL is unreachable"):
        check_services("postgresql://postgres@127.0.0.1:1/test", service_urls[1], timeout_s=2)


def test_unreachable_redis_is_an_error(service_urls: tuple[str, str]) -> None:
    with pytest.raises(RuntimeError, match="Redis is unreachable"):
        check_services(service_urls[0], "redis://127.0.0.1:1/0", timeout_s=2)
