"""A malformed ``Origin`` header, or a widget origin saved in a form that does not parse, is "not an allowed
origin" (403 ``origin_not_allowed``), never a 500 with a traceback (issue 12, finding 5: anyone holding the
public widget key could trigger it)."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.container import Container
from app.db import crud_tenancy
from tests.unit.app.helpers import ORIGIN, Tenant, start_conversation

MALFORMED = [
    "http://127.0.0.1:18801.evil.example",  # the review's header: a port that is not a number
    "https://bank.example:99999",  # out of range
    "https://bank.example:abc",
    "http://[::1",  # an unclosed IPv6 literal
]


@pytest.mark.parametrize("origin", MALFORMED)
async def test_a_malformed_origin_header_is_refused_not_a_500(
    client: httpx.AsyncClient, tenant: Tenant, origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    r = await client.post(
        "/api/v1/chat/conversations", json={"widget_key": tenant.widget_key}, headers={"Origin": origin}
    )
    assert r.status_code == 403, r.text
    assert r.json()["error_code"] == "origin_not_allowed"
    cid, headers = await start_conversation(client, tenant)
    r = await client.get(f"/api/v1/chat/conversations/{cid}/messages", headers={**headers, "Origin": origin})
    assert r.status_code == 403, r.text
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback was logged"


async def test_a_stored_origin_that_does_not_parse_is_skipped(
    client: httpx.AsyncClient, container: Container, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """A widget key whose allow-list holds ``https://shop.example:abc`` (saved before validation, or by
    hand) still serves its good origins; the bad entry allows nothing."""
    async with container.sessions() as s:
        key = await crud_tenancy.get_active_widget_key(s, public_key=tenant.widget_key)
        assert key is not None
        key.allowed_origins = ["https://shop.example:abc", ORIGIN]
        await s.commit()
    caplog.set_level(logging.INFO)
    start = {"widget_key": tenant.widget_key}
    good = await client.post("/api/v1/chat/conversations", json=start, headers={"Origin": ORIGIN})
    assert good.status_code == 201, good.text
    bad = await client.post(
        "/api/v1/chat/conversations", json=start, headers={"Origin": "https://shop.example"}
    )
    assert bad.status_code == 403, bad.text
    assert bad.json()["error_code"] == "origin_not_allowed"
    assert not [rec for rec in caplog.records if rec.exc_info], "a traceback was logged"
