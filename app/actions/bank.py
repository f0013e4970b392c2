"""Calls to the tenant's bank API: the catalogue's call with the tenant's secret, the confirmation's
idempotency key, a deadline; reads (``idempotent``) retried on a timeout or a 5xx, writes never. Every
failure comes back as a ``BankResult`` (``unavailable``), never as an exception the turn would turn into a
500."""

from __future__ import annotations

import asyncio
import logging
import string
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

from app.actions.catalogue import BankConnection
from app.schemas.admin_actions import BankCall

logger = logging.getLogger(__name__)

Status = Literal["ok", "not_found", "rejected", "unavailable"]


@dataclass(frozen=True, slots=True)
class BankResult:
    status: Status
    body: dict[str, Any] = field(default_factory=dict)
    http_status: int = 0
    latency_ms: float = 0.0
    attempts: int = 1


def render_url(template: str, values: dict[str, str]) -> str:
    """The URL template with each named value percent-encoded as one path segment."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name:
            out.append(quote(values[name], safe=""))
    return "".join(out)


class BankClient:
    def __init__(self, *, timeout_s: float, read_retries: int) -> None:
        self._timeout = timeout_s
        self._retries = read_retries

    async def call(
        self,
        conn: BankConnection,
        call: BankCall,
        *,
        customer_id: str,
        args: dict[str, str],
        key: str,
        body: dict[str, Any] | None = None,
    ) -> BankResult:
        url = conn.base_url + render_url(call.url, {**args, "customer_id": customer_id})
        headers = {"Authorization": f"Bearer {conn.secret}"}
        if call.method != "GET":
            headers[call.idempotency_header] = key
        attempts = 1 + (self._retries if call.idempotent else 0)
        started = time.perf_counter()
        result = BankResult("unavailable")
        for attempt in range(1, attempts + 1):
            result = await self._once(call.method, url, headers, body, attempt)
            if result.status != "unavailable":
                break
            if attempt < attempts:
                await asyncio.sleep(0.05 * attempt)
        ms = (time.perf_counter() - started) * 1000
        return BankResult(result.status, result.body, result.http_status, ms, result.attempts)

    async def _once(
        self, method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None, attempt: int
    ) -> BankResult:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                resp = await client.request(method, url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            logger.warning("bank call failed: %s (attempt %d)", type(exc).__name__, attempt)
            return BankResult("unavailable", attempts=attempt)
        try:
            data = resp.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        if resp.status_code < 300:
            return BankResult("ok", data, resp.status_code, attempts=attempt)
        if resp.status_code == 404:
            return BankResult("not_found", data, resp.status_code, attempts=attempt)
        if resp.status_code >= 500 or resp.status_code in (401, 403, 429):
            logger.warning("bank answered %d (attempt %d)", resp.status_code, attempt)
            return BankResult("unavailable", data, resp.status_code, attempts=attempt)
        return BankResult("rejected", data, resp.status_code, attempts=attempt)

    async def send_sms(self, conn: BankConnection, *, customer_id: str, text: str) -> bool:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                resp = await client.post(
                    conn.sms_url,
                    headers={"Authorization": f"Bearer {conn.secret}"},
                    json={"customer_id": customer_id, "text": text},
                )
        except httpx.HTTPError:
            logger.warning("SMS gateway unreachable")
            return False
        return resp.status_code < 300
